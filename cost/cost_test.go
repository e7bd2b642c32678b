package cost_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/cost"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/tsdb"
)

const pricing = `
cost:
  models:
    fraud:
      price_per_replica_hour: 0.34
      price_per_gpu_hour: 2.48
      gpus_per_replica: 1
      replicas: 3
      budget_hourly: 12
      versions:
        v1: {}
        v2:
          price_per_replica_hour: 0.5
          replicas: 'kube_deployment_status_replicas{deployment="fraud-v2"}'
    chat:
      price_per_replica_hour: 1.5
      price_per_gpu_hour: 2.0
      gpus_per_replica: 1
      replicas: 2
      price_per_1k_tokens: 0.002
      tokens_per_second: 'sum(rate(tokens_total{model="chat"}[5m]))'
    idle:
      price_per_replica_hour: 1
      replicas: 1
    pending:
      price_per_replica_hour: 1
      replicas: 'kube_deployment_status_replicas{deployment="pending"}'
`

// TestCostSeries: the cost series of a priced configuration over real
// traffic and replica series, against the prices worked out by hand.
func TestCostSeries(t *testing.T) {
	cfg, err := collector.ParseConfigBytes([]byte(pricing))
	require.NoError(t, err)
	db, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	defer db.Close()

	now := time.Now().Truncate(time.Minute)
	counter := func(perSecond float64, lv ...string) {
		app := db.Appender(context.Background())
		lset := labels.FromStrings(lv...)
		for s := -600; s <= 0; s += 15 {
			_, err := app.Append(0, lset, now.Add(time.Duration(s)*time.Second).UnixMilli(), perSecond*float64(s+600))
			require.NoError(t, err)
		}
		require.NoError(t, app.Commit())
	}
	pred := func(model, version, status string, perSecond float64) {
		counter(perSecond, "__name__", api.MetricPredictionsTotal, "model", model, "version", version, "role", "production", "status", status)
	}
	pred("fraud", "v1", "ok", 2)
	pred("fraud", "v2", "ok", 0.4)
	pred("fraud", "v2", "error", 0.1) // errors are served too
	pred("chat", "v7", "ok", 1)
	pred("chat", "v8", "ok", 0.5)
	counter(100, "__name__", "tokens_total", "model", "chat")
	app := db.Appender(context.Background())
	_, err = app.Append(0, labels.FromStrings("__name__", "kube_deployment_status_replicas", "deployment", "fraud-v2", "namespace", "ml"), now.Add(-30*time.Second).UnixMilli(), 4)
	require.NoError(t, err)
	require.NoError(t, app.Commit())

	require.NoError(t, cost.New(cfg.Cost, nil).AppendTo(context.Background(), db, now))

	// By hand: fraud v1 is 3 replicas × (0.34 + 1 GPU × 2.48) = 8.46 an
	// hour serving 2/s = 7.2k an hour; v2 is 4 × (0.5 + 2.48) = 11.92 an
	// hour serving 0.5/s = 1.8k an hour. chat is 2 × (1.5 + 2.0) + 100
	// tokens/s × 3.6 × 0.002 = 7.72 an hour, one fleet serving v7 and v8 at
	// 1.5/s = 5.4k an hour. idle
	// costs 1 an hour without traffic; pending has no replica series yet.
	assertValues(t, map[string]float64{
		`{model="fraud", version="v1"}`: 8.46 / 7.2,
		`{model="fraud", version="v2"}`: 11.92 / 1.8,
		`{model="chat", version="v7"}`:  7.72 / 5.4,
		`{model="chat", version="v8"}`:  7.72 / 5.4,
	}, testutil.LastValues(t, db, api.MetricCostPer1kPredictions))
	assertValues(t, map[string]float64{
		`{model="fraud"}`: 8.46 + 11.92,
		`{model="chat"}`:  7.72,
		`{model="idle"}`:  1,
	}, testutil.LastValues(t, db, api.MetricCostHourly))
	assert.Equal(t, map[string]float64{`{model="fraud"}`: 12}, testutil.LastValues(t, db, api.MetricCostBudgetHourly))
}

func assertValues(t *testing.T, want, got map[string]float64) {
	t.Helper()
	require.Len(t, got, len(want), "%v", got)
	for k, w := range want {
		require.Contains(t, got, k)
		assert.InEpsilon(t, w, got[k], 1e-9, k)
	}
}
