package alerting

import (
	"context"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/runbooks"
)

// TestSLIRules seeds the explanation-coverage, freshness and label-coverage
// series and checks when each ticket fires, per model and threshold.
func TestSLIRules(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	type point struct {
		lset     labels.Labels
		from     int     // minute the value changes
		before   float64 // value before from
		after    float64
		perMinOK bool // written every minute, not every 5
	}
	series := func(name string, kv ...string) labels.Labels {
		return labels.FromStrings(append([]string{"__name__", name}, kv...)...)
	}
	points := []point{
		// fraud logs explanations for 99% of predictions, then for half.
		{lset: series(MetricExplCoverage, "model", "fraud", "version", "v1"), from: 5, before: 0.99, after: 0.5},
		// a batch feature: 10 s old, then 2 h (over the 1h template).
		{lset: series(MetricFreshness, "model", "fraud", "version", "v1", "feature", "amount", "quantile", "0.99"), from: 10, before: 10, after: 7200},
		{lset: series(MetricFreshness, "model", "fraud", "version", "v1", "feature", "amount", "quantile", "0.5"), from: 0, before: 5000, after: 5000}, // p50 is not the rule's
		// labels: 90% joined, then 20%.
		{lset: series(MetricLabelCoverage, "model", "fraud", "version", "v1", "role", "production"), from: 15, before: 0.9, after: 0.2, perMinOK: true},
		// online: 2 s old against its 1s threshold from the start.
		{lset: series(MetricFreshness, "model", "online", "version", "v1", "feature", "clicks", "quantile", "0.99"), from: 0, before: 2, after: 2},
		// nolabels never received a label: no alert on its coverage of 0.
		{lset: series(MetricLabelCoverage, "model", "nolabels", "version", "v1", "role", "production"), from: 0, before: 0, after: 0, perMinOK: true},
		// quiet serves too little for the guard.
		{lset: series(MetricExplCoverage, "model", "quiet", "version", "v1"), from: 0, before: 0.1, after: 0.1},
	}
	for _, p := range points {
		step := 5
		if p.perMinOK {
			step = 1
		}
		for m := 0; m <= 20; m += step {
			v := p.before
			if m >= p.from {
				v = p.after
			}
			appendAt(t, db, p.lset, m, v)
		}
	}
	for _, model := range []string{"fraud", "online", "nolabels", "quiet"} {
		per := 200.0
		if model == "quiet" {
			per = 1
		}
		for m := 0; m <= 20; m++ {
			appendAt(t, db, series(MetricPredictions, "model", model, "version", "v1", "role", "production", "status", "ok"), m, per*float64(m))
		}
	}
	cfg, err := DecodeDriftConfig([]byte(`
interval: 1m
window: 5m
defaults: {feature_windows: -1, dataset_share: -1, skew_windows: -1}
models:
  - model: online
    feature_freshness: 1s
`))
	require.NoError(t, err)
	m, err := New(Options{Storage: db, Drift: &cfg})
	require.NoError(t, err)
	defer m.Stop()

	type firing struct{ alert, model string }
	first := map[firing]int{}
	for min := 0; min <= 20; min++ {
		m.EvalAt(context.Background(), at(min))
		for _, a := range m.Alerts() {
			k := firing{a.Name, a.Labels["model"]}
			if _, ok := first[k]; !ok && a.State == "firing" {
				first[k] = min
			}
		}
	}
	// The guard needs two counter samples in the window: minute 1 at the
	// earliest.
	assert.Equal(t, map[firing]int{
		{AlertExplanationCoverage, "fraud"}: 5,
		{AlertFeatureStale, "fraud"}:        10,
		{AlertLabelCoverage, "fraud"}:       15,
		{AlertFeatureStale, "online"}:       1,
	}, first)

	lib, err := runbooks.Default()
	require.NoError(t, err)
	for _, a := range m.Alerts() {
		assert.Equal(t, "ticket", a.Labels["severity"])
		rbs := lib.ForAlert(a.Labels, a.Annotations)
		require.Len(t, rbs, 1, "alert %s links to one shipped runbook", a.Name)
		assert.Equal(t, a.Annotations["runbook"], rbs[0].ID)
	}
}

func TestSLIRuleConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"defaults: {explanation_coverage: 1.5}", "defaults.explanation_coverage must be at most 1"},
		{"defaults: {label_coverage: 2}", "defaults.label_coverage must be at most 1"},
		{"models: [{model: a, feature_freshness: soon}]", `models[0].feature_freshness "soon" is not a duration`},
	} {
		_, err := DecodeDriftConfig([]byte(tc.yaml))
		require.Error(t, err, tc.yaml)
		assert.Contains(t, err.Error(), tc.want)
	}
	cfg, err := DecodeDriftConfig([]byte("defaults: {explanation_coverage: -1, label_coverage: -1, feature_freshness: -1s, feature_windows: -1, dataset_share: -1, skew_windows: -1}"))
	require.NoError(t, err)
	g, err := cfg.DriftRuleGroups()
	require.NoError(t, err)
	assert.Empty(t, g.Groups[0].Rules, "every rule disabled")
}
