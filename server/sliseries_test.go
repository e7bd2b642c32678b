package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/cost"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/registry"
	"github.com/mlectl/mlectl/server"
)

// instant asks the collector's query API for expr and returns the value
// of its one sample; ok is false while the result is empty.
func instant(t *testing.T, base, expr string) (float64, bool) {
	t.Helper()
	code, b := testutil.Do(t, http.MethodGet, base+"/api/v1/query?query="+url.QueryEscape(expr), "", "")
	if code != http.StatusOK {
		return 0, false
	}
	var env struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(b, &env))
	if len(env.Data.Result) != 1 {
		return 0, false
	}
	v, err := strconv.ParseFloat(env.Data.Result[0].Value[1].(string), 64)
	require.NoError(t, err)
	return v, true
}

func eventually(t *testing.T, base, expr string, want float64) {
	t.Helper()
	var got float64
	var ok bool
	require.Eventually(t, func() bool {
		got, ok = instant(t, base, expr)
		return ok && got == want
	}, 20*time.Second, 50*time.Millisecond, "%s: got %v (present %v), want %v", expr, got, ok, want)
}

// TestSLISeriesThroughTheCollector: a training run POSTed, a deploy in the
// registry and a priced model come out of the query API as series, and
// after a restart on the same data dir the counters are where they were.
func TestSLISeriesThroughTheCollector(t *testing.T) {
	dir := t.TempDir()
	cfg := collectorConfig(t, dir)
	cfg.SeriesInterval = 50 * time.Millisecond
	cfg.Collector.Cost = cost.Config{Models: map[string]cost.ModelCost{"fraud": {
		Fleet:        cost.Fleet{PricePerReplicaHour: ptr(0.75), Replicas: &cost.Replicas{Fixed: 2}},
		BudgetHourly: ptr(1.0),
	}}}
	s, err := server.Assemble(context.Background(), cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	_, err = s.Storage(context.Background())
	require.NoError(t, err)
	base := s.URL()

	code, out := testutil.DoJSON(t, http.MethodPost, base+"/api/v1/training-runs", "",
		`{"model":"fraud","version":"v1","status":"succeeded","started":"2026-12-01T10:00:00Z","ended":"2026-12-01T12:00:00Z","cost":40}`)
	require.Equal(t, http.StatusCreated, code, out)
	code, out = testutil.DoJSON(t, http.MethodPost, base+"/api/v1/training-runs", "",
		`{"model":"fraud","status":"succeeded","started":"2026-12-01T10:00:00Z","ended":"2026-12-01T12:00:00Z","cost":-40}`)
	require.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, out["error"], "field cost")
	_, err = s.Meta.Registry.Register(context.Background(), registry.Version{Model: "fraud", Version: "v1", ArtifactURI: "s3://m/fraud/v1",
		SHA256: strings.Repeat("0f", 32), Stage: registry.StageProduction}, "ci")
	require.NoError(t, err)

	eventually(t, base, `mle_training_runs_total{model="fraud",status="succeeded"}`, 1)
	eventually(t, base, `mle_training_cost_total{model="fraud"}`, 40)
	eventually(t, base, `mle_deployments_total{model="fraud",version="v1"}`, 1)
	eventually(t, base, `mle_rollbacks_total{model="fraud"}`, 0)
	eventually(t, base, `mle_cost_hourly{model="fraud"}`, 2*0.75)
	eventually(t, base, `mle_cost_budget_hourly{model="fraud"}`, 1)
	cancel()
	require.NoError(t, <-done)
	require.NoError(t, s.Close())

	s = start(t, cfg)
	base = s.URL()
	code, out = testutil.DoJSON(t, http.MethodPost, base+"/api/v1/training-runs", "",
		`{"model":"fraud","status":"failed","started":"2026-12-02T10:00:00Z","ended":"2026-12-02T10:30:00Z","cost":5}`)
	require.Equal(t, http.StatusCreated, code, out)
	eventually(t, base, `mle_training_cost_total{model="fraud"}`, 45)
	eventually(t, base, `mle_training_runs_total{model="fraud",status="succeeded"}`, 1)
	eventually(t, base, `mle_deployments_total{model="fraud",version="v1"}`, 1)
	code, b := testutil.Do(t, http.MethodGet, base+"/api/v1/training-runs?model=fraud", "", "")
	require.Equal(t, http.StatusOK, code)
	var runs struct{ Data []map[string]any }
	require.NoError(t, json.Unmarshal(b, &runs))
	require.Len(t, runs.Data, 2)
	assert.Equal(t, []any{"succeeded", "failed"}, []any{runs.Data[0]["status"], runs.Data[1]["status"]})
}

func ptr(v float64) *float64 { return &v }
