package gpu

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/dataset"
	"github.com/mlectl/mlectl/engine/explain"
)

// shapRows caps the rows each parity case explains: POCL runs the kernel
// on this machine's (shared) cores, so the suite stays a few seconds.
const shapRows = 150

// shapModels is every model engine/explain explains in its tests:
// XGBoost JSON, UBJSON, binf and legacy binary, LightGBM text (numeric,
// DART, multi-class, categorical), with missing values, categorical splits
// and DART. contribs, when set, is XGBoost 1.7.4's pred_contribs for the
// same rows (engine/explain/testdata/gen_contribs.py).
var shapModels = []struct {
	model, input, contribs string
	labelColumn            int
}{
	{"testdata/models/xgboost_bike_cnt_regression/model.json", "testdata/models/xgboost_bike_cnt_regression/input.csv", "engine/explain/testdata/xgboost_bike_cnt_regression_contribs.csv", -1},
	{"testdata/models/xgboost_bike_binary_missing/model.json", "testdata/models/xgboost_bike_binary_missing/input.csv", "engine/explain/testdata/xgboost_bike_binary_missing_contribs.csv", -1},
	{"testdata/models/xgboost_bike_multiclass/model.json", "testdata/models/xgboost_bike_multiclass/input.csv", "engine/explain/testdata/xgboost_bike_multiclass_contribs.csv", -1},
	{"testdata/models/xgboost_bike_categorical/model.json", "testdata/models/xgboost_bike_categorical/input.csv", "engine/explain/testdata/xgboost_bike_categorical_contribs.csv", -1},
	{"testdata/models/xgboost_bike_dart/model.json", "testdata/models/xgboost_bike_dart/input.csv", "engine/explain/testdata/xgboost_bike_dart_contribs.csv", -1},
	{"engine/explain/testdata/adult_binary/model.json", "engine/explain/testdata/adult_binary/input.csv", "engine/explain/testdata/adult_binary/contribs.csv", -1},
	{"testdata/models/xgboost_agaricus/xgagaricus.model", "testdata/models/xgboost_agaricus/agaricus_test_head400.libsvm", "", -1},
	{"engine/model/testdata/regression/model.ubj", "engine/model/testdata/regression/input.csv", "", -1},
	{"engine/model/testdata/regression/model.bin", "engine/model/testdata/regression/input.csv", "", -1},
	{"engine/model/testdata/binary_missing/model.ubj", "engine/model/testdata/binary_missing/input.csv", "", -1},
	{"engine/model/testdata/binary_missing/model.bin", "engine/model/testdata/binary_missing/input.csv", "", -1},
	{"engine/model/testdata/multiclass/model.ubj", "engine/model/testdata/multiclass/input.csv", "", -1},
	{"engine/model/testdata/multiclass/model.bin", "engine/model/testdata/multiclass/input.csv", "", -1},
	{"engine/model/testdata/dart_poisson/model.ubj", "engine/model/testdata/dart_poisson/input.csv", "", -1},
	{"engine/model/testdata/dart_poisson/model.bin", "engine/model/testdata/dart_poisson/input.csv", "", -1},
	{"testdata/models/lightgbm_breast_cancer_dart/lg_dart_breast_cancer.model", "testdata/models/lightgbm_breast_cancer_dart/breast_cancer_test.tsv", "", -1},
	{"testdata/models/lightgbm_breast_cancer_dart/lg_dart_breast_cancer.json", "testdata/models/lightgbm_breast_cancer_dart/breast_cancer_test.tsv", "", -1}, // LightGBM's JSON dump
	{"testdata/models/lightgbm_multiclass/lgmulticlass.model", "testdata/models/lightgbm_multiclass/multiclass_test_head200.tsv", "", 0},
	{"../shared/data/leaves/lightgbm_kddcup99_categorical/lg_kddcup99.model", "../shared/data/leaves/lightgbm_kddcup99_categorical/kddcup99_test.tsv", "", -1},
}

