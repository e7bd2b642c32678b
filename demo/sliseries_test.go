package demo

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestDemoWritesDeliveryCostAndTrainingSeries: the demo's models come with
// prices, training runs and their rollout's deploys, so the overview has
// figures: each checked against the demo's own configuration and runs.
func TestDemoWritesDeliveryCostAndTrainingSeries(t *testing.T) {
	d, err := Start(context.Background(), Options{Tick: 100 * time.Millisecond, Backfill: 10 * time.Second, DriftEvery: time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })

	var prices struct {
		Models map[string]struct {
			PricePerReplicaHour float64 `yaml:"price_per_replica_hour"`
			PricePerGPUHour     float64 `yaml:"price_per_gpu_hour"`
			GPUsPerReplica      float64 `yaml:"gpus_per_replica"`
			Replicas            float64 `yaml:"replicas"`
		} `yaml:"models"`
	}
	raw, err := demoConfig.ReadFile("config/cost.yml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(raw, &prices))
	require.Len(t, prices.Models, len(d.Sim.Models()), "every demo model is priced")

	eventually := func(q string, want float64) {
		t.Helper()
		var got float64
		var ok bool
		require.Eventually(t, func() bool {
			got, ok = queryScalar(t, d.URL, q)
			return ok && got > want-1e-9 && got < want+1e-9
		}, 30*time.Second, 100*time.Millisecond, "%s: got %v (present %v), want %v", q, got, ok, want)
	}
	for _, m := range d.Sim.Models() {
		p := prices.Models[m.Name]
		hourly := p.Replicas * (p.PricePerReplicaHour + p.GPUsPerReplica*p.PricePerGPUHour)
		eventually(`mle_cost_hourly{model="`+m.Name+`"}`, hourly)
		// The previous version registered into production, the current
		// one promoted: two deploys; the shadow's registration is none.
		eventually(`sum(mle_deployments_total{model="`+m.Name+`"})`, 2)
		eventually(`mle_rollbacks_total{model="`+m.Name+`"}`, 0)
		eventually(`mle_training_runs_total{model="`+m.Name+`",status="failed"}`, 1)
		eventually(`mle_training_cost_total{model="`+m.Name+`"}`, trainingCost[m.Name]*(3+1.0/5))
		v, ok := queryScalar(t, d.URL, `mle_cost_per_1k_predictions{model="`+m.Name+`",version="`+m.Production+`"}`)
		if assert.True(t, ok, "%s has traffic, so a cost per 1k predictions", m.Name) {
			// hourly / (predictions per hour / 1000), over the same 5m rate
			rate, ok := queryScalar(t, d.URL, `sum(rate(mle_predictions_total{model="`+m.Name+`"}[5m]))`)
			require.True(t, ok)
			assert.InEpsilon(t, hourly/(rate*3.6), v, 0.2, "%s (rates read at two instants)", m.Name)
		}
	}
}
