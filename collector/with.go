package collector

import (
	"fmt"
	"regexp"

	"github.com/VictoriaMetrics/metricsql"
)

// withKeyword finds a MetricsQL `WITH (` template; plain PromQL has no such
// construct, so queries without it skip the MetricsQL parser entirely.
var withKeyword = regexp.MustCompile(`(?i)\bwith\s*\(`)

// ExpandWith rewrites a query that uses MetricsQL WITH templates into the
// equivalent PromQL text; other queries are returned unchanged. The result is
// parsed again by Prometheus's parser, which reports any remaining error with
// its position.
func ExpandWith(query string) (string, error) {
	if !withKeyword.MatchString(query) {
		return query, nil
	}
	expr, err := metricsql.Parse(query)
	if err != nil {
		return "", fmt.Errorf("expand MetricsQL WITH template: %w", err)
	}
	return string(expr.AppendString(nil)), nil
}
