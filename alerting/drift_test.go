package alerting

import (
	"context"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/runbooks"
)

// seedDrift writes one drift verdict per 5m window (minutes 0, 5, 10, ...):
// feature amount drifted from minute 5 on, dataset share 0.1 then 0.5, and
// a prediction counter growing by perMinute.
func seedDrift(t *testing.T, db interface {
	appendable
}, model string, perMinute float64) {
	t.Helper()
	base := []string{"model", model, "version", "v1", "feature", "amount", "method", "psi", "against", "baseline"}
	for w := 0; w <= 4; w++ {
		m := w * 5
		drifted := 0.0
		share := 0.1
		if m >= 5 {
			drifted, share = 1, 0.5
		}
		appendAt(t, db, labels.FromStrings(append([]string{"__name__", MetricFeatureDrifted}, base...)...), m, drifted)
		appendAt(t, db, labels.FromStrings("__name__", MetricDriftShare, "model", model, "version", "v1", "against", "baseline"), m, share)
	}
	for m := 0; m <= 20; m++ {
		appendAt(t, db, labels.FromStrings("__name__", MetricPredictions, "model", model, "version", "v1", "role", "primary", "status", "ok"), m, perMinute*float64(m))
	}
}

func TestDriftRules(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	seedDrift(t, db, "fraud", 200)
	seedDrift(t, db, "quiet", 1) // 5 predictions per window: under the guard
	cfg, err := DecodeDriftConfig([]byte(`
interval: 1m
window: 5m
min_events: 100
defaults:
  feature_windows: 3
  dataset_share: 0.3
`))
	require.NoError(t, err)
	rec := &eventLog{}
	m, err := New(Options{Storage: db, Drift: &cfg, Recorder: rec})
	require.NoError(t, err)
	defer m.Stop()

	first := map[string]int{}
	for min := 0; min <= 16; min++ {
		m.EvalAt(context.Background(), at(min))
		for _, a := range m.Alerts() {
			require.NotEqual(t, "quiet", a.Labels["model"], "low-traffic model alerted: %v", a.Labels)
			if _, ok := first[a.Name]; !ok && a.State == "firing" {
				first[a.Name] = min
			}
		}
	}
	assert.Equal(t, map[string]int{
		AlertTrainingServingSkew: 5,  // drifted against baseline in 1 window
		AlertDatasetDrift:        5,  // share 0.5 > 0.3
		AlertFeatureDrift:        15, // windows 5, 10, 15
	}, first)

	lib, err := runbooks.Default()
	require.NoError(t, err)
	for _, a := range m.Alerts() {
		assert.Equal(t, "fraud", a.Labels["model"])
		assert.NotEmpty(t, a.Labels["severity"])
		rbs := lib.ForAlert(a.Labels, a.Annotations)
		require.Len(t, rbs, 1, "alert %s links to one shipped runbook", a.Name)
		assert.Equal(t, a.Annotations["runbook"], rbs[0].ID)
	}
	assert.Contains(t, rec.kinds(), events.KindDriftDetected)
}

func TestDriftConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"windw: 5m", "field windw not found"},
		{"models: [{feature_windows: 2}]", "models[0].model is empty"},
		{"models: [{model: a}, {model: a}]", `"a" is listed twice`},
		{"defaults: {dataset_share: 2}", "defaults.dataset_share must be at most 1"},
		{`models: [{model: "a\"b"}]`, "may only hold"},
	} {
		_, err := DecodeDriftConfig([]byte(tc.yaml))
		require.Error(t, err, tc.yaml)
		assert.Contains(t, err.Error(), tc.want)
	}
}

// TestDriftRulesPerModel checks that a model listed with its own settings is
// left out of the default group, so it is not alerted on twice.
func TestDriftRulesPerModel(t *testing.T) {
	cfg, err := DecodeDriftConfig([]byte("models: [{model: fraud, feature_windows: 2, min_events: -1}]"))
	require.NoError(t, err)
	g, err := cfg.DriftRuleGroups()
	require.NoError(t, err)
	require.Len(t, g.Groups, 2)
	assert.Equal(t, "mlectl-drift-fraud", g.Groups[0].Name)
	assert.Contains(t, g.Groups[0].Rules[0].Expr, `mle_feature_drifted{model="fraud"}[10m]`)
	assert.NotContains(t, g.Groups[0].Rules[0].Expr, MetricPredictions, "guard disabled")
	assert.Contains(t, g.Groups[1].Rules[0].Expr, `model!~"fraud"`)
	assert.Contains(t, g.Groups[1].Rules[0].Expr, MetricPredictions)
}

// TestDriftRulesServingVersionsOnly: the drift alerts follow the versions
// that serve. A shadow version sees the serving version's inputs, so its
// drift is not a second alert; a version rolled back (its production
// traffic stopped at minute 10) resolves within a window, although its last
// drift verdicts stay in storage.
func TestDriftRulesServingVersionsOnly(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	for _, v := range []string{"v12", "v13"} {
		for m := 0; m <= 20; m += 5 {
			drifted := 0.0
			if m >= 5 {
				drifted = 1
			}
			appendAt(t, db, labels.FromStrings("__name__", MetricFeatureDrifted, "model", "demand", "version", v, "feature", "temp", "against", "baseline"), m, drifted)
		}
	}
	for m := 0; m <= 20; m++ {
		served := float64(min(m, 10)) * 200 // v12 stops serving at minute 10
		appendAt(t, db, labels.FromStrings("__name__", MetricPredictions, "model", "demand", "version", "v12", "role", "production", "status", "ok"), m, served)
		appendAt(t, db, labels.FromStrings("__name__", MetricPredictions, "model", "demand", "version", "v13", "role", "shadow", "status", "ok"), m, float64(m)*200)
	}
	cfg, err := DecodeDriftConfig([]byte("interval: 1m\nwindow: 5m\nmin_events: 100\ndefaults: {feature_windows: 1, dataset_share: -1, skew_windows: -1}\n"))
	require.NoError(t, err)
	m, err := New(Options{Storage: db, Drift: &cfg})
	require.NoError(t, err)
	defer m.Stop()

	firing := map[int][]string{}
	for min := 0; min <= 20; min++ {
		m.EvalAt(context.Background(), at(min))
		for _, a := range m.Alerts() {
			if a.State == "firing" {
				firing[min] = append(firing[min], a.Labels["version"])
			}
		}
	}
	for min := 5; min <= 10; min++ {
		assert.Equal(t, []string{"v12"}, firing[min], "minute %d: the serving version alone", min)
	}
	for min := 15; min <= 20; min++ {
		assert.Empty(t, firing[min], "minute %d: v12 stopped serving at minute 10, v13 is a shadow", min)
	}
}
