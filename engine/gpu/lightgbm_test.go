package gpu

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/dataset"
	"github.com/mlectl/mlectl/engine/internal/lgbfixture"
	"github.com/mlectl/mlectl/engine/model"
)

// lightgbmFixture is a LightGBM model.txt with an input and LightGBM's own
// predictions for it, compared at the tolerance cmd/mlectl's shadow score
// tests use.
type lightgbmFixture struct {
	name, model, input, expected string
	labelColumn                  int
	raw                          bool
	tol                          float64 // absolute
	// missingTypes rewrites the numeric splits' decision_type (parity
	// only: LightGBM made no predictions for the rewritten model).
	missingTypes bool
}

// lightgbmFixtures are the three LightGBM models of the fixtures: binary
// DART (repository), multiclass softmax (repository), categorical splits
// (shared workspace only: its path starts with "shared/").
var lightgbmFixtures = []lightgbmFixture{
	{"breast_cancer_dart", "testdata/models/lightgbm_breast_cancer_dart/lg_dart_breast_cancer.model",
		"testdata/models/lightgbm_breast_cancer_dart/breast_cancer_test.tsv",
		"testdata/models/lightgbm_breast_cancer_dart/lg_dart_breast_cancer_true_predictions.txt", -1, false, 1e-6, false},
	{"multiclass", "testdata/models/lightgbm_multiclass/lgmulticlass.model",
		"testdata/models/lightgbm_multiclass/multiclass_test_head200.tsv",
		"testdata/models/lightgbm_multiclass/lgmulticlass_true_predictions_head200.txt", 0, false, 1e-7, false},
	{"kddcup99_categorical", "shared/data/leaves/lightgbm_kddcup99_categorical/lg_kddcup99.model",
		"shared/data/leaves/lightgbm_kddcup99_categorical/kddcup99_test.tsv",
		"shared/data/leaves/lightgbm_kddcup99_categorical/lg_kddcup99_true_predictions.txt", -1, true, 1e-6, false},
}

// dumpFixture is the JSON dump LightGBM wrote of the breast cancer DART
// model (dump_model(), a v2 dump without objective: raw margins only),
// read by engine/model into the forest its model.txt gives.
var dumpFixture = lightgbmFixture{name: "breast_cancer_dart_json_dump", model: "testdata/models/lightgbm_breast_cancer_dart/lg_dart_breast_cancer.json",
	input: "testdata/models/lightgbm_breast_cancer_dart/breast_cancer_test.tsv", labelColumn: -1, raw: true}

// missingTypesFixture is the multiclass model with its numeric splits'
// missing types and default directions cycled over all six combinations
// (None, Zero, NaN × left, right): the fixtures' own numeric splits are all
// "None, default left", so the Zero and NaN paths need this model.
var missingTypesFixture = lightgbmFixture{name: "multiclass_missing_types", model: "testdata/models/lightgbm_multiclass/lgmulticlass.model",
	input: "testdata/models/lightgbm_multiclass/multiclass_test_head200.tsv", labelColumn: 0, missingTypes: true}

// fixturePath resolves a fixture path: the repository's, or the shared
// workspace's beside the checkout.
func fixturePath(p string) string {
	if rest, ok := strings.CutPrefix(p, "shared/"); ok {
		return filepath.Join("..", "..", "..", "shared", rest)
	}
	return repoPath(p)
}

// readLightGBM loads a fixture's model, or skips when it is only in the
// shared workspace and that is absent.
func readLightGBM(t testing.TB, fx lightgbmFixture, raw bool) *model.LightGBM {
	t.Helper()
	data, err := os.ReadFile(fixturePath(fx.model))
	if err != nil && strings.HasPrefix(fx.model, "shared/") {
		t.Skipf("the %s model is only in the shared workspace: %v", fx.name, err)
	}
	require.NoError(t, err)
	if fx.missingTypes {
		data = []byte(lgbfixture.CycleMissingTypes(string(data)))
	}
	m, err := model.Load(data, model.FormatAuto, model.Options{Raw: raw})
	require.NoError(t, err)
	l, ok := m.(*model.LightGBM)
	require.True(t, ok, "%T", m)
	return l
}

