package gpu

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/model"
)

func TestPerModelRefusesUnknownName(t *testing.T) {
	_, err := NewPerModel(PerModelOptions{Name: "tpu"})
	require.ErrorContains(t, err, `unknown backend "tpu"`)
}

func TestPerModelCPUAndEviction(t *testing.T) {
	p, err := NewPerModel(PerModelOptions{Name: "cpu"})
	require.NoError(t, err)
	defer p.Close()
	var models []*model.XGBoostJSON
	for range maxPerModel + 2 {
		m, _ := loadParity(t, "testdata/models/xgboost_bike_binary_missing/model.json", "testdata/models/xgboost_bike_binary_missing/input.csv", false)
		models = append(models, m)
		require.Equal(t, "cpu", p.Describe(m))
	}
	require.Len(t, p.chosen, maxPerModel)
	_, kept := p.chosen[models[0]]
	require.False(t, kept, "the least recently chosen model is forgotten")
	p.Forget(models[len(models)-1])
	require.Len(t, p.chosen, maxPerModel-1)
}

// TestPerModelOpenCL: one device for every model; XGBoost and LightGBM
// models score on it as on the CPU (LightGBM bit for bit).
func TestPerModelOpenCL(t *testing.T) {
	openTestDevice(t) // skips without an OpenCL platform
	p, err := NewPerModel(PerModelOptions{Name: "opencl", AllowCPU: true})
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()
	for _, pm := range parityModels[:3] {
		m, b := loadParity(t, pm.model, pm.input, false)
		require.Contains(t, p.Describe(m), "opencl on ")
		want := make([]float64, b.Rows*m.NumOutputs())
		require.NoError(t, engine.CPU{}.Score(ctx, m, b, want))
		got := make([]float64, len(want))
		require.NoError(t, p.Score(ctx, m, b, got))
		require.InDeltaSlice(t, want, got, 1e-6)
	}
	require.Len(t, p.devices.opencl, 1, "one device for every model")

	data, err := os.ReadFile(repoPath("testdata/models/lightgbm_multiclass/lgmulticlass.model"))
	require.NoError(t, err)
	lgb, err := model.Load(data, model.FormatAuto, model.Options{})
	require.NoError(t, err)
	require.Contains(t, p.Describe(lgb), "opencl on ")
	fx := lightgbmFixtures[1]
	b := readInput(t, fx, lgb)
	want := make([]float64, b.Rows*lgb.NumOutputs())
	require.NoError(t, engine.CPU{}.Score(ctx, lgb, b, want))
	got := make([]float64, len(want))
	require.NoError(t, p.Score(ctx, lgb, b, got))
	require.Equal(t, want, got)
	require.Len(t, p.devices.opencl, 1, "one device for every model")
	p.Forget(lgb)
	o, err := p.devices.openCL(true)
	require.NoError(t, err)
	require.Empty(t, o.lgb.models, "Forget releases the LightGBM forest")
}

func TestDevicesFallbackCountsByName(t *testing.T) {
	m, b := loadParity(t, "testdata/models/xgboost_bike_binary_missing/model.json", "testdata/models/xgboost_bike_binary_missing/input.csv", false)
	counted := map[string]int{}
	d := &Devices{OnFallback: func(name string) { counted[name]++ }}
	f := d.fallback(failing{}, BackendOpenCL)
	out := make([]float64, b.Rows*m.NumOutputs())
	require.NoError(t, f.Score(context.Background(), m, b, out))
	require.NoError(t, f.Score(context.Background(), m, b, out))
	require.Equal(t, map[string]int{"opencl": 2}, counted)
}
