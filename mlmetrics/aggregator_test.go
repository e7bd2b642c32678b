package mlmetrics

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a storage.Appendable keeping the committed samples of
// mle_predictions_total{status="ok"} per version.
type recorder struct{ got map[string][]float64 }

type recApp struct {
	storage.Appender
	r       *recorder
	pending map[string][]float64
}

func (r *recorder) Appender(context.Context) storage.Appender {
	return &recApp{r: r, pending: map[string][]float64{}}
}

func (a *recApp) Append(_ storage.SeriesRef, l labels.Labels, _ int64, v float64) (storage.SeriesRef, error) {
	if l.Get("__name__") == "mle_predictions_total" && l.Get("status") == "ok" {
		a.pending[l.Get("version")] = append(a.pending[l.Get("version")], v)
	}
	return 0, nil
}

func (a *recApp) Commit() error {
	for k, v := range a.pending {
		a.r.got[k] = append(a.r.got[k], v...)
	}
	return nil
}

func (a *recApp) Rollback() error { return nil }

// TestAggregatorEndsIdleSeries: a version that stops receiving traffic (a
// rollback replaced it) is exported for IdleAfter, then ended with one
// staleness marker and forgotten; if it serves again its counter restarts.
func TestAggregatorEndsIdleSeries(t *testing.T) {
	a := NewAggregator()
	a.IdleAfter = time.Minute
	rec := &recorder{got: map[string][]float64{}}
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	serve := func(version string, n int) {
		for range n {
			a.Observe(Prediction{Model: "demand", Version: version, Role: "production", Status: "ok", LatencySeconds: 0.02})
		}
	}
	steps := []struct {
		at     time.Duration
		v12    int
		v11    int
		wantV2 []float64 // v12's samples so far
	}{
		{at: 0, v12: 5, wantV2: []float64{5}},
		{at: 30 * time.Second, v12: 5, wantV2: []float64{5, 10}},
		// Rolled back: v11 serves, v12 receives nothing from here on.
		{at: 60 * time.Second, v11: 5, wantV2: []float64{5, 10, 10}},
		{at: 89 * time.Second, v11: 5, wantV2: []float64{5, 10, 10, 10}},
		{at: 90 * time.Second, v11: 5, wantV2: []float64{5, 10, 10, 10, math.NaN()}},
		{at: 120 * time.Second, v11: 5, wantV2: []float64{5, 10, 10, 10, math.NaN()}},
		// Serving again: a new series from 0, read as a counter reset.
		{at: 150 * time.Second, v12: 2, wantV2: []float64{5, 10, 10, 10, math.NaN(), 2}},
	}
	for _, st := range steps {
		serve("v12", st.v12)
		serve("v11", st.v11)
		require.NoError(t, a.AppendTo(context.Background(), rec, t0.Add(st.at)))
		got := rec.got["v12"]
		require.Len(t, got, len(st.wantV2), "at %s: %v", st.at, got)
		for i, w := range st.wantV2 {
			if math.IsNaN(w) {
				assert.True(t, value.IsStaleNaN(got[i]), "at %s sample %d is a staleness marker", st.at, i)
				continue
			}
			assert.Equal(t, w, got[i], "at %s sample %d", st.at, i)
		}
	}
	assert.Len(t, rec.got["v11"], 5, "v11 serves on")
}