// lightgbmOddRows fills rows with values that take every branch of m's
// splits: NaN; zeros, and values at and around the Zero missing type's
// 1e-35 bound; the model's own thresholds and their float64 neighbours
// (x <= threshold exactly); small integers and fractions (categories,
// negative ones too, and -1 < x < 0, which is category 0); ±Inf, 2^31 and
// values past any bitset; and ordinary values.
func lightgbmOddRows(m *model.LightGBM, rows int, seed uint64) engine.Batch {
	cols := m.NumFeatures()
	thresholds := make([][]float64, cols)
	fo := m.Forest()
	for i, l := range fo.Left {
		if l >= 0 && fo.CatSet[i] < 0 {
			thresholds[fo.Feature[i]] = append(thresholds[fo.Feature[i]], fo.Value[i])
		}
	}
	r := rand.New(rand.NewPCG(seed, 11))
	edges := []float64{0, math.Copysign(0, -1), 1e-36, -1e-36, 1e-35, -1e-35, 2e-35, -2e-35,
		math.Inf(1), math.Inf(-1), 1 << 31, 1<<31 - 1, -1, -0.999, 1e12, -0.5, 0.5, 64, 65, 1000}
	b := engine.NewBatch(rows, cols)
	for i := range b.Values {
		switch r.IntN(10) {
		case 0:
			b.Values[i] = math.NaN()
		case 1, 2:
			b.Values[i] = edges[r.IntN(len(edges))]
		case 3:
			b.Values[i] = float64(r.IntN(80) - 3)
		case 4, 5:
			if ts := thresholds[i%cols]; len(ts) > 0 {
				v := ts[r.IntN(len(ts))]
				b.Values[i] = [3]float64{v, math.Nextafter(v, math.Inf(1)), math.Nextafter(v, math.Inf(-1))}[r.IntN(3)]
				continue
			}
			fallthrough
		default:
			b.Values[i] = r.NormFloat64() * 3
		}
	}
	return b
}

// readInput reads a fixture's input rows for m.
func readInput(t testing.TB, fx lightgbmFixture, m engine.Model) engine.Batch {
	t.Helper()
	f, err := os.Open(fixturePath(fx.input))
	require.NoError(t, err)
	defer f.Close()
	b, err := dataset.Read(f, dataset.Options{Format: dataset.DetectFormat(fx.input, nil), NumFeatures: m.NumFeatures(),
		LabelColumn: fx.labelColumn, Absent: 0})
	require.NoError(t, err)
	return b
}

// TestOpenCLLightGBMParity: every LightGBM model.txt fixture, and the
// JSON dump of one, scores on the
// OpenCL backend exactly as engine/model's CPU evaluator scores it: raw
// margins bit-equal (the same leaves, summed in the same order in double)
// and outputs bit-equal (the same output link on the host), on the
// fixture's rows and on rows built to take every branch (NaN, zeros and
// the 1e-35 bound, categories in, out of and past the sets, negative ones,
// ±Inf), through the two-queue pipeline in many chunks (97 rows, the last
// one partial), call after call and for a smaller batch after a larger one.
func TestOpenCLLightGBMParity(t *testing.T) {
	const chunk = 97
	o := openQueues(t, 2, chunk)
	require.NoError(t, o.LightGBMSupport(), "POCL has cl_khr_fp64")
	t.Logf("OpenCL device: %s", o.Device())
	ctx := context.Background()
	for _, fx := range append(lightgbmFixtures, missingTypesFixture, dumpFixture) {
		t.Run(fx.name, func(t *testing.T) {
			raw := readLightGBM(t, fx, true)
			odd := lightgbmOddRows(raw, 30*chunk+41, 3)
			real := readInput(t, fx, raw)
			for _, b := range []engine.Batch{odd, real, odd.Slice(0, 7*chunk+3)} {
				want := make([]float64, b.Rows*raw.NumOutputs())
				require.NoError(t, raw.PredictBatch(b, want))
				for call := 0; call < 2; call++ {
					got, err := o.LightGBMMargins(raw, b)
					require.NoError(t, err)
					require.Len(t, got, len(want))
					for i := range want {
						require.Equal(t, math.Float64bits(want[i]), math.Float64bits(got[i]),
							"call %d, row %d group %d (chunk %d): cpu %v, opencl %v", call, i/raw.NumOutputs(), i%raw.NumOutputs(), i/raw.NumOutputs()/chunk, want[i], got[i])
					}
				}
			}

			if fx.raw {
				return // the categorical model's objective is scored raw only by its oracle
			}
			mt := readLightGBM(t, fx, false)
			for _, b := range []engine.Batch{odd, real} {
				want := make([]float64, b.Rows*mt.NumOutputs())
				require.NoError(t, engine.CPU{}.Score(ctx, mt, b, want))
				got := make([]float64, len(want))
				require.NoError(t, o.Score(ctx, mt, b, got))
				for i := range want {
					require.Equal(t, math.Float64bits(want[i]), math.Float64bits(got[i]), "row %d: cpu %v, opencl %v", i/mt.NumOutputs(), want[i], got[i])
				}
			}
			t.Logf("%d + %d rows, %d chunks of %d: margins and outputs bit-equal to the CPU evaluator", odd.Rows, real.Rows, (odd.Rows+chunk-1)/chunk, chunk)
		})
	}
}