// loadShap reads a model into a Forest and up to shapRows rows of its input.
func loadShap(t testing.TB, modelPath, inputPath string, labelColumn int) (*explain.Forest, engine.Batch) {
	t.Helper()
	data, err := os.ReadFile(repoPath(modelPath))
	require.NoError(t, err)
	f, err := explain.Load(data, "")
	require.NoError(t, err)
	in, err := os.Open(repoPath(inputPath))
	require.NoError(t, err)
	defer in.Close()
	b, err := dataset.Read(in, dataset.Options{Format: dataset.DetectFormat(inputPath, nil), NumFeatures: f.NumFeatures(),
		FeatureNames: f.FeatureNames(), LabelColumn: labelColumn, Absent: f.AbsentValue()})
	require.NoError(t, err)
	if b.Rows > shapRows {
		b = b.Slice(0, shapRows)
	}
	return f, b
}

// readOracle reads an XGBoost pred_contribs CSV (header, then numbers).
func readOracle(t *testing.T, path string) []float64 {
	t.Helper()
	in, err := os.Open(path)
	require.NoError(t, err)
	defer in.Close()
	recs, err := csv.NewReader(in).ReadAll()
	require.NoError(t, err)
	var vals []float64
	for _, rec := range recs[1:] {
		for _, s := range rec {
			v, err := strconv.ParseFloat(s, 64)
			require.NoError(t, err)
			vals = append(vals, v)
		}
	}
	return vals
}

// relErr is |got - want| relative to |want|, or absolute below 1 (where a
// relative error of a value near zero means nothing).
func relErr(got, want float64) float64 { return math.Abs(got-want) / max(1, math.Abs(want)) }

// TestOpenCLExplainParity: on every model the CPU explains, the OpenCL
// kernel's contributions (double on POCL) equal the CPU TreeSHAP's within
// 1e-9 relative (they follow the same operations in the same order, so in
// practice they are bit-equal), and, where XGBoost 1.7.4's pred_contribs
// is kept, match it as the CPU's do (1e-5 absolute or 1e-4 relative:
// XGBoost sums in float32).
func TestOpenCLExplainParity(t *testing.T) {
	o := openTestDevice(t)
	e := NewOpenCLExplainer(o, ExplainOptions{BatchRows: 64}) // several chunks per case
	defer e.Close()
	t.Logf("OpenCL device: %s, %s", e.Device(), e.Precision())
	checkExplainParity(t, "opencl", e)
}

// TestCUDAExplainParity is TestOpenCLExplainParity on a CUDA GPU (skipped
// without one, as here: the CUDA kernel has not run in this project).
func TestCUDAExplainParity(t *testing.T) {
	c, err := OpenCUDA(0)
	if err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	defer c.Close()
	e, err := NewCUDAExplainer(c)
	require.NoError(t, err)
	defer e.Close()
	e.BatchRows = 64
	t.Logf("CUDA device: %s", e.Device())
	checkExplainParity(t, "cuda", e)
}

