package demo

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDemoServesDriftHistogram: the demo's collector serves the open drift
// window of a simulated feature over its imported baseline's bins.
func TestDemoServesDriftHistogram(t *testing.T) {
	d, err := Start(context.Background(), Options{Tick: 100 * time.Millisecond, Backfill: 10 * time.Second, DriftEvery: time.Second, DriftWindow: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	<-d.Backfilled()
	resp, err := http.Get(d.URL + "/api/v1/drift/demand/features/temp/histogram?version=v12")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var env struct {
		Status string
		Data   struct {
			Type     string
			Window   struct{ Samples int }
			Baseline *struct{ Rows int }
			Numeric  struct {
				Edges, Counts []float64
				Below, Above  float64
			}
		}
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
	assert.Equal(t, "success", env.Status)
	assert.Equal(t, "numerical", env.Data.Type)
	require.NotNil(t, env.Data.Baseline, "the demo imports training profiles")
	assert.Positive(t, env.Data.Baseline.Rows)
	assert.Positive(t, env.Data.Window.Samples)
	assert.Len(t, env.Data.Numeric.Edges, 21)
	total := env.Data.Numeric.Below + env.Data.Numeric.Above
	for _, c := range env.Data.Numeric.Counts {
		total += c
	}
	assert.InDelta(t, float64(env.Data.Window.Samples), total, 1e-6, "every window value is counted once")
}