// TestOpenCLLightGBMOracles: the OpenCL backend reproduces LightGBM's own
// predictions for the fixtures' inputs at the tolerances the CPU path is
// held to (cmd/mlectl's shadow score tests).
func TestOpenCLLightGBMOracles(t *testing.T) {
	o := openQueues(t, 2, 64)
	ctx := context.Background()
	for _, fx := range lightgbmFixtures {
		t.Run(fx.name, func(t *testing.T) {
			m := readLightGBM(t, fx, fx.raw)
			b := readInput(t, fx, m)
			got := make([]float64, b.Rows*m.NumOutputs())
			require.NoError(t, o.Score(ctx, m, b, got))
			want := readPredictions(t, fixturePath(fx.expected))
			require.Len(t, want, len(got))
			worst := 0.0
			for i := range want {
				d := math.Abs(got[i] - want[i])
				require.LessOrEqual(t, d, fx.tol, "row %d output %d: opencl %v, LightGBM %v", i/m.NumOutputs(), i%m.NumOutputs(), got[i], want[i])
				worst = max(worst, d)
			}
			t.Logf("%d rows: max abs diff from LightGBM %.3g (limit %g)", b.Rows, worst, fx.tol)
		})
	}
}

// readPredictions reads a predictions file: every number, row after row.
func readPredictions(t *testing.T, path string) []float64 {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []float64
	for _, f := range strings.FieldsFunc(string(data), func(r rune) bool { return strings.ContainsRune(" \t\r\n,", r) }) {
		v, err := strconv.ParseFloat(f, 64)
		require.NoError(t, err, "%s: %q", path, f)
		out = append(out, v)
	}
	return out
}

// TestLightGBMNeedsFP64: a device without cl_khr_fp64 refuses LightGBM
// models with the reason; Select("opencl") fails with it and PerModel
// scores the model on the CPU saying why, while XGBoost models stay on the
// device.
func TestLightGBMNeedsFP64(t *testing.T) {
	require.NoError(t, fp64Support("cl_khr_byte_addressable_store cl_khr_fp64 cl_khr_icd"))
	require.ErrorContains(t, fp64Support("cl_khr_fp16 cl_khr_fp64x cl_khr_icd"), "lacks cl_khr_fp64 (double precision)")

	openTestDevice(t) // skips without an OpenCL platform
	p, err := NewPerModel(PerModelOptions{Name: "opencl", AllowCPU: true})
	require.NoError(t, err)
	defer p.Close()
	o, err := p.devices.openCL(true)
	require.NoError(t, err)
	o.mu.Lock()
	o.lgb = lightgbmDevice{checked: true, err: fmt.Errorf("the OpenCL device %s %w", o.Device(), fp64Support("cl_khr_icd"))}
	o.mu.Unlock()

	fx := lightgbmFixtures[1]
	m := readLightGBM(t, fx, false)
	b := readInput(t, fx, m)
	err = o.Score(context.Background(), m, b, make([]float64, b.Rows*m.NumOutputs()))
	require.ErrorContains(t, err, "lacks cl_khr_fp64")
	_, err = p.devices.Select("opencl", m)
	require.ErrorContains(t, err, "lacks cl_khr_fp64")
	require.Contains(t, p.Describe(m), "cpu (opencl: the OpenCL device ")
	require.Contains(t, p.Describe(m), "lacks cl_khr_fp64")
	want := make([]float64, b.Rows*m.NumOutputs())
	require.NoError(t, m.PredictBatch(b, want))
	got := make([]float64, len(want))
	require.NoError(t, p.Score(context.Background(), m, b, got))
	require.Equal(t, want, got)

	x, _ := loadParity(t, parityModels[0].model, parityModels[0].input, false)
	require.Contains(t, p.Describe(x), "opencl on ", "XGBoost models need no double precision")
}

// TestOpenCLLightGBMDeviceErrorMidBatch: a LightGBM kernel launch failing
// on its 4th chunk, with chunks in flight on both queues, fails that batch
// only: Fallback scores it on the CPU and counts it, and the next batch
// runs on the device again with the CPU's outputs.
func TestOpenCLLightGBMDeviceErrorMidBatch(t *testing.T) {
	const chunk = 97
	o := openQueues(t, 2, chunk)
	m := readLightGBM(t, lightgbmFixtures[0], false)
	b := lightgbmOddRows(m, 12*chunk+5, 5)
	ctx := context.Background()
	counted := 0
	fb := &Fallback{Primary: o, Secondary: engine.CPU{}, Name: BackendOpenCL, OnFallback: func() { counted++ }}
	cpu := make([]float64, b.Rows*m.NumOutputs())
	require.NoError(t, m.PredictBatch(b, cpu))

	launches := 0
	o.dev.launchFault = func() clInt {
		if launches++; launches == 4 {
			return -5 // CL_OUT_OF_RESOURCES
		}
		return clSuccess
	}
	err := o.Score(ctx, m, b, make([]float64, len(cpu)))
	require.ErrorContains(t, err, "clEnqueueNDRangeKernel failed with status -5")
	launches = 0
	during := make([]float64, len(cpu))
	require.NoError(t, fb.Score(ctx, m, b, during))
	require.Equal(t, 1, counted)
	require.Equal(t, cpu, during)

	o.dev.launchFault = nil
	after := make([]float64, len(cpu))
	require.NoError(t, fb.Score(ctx, m, b, after))
	require.Equal(t, 1, counted, "the device runs again after the error")
	require.Equal(t, cpu, after)
}
