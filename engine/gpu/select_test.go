package gpu

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/model"
)

func TestSelect(t *testing.T) {
	xgb, _ := loadParity(t, "testdata/models/xgboost_bike_binary_missing/model.json", "testdata/models/xgboost_bike_binary_missing/input.csv", false)
	data, err := os.ReadFile(repoPath("testdata/models/lightgbm_multiclass/lgmulticlass.model"))
	require.NoError(t, err)
	lgb, err := model.Load(data, model.FormatAuto, model.Options{})
	require.NoError(t, err)

	s, err := Select("cpu", xgb, false)
	require.NoError(t, err)
	require.Equal(t, "cpu", s.Name)

	// auto takes GPUs only and skips CUDA for LightGBM: under POCL (a CPU
	// device) it stays on the CPU and says why.
	s, err = Select("auto", lgb, true)
	require.NoError(t, err)
	if s.Name == "cpu" {
		require.Contains(t, s.Reason, "cpu (auto: LightGBM runs on OpenCL, not CUDA; ")
	}
	require.NoError(t, s.Close())

	s, err = Select("auto", foreignModel{}, true)
	require.NoError(t, err)
	require.Equal(t, "cpu", s.Name)
	require.Contains(t, s.Reason, "only XGBoost and LightGBM models run on a GPU, not gpu.foreignModel")
	_, err = Select("opencl", foreignModel{}, true)
	require.ErrorContains(t, err, "the opencl backend scores XGBoost and LightGBM models only")
	_, err = Select("cuda", lgb, true)
	require.ErrorContains(t, err, "the cuda backend scores XGBoost models only, not LightGBM (LightGBM models run on the opencl backend or cpu)")
	_, err = Select("tpu", xgb, true)
	require.ErrorContains(t, err, `unknown backend "tpu"`)

	// auto takes GPUs only: under POCL (a CPU device) it stays on the CPU
	// and says why.
	s, err = Select("auto", xgb, true)
	require.NoError(t, err)
	if s.Name == "cpu" {
		require.Contains(t, s.Reason, "auto: no CUDA: ")
		require.Contains(t, s.Reason, "; no OpenCL GPU")
	}
	require.NoError(t, s.Close())

	s, err = Select("opencl", xgb, true)
	if err != nil {
		t.Skipf("no OpenCL platform here: %v", err)
	}
	defer s.Close()
	require.Equal(t, "opencl", s.Name)
	require.Contains(t, s.Reason, "opencl on ")

	sl, err := Select("opencl", lgb, true)
	require.NoError(t, err, "POCL has cl_khr_fp64")
	defer sl.Close()
	require.Equal(t, "opencl", sl.Name)

	// A LightGBM JSON dump is read into the same model as model.txt.
	data, err = os.ReadFile(repoPath("testdata/models/lightgbm_breast_cancer_dart/lg_dart_breast_cancer.json"))
	require.NoError(t, err)
	dump, err := model.Load(data, model.FormatAuto, model.Options{Raw: true})
	require.NoError(t, err)
	sd, err := Select("opencl", dump, true)
	require.NoError(t, err)
	defer sd.Close()
	require.Equal(t, "opencl", sd.Name)
}

type failing struct{}

func (failing) Score(context.Context, engine.Model, engine.Batch, []float64) error {
	return errors.New("device lost")
}

func TestFallbackScoresOnCPUAndCounts(t *testing.T) {
	m, b := loadParity(t, "testdata/models/xgboost_bike_binary_missing/model.json", "testdata/models/xgboost_bike_binary_missing/input.csv", false)
	want := make([]float64, b.Rows*m.NumOutputs())
	require.NoError(t, engine.CPU{}.Score(context.Background(), m, b, want))
	f := &Fallback{Primary: failing{}, Secondary: engine.CPU{}}
	got := make([]float64, len(want))
	require.NoError(t, f.Score(context.Background(), m, b, got))
	require.Equal(t, want, got)
	require.EqualValues(t, 1, f.Fallbacks())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.Error(t, f.Score(ctx, m, b, got))
	require.EqualValues(t, 1, f.Fallbacks())
}
