package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/gpu"
	"github.com/mlectl/mlectl/engine/model"
	"github.com/mlectl/mlectl/server"
)

func scrape(t *testing.T, s *server.Server) string {
	t.Helper()
	resp, err := http.Get(s.URL() + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

func bikeModel(t *testing.T) engine.Model {
	t.Helper()
	data, err := os.ReadFile("../testdata/models/xgboost_bike_binary_missing/model.json")
	require.NoError(t, err)
	m, err := model.Load(data, model.FormatAuto, model.Options{})
	require.NoError(t, err)
	return m
}

// TestEngineBackendConfig: engine.backend picks the shadow scoring backend
// per model; a device named explicitly must open at start-up, else the
// collector refuses to start naming engine.backend.
func TestEngineBackendConfig(t *testing.T) {
	_, noOpenCL := gpu.NewPerModel(gpu.PerModelOptions{Name: "opencl", AllowCPU: true})
	for _, tc := range []struct {
		backend  string
		describe string // for an XGBoost model; "" when the start fails
		err      string
	}{
		{"", "cpu", ""},
		{"cpu", "cpu", ""},
		{"auto", "", ""}, // cpu or an OpenCL GPU: either is named
		{"opencl", "opencl on ", ""},
	} {
		t.Run("backend="+tc.backend, func(t *testing.T) {
			cfg := collectorConfig(t, t.TempDir())
			cfg.Collector.Engine.Backend = tc.backend
			if tc.backend == "opencl" && noOpenCL != nil {
				_, err := server.Assemble(context.Background(), cfg)
				require.ErrorContains(t, err, "engine.backend opencl")
				t.Skipf("no OpenCL platform here: start refused as it should: %v", err)
			}
			s := start(t, cfg)
			got := s.Engine.Describe(bikeModel(t))
			if tc.describe == "" {
				assert.True(t, strings.HasPrefix(got, "cpu (auto: no CUDA: ") || strings.Contains(got, " on "), got)
			} else {
				assert.Contains(t, got, tc.describe)
			}
			metrics := scrape(t, s)
			if tc.describe == "cpu" { // no device: no series until one fails
				assert.NotContains(t, metrics, "mle_engine_fallbacks_total{")
			} else {
				assert.Contains(t, metrics, `mle_engine_fallbacks_total{backend="opencl"} 0`)
			}
		})
	}
}

type failingDevice struct{}

func (failingDevice) Score(context.Context, engine.Model, engine.Batch, []float64) error {
	return errors.New("device lost")
}

// TestEngineFallbacksCounted: a batch a device fails on is scored on the
// CPU and counted on the collector's /metrics by backend.
func TestEngineFallbacksCounted(t *testing.T) {
	s := start(t, collectorConfig(t, t.TempDir()))
	m := bikeModel(t)
	fb := &gpu.Fallback{Primary: failingDevice{}, Secondary: engine.CPU{}, Name: "cuda",
		OnFallback: func() { s.CountEngineFallback("cuda") }}
	b := engine.NewBatch(3, m.NumFeatures())
	out := make([]float64, 3*m.NumOutputs())
	for range 2 {
		require.NoError(t, fb.Score(context.Background(), m, b, out))
	}
	assert.Contains(t, scrape(t, s), `mle_engine_fallbacks_total{backend="cuda"} 2`)
}
