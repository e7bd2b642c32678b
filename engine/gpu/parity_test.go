package gpu

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/dataset"
	"github.com/mlectl/mlectl/engine/model"
)

// openTestDevice opens any OpenCL device (POCL on a CPU counts) or skips.
func openTestDevice(tb testing.TB) *OpenCL {
	tb.Helper()
	o, err := OpenOpenCL(Options{AllowCPU: true, BatchRows: 128}) // many chunks: both slots in flight
	if err != nil {
		if errors.Is(err, ErrNoDevice) || errors.Is(err, apiErr) {
			tb.Skipf("no OpenCL platform here (install ocl-icd-libopencl1 and pocl-opencl-icd): %v", err)
		}
		tb.Fatal(err)
	}
	tb.Cleanup(func() { o.Close() })
	return o
}

// parityModels is every XGBoost model file in the repository's fixtures:
// each format, objective, missing values, categorical splits and DART.
var parityModels = []struct {
	model, input string
}{
	{"testdata/models/xgboost_bike_cnt_regression/model.json", "testdata/models/xgboost_bike_cnt_regression/input.csv"},
	{"testdata/models/xgboost_bike_binary_missing/model.json", "testdata/models/xgboost_bike_binary_missing/input.csv"},
	{"testdata/models/xgboost_bike_multiclass/model.json", "testdata/models/xgboost_bike_multiclass/input.csv"},
	{"testdata/models/xgboost_bike_categorical/model.json", "testdata/models/xgboost_bike_categorical/input.csv"},
	{"testdata/models/xgboost_bike_dart/model.json", "testdata/models/xgboost_bike_dart/input.csv"},
	{"testdata/models/xgboost_agaricus/xgagaricus.model", "testdata/models/xgboost_agaricus/agaricus_test_head400.libsvm"},
	{"engine/model/testdata/regression/model.bin", "engine/model/testdata/regression/input.csv"},
	{"engine/model/testdata/regression/model.ubj", "engine/model/testdata/regression/input.csv"},
	{"engine/model/testdata/binary_missing/model.bin", "engine/model/testdata/binary_missing/input.csv"},
	{"engine/model/testdata/binary_missing/model.ubj", "engine/model/testdata/binary_missing/input.csv"},
	{"engine/model/testdata/multiclass/model.bin", "engine/model/testdata/multiclass/input.csv"},
	{"engine/model/testdata/multiclass/model.ubj", "engine/model/testdata/multiclass/input.csv"},
	{"engine/model/testdata/dart_poisson/model.bin", "engine/model/testdata/dart_poisson/input.csv"},
	{"engine/model/testdata/dart_poisson/model.ubj", "engine/model/testdata/dart_poisson/input.csv"},
}

func repoPath(p string) string { return filepath.Join("..", "..", p) }

func loadParity(t *testing.T, modelPath, inputPath string, raw bool) (*model.XGBoostJSON, engine.Batch) {
	t.Helper()
	data, err := os.ReadFile(repoPath(modelPath))
	require.NoError(t, err)
	m, err := model.Load(data, model.FormatAuto, model.Options{Raw: raw})
	require.NoError(t, err)
	x, ok := m.(*model.XGBoostJSON)
	require.True(t, ok, "%T", m)
	f, err := os.Open(repoPath(inputPath))
	require.NoError(t, err)
	defer f.Close()
	b, err := dataset.Read(f, dataset.Options{Format: dataset.DetectFormat(inputPath, nil), NumFeatures: x.NumFeatures(), LabelColumn: -1, Absent: math.NaN()})
	require.NoError(t, err)
	return x, b
}

