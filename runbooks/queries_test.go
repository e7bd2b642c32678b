package runbooks_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/contract"
	"github.com/mlectl/mlectl/internal/diskguard"
	"github.com/mlectl/mlectl/mlmetrics"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/predlog/sli"
	"github.com/mlectl/mlectl/quality"
	"github.com/mlectl/mlectl/runbooks"
	"github.com/mlectl/mlectl/slo"
)

// emitted is what the product writes: each series name with its label
// names, and the values of the labels that take a fixed set.
var emitted = struct {
	series map[string][]string
	values map[string][]string
}{
	series: map[string][]string{
		skew.MetricScore:                       {"model", "version", "feature", "method", "against"},
		skew.MetricDrifted:                     {"model", "version", "feature", "against"},
		skew.MetricShare:                       {"model", "version", "against"},
		skew.MetricPrediction:                  {"model", "version", "method", "against"},
		"mle_predictions_total":                {"model", "version", "role", "status"},
		"mle_inference_latency_seconds_bucket": {"model", "version", "role", "le"},
		contract.MetricViolations:              {"model", "version", "feature", "kind"},
		quality.MetricAccuracy:                 {"model", "version", "role"},
		quality.MetricMAE:                      {"model", "version", "role"},
		quality.MetricCoverage:                 {"model", "version", "role"},
		quality.MetricLabelLag:                 {"model", "version", "role"},
		sli.MetricExplanationCover:             {"model", "version"},
		sli.MetricAttributionMeanAbs:           {"model", "version", "feature"},
		sli.MetricAttributionChange:            {"model", "version", "feature"},
		sli.MetricFreshness:                    {"model", "version", "feature", "quantile"},
		slo.MetricSLIErrorPrefix + "5m":        {slo.LabelID, slo.LabelService, slo.LabelSLO, slo.LabelWindow},
		slo.MetricCurrentBurnRate:              {slo.LabelID, slo.LabelService, slo.LabelSLO},
		api.MetricCostHourly:                   {"model"},
		api.MetricCostBudgetHourly:             {"model"},
		api.MetricCostPer1kPredictions:         {"model", "version"},
		api.MetricDeploymentsTotal:             {"model", "version"},
		api.MetricRollbacksTotal:               {"model"},
		api.MetricChangeFailureRatio:           {"model"},
		api.MetricTimeToRestoreSeconds:         {"model"},
		api.MetricTrainingRunsTotal:            {"model", "status"},
		api.MetricTrainingCostTotal:            {"model"},
		diskguard.MetricFreeBytes:              {"dir"},
		diskguard.MetricReserveBytes:           {"dir"},
	},
	values: map[string][]string{
		"against":  {skew.AgainstBaseline, skew.AgainstHistory},
		"method":   {"ks", "wasserstein_normed", "psi", "jensen_shannon"},
		"role":     {predlog.RoleProduction, predlog.RoleShadow, predlog.RoleCanary},
		"status":   {predlog.StatusOK, predlog.StatusError},
		"quantile": {"0.5", "0.99"},
		"kind": {contract.KindUnknownFeature, contract.KindMissing, contract.KindNull, contract.KindWrongType,
			contract.KindNonFinite, contract.KindOutOfRange, contract.KindUnseenCategory, contract.KindNullRate},
	},
}

var placeholderRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// TestRunbookQueriesMatchEmittedSeries: every query step of the shipped
// runbooks parses as PromQL once its placeholders are filled, names series
// the product writes, and filters and groups by labels those series carry,
// with values they take (a runbook querying against="previous" when the
// series say "previous_24h" shows on-call "no data" mid-incident).
func TestRunbookQueriesMatchEmittedSeries(t *testing.T) {
	require.Contains(t, mlmetrics.LatencyBuckets, 0.1) // the histogram this catalogue names exists
	lib, err := runbooks.Default()
	require.NoError(t, err)
	vars := map[string]string{"model": "demand", "version": "v12", "feature": "temp", "text": "x", "dir": "/var/lib/mlectl"}
	for _, rb := range lib.All() {
		for i, s := range rb.Steps {
			if s.Action != runbooks.ActionQuery {
				continue
			}
			args, missing := s.Expand(vars)
			require.Empty(t, missing, "%s step %d", rb.ID, i+1)
			q := args["query"]
			expr, err := parser.NewParser(parser.Options{}).ParseExpr(q)
			require.NoError(t, err, "%s step %d: %s", rb.ID, i+1, q)
			var names []string // series names of the expression, for its grouping labels
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				vs, ok := n.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				have, known := emitted.series[vs.Name]
				if !assert.True(t, known, "%s step %d selects %s, which the product does not write: %s", rb.ID, i+1, vs.Name, q) {
					return nil
				}
				names = append(names, vs.Name)
				for _, m := range vs.LabelMatchers {
					if m.Name == labels.MetricName {
						continue
					}
					assert.Contains(t, have, m.Name, "%s step %d: %s has no label %s", rb.ID, i+1, vs.Name, m.Name)
					allowed, fixed := emitted.values[m.Name]
					if !fixed || strings.Contains(m.Value, "${") {
						continue
					}
					switch m.Type {
					case labels.MatchEqual, labels.MatchNotEqual:
						assert.Contains(t, allowed, m.Value, "%s step %d: %s=%q is never written (values: %v)", rb.ID, i+1, m.Name, m.Value, allowed)
					default:
						assert.True(t, slices.ContainsFunc(allowed, m.Matches), "%s step %d: %s matches none of %v", rb.ID, i+1, m, allowed)
					}
				}
				return nil
			})
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				agg, ok := n.(*parser.AggregateExpr)
				if !ok || agg.Without {
					return nil
				}
				for _, g := range agg.Grouping {
					assert.True(t, slices.ContainsFunc(names, func(name string) bool { return slices.Contains(emitted.series[name], g) }),
						"%s step %d groups by %s, a label none of its series carries: %s", rb.ID, i+1, g, q)
				}
				return nil
			})
		}
	}
}

// TestRunbookProseHasNoPlaceholders: ${var} is filled in a step's args when
// it runs; in titles, step texts and the body it would reach the reader
// unfilled, so prose says "this model" instead.
func TestRunbookProseHasNoPlaceholders(t *testing.T) {
	lib, err := runbooks.Default()
	require.NoError(t, err)
	for _, rb := range lib.All() {
		assert.Empty(t, placeholderRE.FindAllString(rb.Body, -1), "%s body", rb.ID)
		for i, s := range rb.Steps {
			assert.Empty(t, placeholderRE.FindAllString(s.Title+s.Text, -1), "%s step %d: %q", rb.ID, i+1, s.Title+" "+s.Text)
		}
	}
}
