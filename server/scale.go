package server

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/alerting"
	"github.com/mlectl/mlectl/collector"
)

// LabelCollector is the external label a collector of a cluster puts on
// every sample it forwards to a shared metrics store (storage.metrics:
// remote with cluster:), as Prometheus's global external_labels do: the
// collector-level series (mle_collector_disk_free_bytes,
// mle_engine_fallbacks_total, mle_forward_*) of two collectors would
// otherwise be one series in the store, written twice.
const LabelCollector = "collector"

// externalLabelStore adds one label to every sample appended to the store
// beneath it, unless the sample already has that label (the cluster's own
// mle_model_owner{collector} and mle_collector_info{collector}, or a
// series remote-written with its own collector label): Prometheus's
// external_labels rule. Queries pass through unchanged.
type externalLabelStore struct {
	collector.Store
	name, value string
}

func withExternalLabel(s collector.Store, name, value string) *externalLabelStore {
	return &externalLabelStore{Store: s, name: name, value: value}
}

// LimiterQueryable keeps the series limits counting where the store
// beneath says (the remote store's local cache).
func (s *externalLabelStore) LimiterQueryable() storage.Queryable {
	if l, ok := s.Store.(interface{ LimiterQueryable() storage.Queryable }); ok {
		return l.LimiterQueryable()
	}
	return s.Store
}

func (s *externalLabelStore) label(ls labels.Labels) labels.Labels {
	if ls.Has(s.name) {
		return ls
	}
	b := labels.NewBuilder(ls)
	b.Set(s.name, s.value)
	return b.Labels()
}

func (s *externalLabelStore) Appender(ctx context.Context) storage.Appender {
	return &labelingAppender{Appender: s.Store.Appender(ctx), s: s}
}

func (s *externalLabelStore) AppenderV2(ctx context.Context) storage.AppenderV2 {
	return &labelingAppenderV2{AppenderV2: s.Store.AppenderV2(ctx), s: s}
}

type labelingAppender struct {
	storage.Appender
	s *externalLabelStore
}

func (a *labelingAppender) Append(ref storage.SeriesRef, l labels.Labels, t int64, v float64) (storage.SeriesRef, error) {
	return a.Appender.Append(ref, a.s.label(l), t, v)
}

func (a *labelingAppender) AppendHistogram(ref storage.SeriesRef, l labels.Labels, t int64, h *histogram.Histogram, fh *histogram.FloatHistogram) (storage.SeriesRef, error) {
	return a.Appender.AppendHistogram(ref, a.s.label(l), t, h, fh)
}

type labelingAppenderV2 struct {
	storage.AppenderV2
	s *externalLabelStore
}

func (a *labelingAppenderV2) Append(ref storage.SeriesRef, ls labels.Labels, st, t int64, f float64, h *histogram.Histogram, fh *histogram.FloatHistogram, opts storage.AppendV2Options) (storage.SeriesRef, error) {
	return a.AppenderV2.Append(ref, a.s.label(ls), st, t, f, h, fh, opts)
}

// scopeRuleQueries confines the rule queries of every group but the
// fleet's (cluster.fleet_rule_files, on the collector cluster.fleet_rules
// names) to this collector's own series in the shared store: each selector
// gets collector="<name>". Without it, every collector's drift and SLO
// rules would see every model's series and the same alert would fire on
// each collector. A model's series are written by its owner only, so a
// collector's rules cover exactly the models it owns; the fleet's rules
// see everything.
func scopeRuleQueries(query func(context.Context, string, time.Time) (promql.Vector, error), collectorName string, fleetFiles []string) func(context.Context, string, time.Time) (promql.Vector, error) {
	fleet := map[string]bool{}
	for _, f := range fleetFiles {
		fleet[filepath.Clean(f)] = true
	}
	return func(ctx context.Context, qs string, ts time.Time) (promql.Vector, error) {
		if fleet[filepath.Clean(ruleGroupFile(ctx))] {
			return query(ctx, qs, ts)
		}
		scoped, err := withMatcher(qs, labels.MustNewMatcher(labels.MatchEqual, LabelCollector, collectorName))
		if err != nil {
			return nil, fmt.Errorf("scope rule query to collector %s: %w", collectorName, err)
		}
		return query(ctx, scoped, ts)
	}
}

// ruleGroupFile is the file of the rule group evaluating on ctx (Prometheus's
// rules manager names it in the query origin), "" outside a group.
func ruleGroupFile(ctx context.Context) string {
	origin, _ := ctx.Value(promql.QueryOrigin{}).(map[string]any)
	g, _ := origin["ruleGroup"].(map[string]string)
	return g["file"]
}

// withMatcher adds m to every series selector of the PromQL expression qs
// (a selector that already matches on m's label keeps its own matcher too:
// both must hold).
func withMatcher(qs string, m *labels.Matcher) (string, error) {
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(qs)
	if err != nil {
		return "", err
	}
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			if !slices.ContainsFunc(vs.LabelMatchers, func(x *labels.Matcher) bool {
				return x.Name == m.Name && x.Type == m.Type && x.Value == m.Value
			}) {
				vs.LabelMatchers = append(vs.LabelMatchers, m)
			}
		}
		return nil
	})
	return expr.String(), nil
}

// resolveRuleFiles is the rule files' paths as the rules manager names
// their groups (globbed, relative to the configuration's directory).
func (s *Server) resolveRuleFiles(patterns []string) []string {
	o, err := alerting.Config{RuleFiles: patterns}.Options(s.cfg.BaseDir)
	if err != nil {
		return patterns // openRules reports the error
	}
	return o.RuleFiles
}
