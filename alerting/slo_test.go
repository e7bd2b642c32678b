package alerting

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/events"
)

// TestSLOSpecsEvaluated loads an mlectl/v1 SLO spec, generates its rules
// and evaluates them on the tsdb: the latency SLO's page alert (14.4x burn
// over 1h and 5m) is quiet while 99% of requests are fast and fires once
// half of them are slow for long enough.
func TestSLOSpecsEvaluated(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	sel := []string{"model", "fraud", "version", "v1", "role", "primary"}
	count := labels.FromStrings(append([]string{"__name__", "mle_inference_latency_seconds_count"}, sel...)...)
	fast := labels.FromStrings(append([]string{"__name__", "mle_inference_latency_seconds_bucket", "le", "0.25"}, sel...)...)
	appendSeries(t, db, count, 0, 120, func(m int) float64 { return float64(100 * m) })
	appendSeries(t, db, fast, 0, 120, func(m int) float64 {
		if m <= 60 {
			return float64(99 * m)
		}
		return float64(99*60 + 50*(m-60))
	})
	rec := &eventLog{}
	spec, err := filepath.Abs("../slo/testdata/ml-model.yml")
	require.NoError(t, err)
	m, err := New(Options{Storage: db, SLOSpecs: []string{spec}, EvalInterval: 0, Recorder: rec})
	require.NoError(t, err)
	defer m.Stop()
	require.NotEmpty(t, m.RuleGroups())
	for _, g := range m.RuleGroups() {
		assert.Equal(t, "slo:"+spec, g.File())
		assert.True(t, strings.HasPrefix(g.Name(), "sloth-slo-"), g.Name())
	}

	firstFiring := -1
	for min := 0; min <= 120; min++ {
		m.EvalAt(context.Background(), at(min))
		for _, a := range m.Alerts() {
			if a.Name == "FraudScorerSlow" && a.Labels["sloth_severity"] == "page" && a.State == "firing" && firstFiring < 0 {
				firstFiring = min
			}
		}
	}
	// The 6x/6h-and-30m condition decides first: with only m minutes of
	// data the 6h ratio is (60 + 50(m-60)) / 100m, above 6% from minute 67;
	// the alert group sorts before the recording groups, so it sees that
	// round's ratios one evaluation later (68).
	assert.InDelta(t, 68, firstFiring, 1)
	assert.Greater(t, firstFiring, 60)
	v := query(t, db, `ALERTS{alertname="FraudScorerSlow", sloth_severity="page", alertstate="firing"}`, at(120))
	assert.Len(t, v, 1)
	assert.Contains(t, rec.kinds(), events.KindSLOBreach)
}