// TestOpenCLParity: every XGBoost model the CPU backend reads scores the
// same on the OpenCL backend — the same leaves (raw margins bit-equal to
// the CPU evaluator's float32 sums) and predictions within 1e-6 relative.
func TestOpenCLParity(t *testing.T) {
	o := openTestDevice(t)
	t.Logf("OpenCL device: %s (GPU: %v)", o.Device(), o.IsGPU())
	ctx := context.Background()
	for _, pm := range parityModels {
		t.Run(pm.model, func(t *testing.T) {
			// Raw margins: the float32 sums, compared bit for bit.
			m, b := loadParity(t, pm.model, pm.input, true)
			// Poison some cells with ±Inf and NaN to take every path.
			for i := 7; i < len(b.Values); i += 53 {
				b.Values[i] = [3]float64{math.NaN(), math.Inf(1), math.Inf(-1)}[i%3]
			}
			cpu := make([]float64, b.Rows*m.NumOutputs())
			require.NoError(t, engine.CPU{}.Score(ctx, m, b, cpu))
			margins, err := o.Margins(m, b)
			require.NoError(t, err)
			require.Len(t, margins, len(cpu))
			for i := range cpu {
				require.Equal(t, math.Float32bits(float32(cpu[i])), math.Float32bits(margins[i]), "row %d: cpu %v, opencl %v", i/m.NumOutputs(), cpu[i], margins[i])
			}

			// Transformed predictions through Score.
			mt, bt := loadParity(t, pm.model, pm.input, false)
			want := make([]float64, bt.Rows*mt.NumOutputs())
			require.NoError(t, engine.CPU{}.Score(ctx, mt, bt, want))
			got := make([]float64, len(want))
			require.NoError(t, o.Score(ctx, mt, bt, got))
			var maxRel float64
			for i := range want {
				d := math.Abs(got[i] - want[i])
				if want[i] != 0 {
					maxRel = max(maxRel, d/math.Abs(want[i]))
				}
				require.LessOrEqual(t, d, 1e-6*math.Abs(want[i]), "row %d", i/mt.NumOutputs())
			}
			t.Logf("%d rows: margins bit-equal, predictions max rel diff %.3g", b.Rows, maxRel)
		})
	}
}

// foreignModel is an engine.Model that no device kernel scores.
type foreignModel struct{}

func (foreignModel) NumFeatures() int { return 2 }
func (foreignModel) NumOutputs() int  { return 1 }
func (foreignModel) PredictBatch(b engine.Batch, out []float64) error {
	clear(out)
	return nil
}

// TestOpenCLRefusesOtherModels: a model neither kernel scores is refused,
// naming what the backend scores.
func TestOpenCLRefusesOtherModels(t *testing.T) {
	o := openTestDevice(t)
	var m foreignModel
	b := engine.NewBatch(1, m.NumFeatures())
	err := o.Score(context.Background(), m, b, make([]float64, m.NumOutputs()))
	require.ErrorContains(t, err, "opencl backend scores XGBoost and LightGBM models only, not gpu.foreignModel (use cpu)")
}

// TestCUDAParity is TestOpenCLParity on the CUDA backend: raw margins bit
// equal to the CPU evaluator's, predictions within 1e-6 relative. It runs
// only where libcuda.so.1 and a GPU are present (scripts/gpu-check.sh).
func TestCUDAParity(t *testing.T) {
	c, err := OpenCUDA(128) // many chunks
	if err != nil {
		t.Skipf("no CUDA device here: %v", err)
	}
	defer c.Close()
	t.Logf("CUDA device: %s", c.Device())
	ctx := context.Background()
	for _, pm := range parityModels {
		t.Run(pm.model, func(t *testing.T) {
			m, b := loadParity(t, pm.model, pm.input, true)
			for i := 7; i < len(b.Values); i += 53 {
				b.Values[i] = [3]float64{math.NaN(), math.Inf(1), math.Inf(-1)}[i%3]
			}
			cpu := make([]float64, b.Rows*m.NumOutputs())
			require.NoError(t, engine.CPU{}.Score(ctx, m, b, cpu))
			margins, err := c.Margins(m, b)
			require.NoError(t, err)
			require.Len(t, margins, len(cpu))
			for i := range cpu {
				require.Equal(t, math.Float32bits(float32(cpu[i])), math.Float32bits(margins[i]), "row %d: cpu %v, cuda %v", i/m.NumOutputs(), cpu[i], margins[i])
			}
			mt, bt := loadParity(t, pm.model, pm.input, false)
			want := make([]float64, bt.Rows*mt.NumOutputs())
			require.NoError(t, engine.CPU{}.Score(ctx, mt, bt, want))
			got := make([]float64, len(want))
			require.NoError(t, c.Score(ctx, mt, bt, got))
			for i := range want {
				require.LessOrEqual(t, math.Abs(got[i]-want[i]), 1e-6*math.Abs(want[i]), "row %d", i/mt.NumOutputs())
			}
		})
	}
}