// checkExplainParity compares e with the CPU TreeSHAP and XGBoost's
// pred_contribs on every model of shapModels.
func checkExplainParity(t *testing.T, backend string, e Explainer) {
	ctx := context.Background()
	for _, tc := range shapModels {
		t.Run(tc.model, func(t *testing.T) {
			if _, err := os.Stat(repoPath(tc.model)); os.IsNotExist(err) && strings.HasPrefix(tc.model, "../") {
				t.Skipf("%s is absent (it lives in ../shared, outside the repository)", tc.model)
			}
			f, b := loadShap(t, tc.model, tc.input, tc.labelColumn)
			want := make([]float64, b.Rows*f.Width())
			require.NoError(t, explain.NewExplainer(f).Explain(ctx, b, want))
			got := make([]float64, len(want))
			require.NoError(t, e.Explain(ctx, f, b, got))
			worst, equal := 0.0, 0
			for i := range want {
				r := relErr(got[i], want[i])
				worst = max(worst, r)
				if got[i] == want[i] {
					equal++
				}
				if r > 1e-9 {
					require.Failf(t, "device contribution differs from the CPU's", "row %d value %d: %s %.17g, cpu %.17g", i/f.Width(), i%f.Width(), backend, got[i], want[i])
				}
			}
			t.Logf("%d rows x %d values: worst relative difference %.3g, %d of %d bit-equal", b.Rows, f.Width(), worst, equal, len(want))
			if tc.contribs == "" {
				return
			}
			oracle := readOracle(t, repoPath(tc.contribs))
			n := min(len(oracle), len(got))
			require.Positive(t, n)
			worstX := 0.0
			for i := 0; i < n; i++ {
				d := math.Abs(got[i] - oracle[i])
				worstX = max(worstX, d/max(1e-5, 1e-4*math.Abs(oracle[i])))
				require.Truef(t, d <= 1e-5 || d <= 1e-4*math.Abs(oracle[i]), "row %d value %d: %s %.9g, XGBoost %.9g", i/f.Width(), i%f.Width(), backend, got[i], oracle[i])
			}
			t.Logf("against XGBoost 1.7.4 pred_contribs (%d values): worst difference %.2f of the tolerance", n, worstX)
		})
	}
}

// TestOpenCLExplainFloat: on a device without double (forced here), the
// kernel computes in float: XGBoost models explain within float's
// rounding (1e-4 relative to the row's largest contribution, the kernel
// adds hundreds of float terms per value), and LightGBM models, whose
// float64 split decisions float cannot reproduce, are refused so that the
// caller explains them on the CPU.
func TestOpenCLExplainFloat(t *testing.T) {
	o := openTestDevice(t)
	e := NewOpenCLExplainer(o, ExplainOptions{Float: true})
	defer e.Close()
	require.Equal(t, "float", e.Precision())
	ctx := context.Background()
	for _, tc := range shapModels[:3] {
		f, b := loadShap(t, tc.model, tc.input, tc.labelColumn)
		want := make([]float64, b.Rows*f.Width())
		require.NoError(t, explain.NewExplainer(f).Explain(ctx, b, want))
		got := make([]float64, len(want))
		require.NoError(t, e.Explain(ctx, f, b, got))
		worst := 0.0
		for r := 0; r < b.Rows; r++ {
			scale := 0.0
			for _, v := range want[r*f.Width() : (r+1)*f.Width()] {
				scale = max(scale, math.Abs(v))
			}
			for i := r * f.Width(); i < (r+1)*f.Width(); i++ {
				d := math.Abs(got[i]-want[i]) / max(scale, 1e-30)
				worst = max(worst, d)
				require.LessOrEqualf(t, d, 1e-4, "%s row %d value %d: float %.9g, cpu %.9g", tc.model, r, i%f.Width(), got[i], want[i])
			}
		}
		t.Logf("%s: worst difference %.3g of the row's largest contribution", tc.model, worst)
	}
	lgb, b := loadShap(t, "testdata/models/lightgbm_multiclass/lgmulticlass.model", "testdata/models/lightgbm_multiclass/multiclass_test_head200.tsv", 0)
	err := e.Explain(ctx, lgb, b.Slice(0, 1), make([]float64, lgb.Width()))
	require.ErrorContains(t, err, "no double precision")
}

// TestExplainDepthBound: models deeper than the kernels' bound are refused
// with ErrTooDeep (the caller explains them on the CPU); shallower ones
// compile for the smallest bucket that holds them.
func TestExplainDepthBound(t *testing.T) {
	for _, tc := range []struct{ depth, bound int }{{0, 8}, {6, 8}, {8, 8}, {9, 16}, {17, 32}, {32, 32}} {
		got, err := depthBound(tc.depth)
		require.NoError(t, err)
		require.Equal(t, tc.bound, got, "depth %d", tc.depth)
	}
	_, err := depthBound(33)
	require.ErrorIs(t, err, ErrTooDeep)
	require.ErrorContains(t, err, "cpu backend")
}
