package explain

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/dataset"
	"github.com/mlectl/mlectl/engine/model"
)

// repoModel is a model fixture shared with engine/model's tests.
func repoModel(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "testdata", "models"}, parts...)...)
}

func loadFile(t testing.TB, path string) *Forest {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := Load(data, "")
	require.NoError(t, err)
	return f
}

// readInput reads up to rows rows of a CSV/TSV/libsvm input as the scorer does.
func readInput(t testing.TB, path string, f *Forest, absent float64, format dataset.Format, labelColumn, rows int) engine.Batch {
	t.Helper()
	in, err := os.Open(path)
	require.NoError(t, err)
	defer in.Close()
	b, err := dataset.Read(in, dataset.Options{Format: format, NumFeatures: f.NumFeatures(), FeatureNames: f.FeatureNames(), LabelColumn: labelColumn, Absent: absent})
	require.NoError(t, err)
	if rows > 0 && b.Rows > rows {
		b = b.Slice(0, rows)
	}
	return b
}

// readContribs reads a reference contributions CSV (header, then numbers).
func readContribs(t testing.TB, path string) (header []string, values []float64) {
	t.Helper()
	in, err := os.Open(path)
	require.NoError(t, err)
	defer in.Close()
	recs, err := csv.NewReader(in).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, recs)
	for _, rec := range recs[1:] {
		for _, s := range rec {
			v, err := strconv.ParseFloat(s, 64)
			require.NoError(t, err)
			values = append(values, v)
		}
	}
	return recs[0], values
}

// TestMatchesXGBoost compares TreeSHAP with XGBoost 1.7.4's own
// pred_contribs (testdata/gen_contribs.py) value by value: within 1e-4
// relative, or 1e-5 absolute for values near zero, since XGBoost sums
// contributions in float32.
func TestMatchesXGBoost(t *testing.T) {
	cases := []struct {
		name, model, input, contribs string
	}{
		{"bike regression", repoModel("xgboost_bike_cnt_regression", "model.json"), repoModel("xgboost_bike_cnt_regression", "input.csv"), "testdata/xgboost_bike_cnt_regression_contribs.csv"},
		{"adult binary", "testdata/adult_binary/model.json", "testdata/adult_binary/input.csv", "testdata/adult_binary/contribs.csv"},
		{"bike binary with missing values", repoModel("xgboost_bike_binary_missing", "model.json"), repoModel("xgboost_bike_binary_missing", "input.csv"), "testdata/xgboost_bike_binary_missing_contribs.csv"},
		{"bike multiclass", repoModel("xgboost_bike_multiclass", "model.json"), repoModel("xgboost_bike_multiclass", "input.csv"), "testdata/xgboost_bike_multiclass_contribs.csv"},
		{"bike categorical", repoModel("xgboost_bike_categorical", "model.json"), repoModel("xgboost_bike_categorical", "input.csv"), "testdata/xgboost_bike_categorical_contribs.csv"},
		{"bike dart", repoModel("xgboost_bike_dart", "model.json"), repoModel("xgboost_bike_dart", "input.csv"), "testdata/xgboost_bike_dart_contribs.csv"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := loadFile(t, tc.model)
			header, want := readContribs(t, tc.contribs)
			require.Equal(t, append(append([]string(nil), f.FeatureNames()...), "bias"), header)
			rows := len(want) / f.Width()
			b := readInput(t, tc.input, f, math.NaN(), dataset.FormatCSV, -1, rows)
			require.Equal(t, rows, b.Rows)
			got := make([]float64, b.Rows*f.Width())
			require.NoError(t, NewExplainer(f).Explain(context.Background(), b, got))
			maxAbs, maxRel, worst := 0.0, 0.0, 0.0
			for i := range want {
				d := math.Abs(got[i] - want[i])
				maxAbs = max(maxAbs, d)
				if math.Abs(want[i]) >= 0.1 {
					maxRel = max(maxRel, d/math.Abs(want[i]))
				}
				worst = max(worst, d/max(1e-5, 1e-4*math.Abs(want[i])))
				if d > 1e-5 && d > 1e-4*math.Abs(want[i]) {
					require.Failf(t, "contribution differs from XGBoost", "row %d column %s: got %.9g, XGBoost %.9g",
						i/len(header), header[i%len(header)], got[i], want[i])
				}
			}
			t.Logf("%d rows x %d values: max |diff| %.3g, max relative diff (|value| >= 0.1) %.3g, worst diff %.2f of the tolerance",
				b.Rows, f.Width(), maxAbs, maxRel, worst)
		})
	}
}

// TestAdditivity checks, on every leaves/LightGBM fixture, that each row's
// contributions plus the bias equal the raw margin engine/model scores for
// it, within 1e-9 (both sides accumulate in float64).
func TestAdditivity(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "data", "leaves")
	cases := []struct {
		name, model, input string
		format             dataset.Format
		labelColumn        int
		absent             float64
		// tol is relative: engine/model's own XGBoost scorer (legacy binary
		// files too) sums margins in float32 as XGBoost does, leaves in float64.
		tol float64
	}{
		{"lightgbm breast cancer dart", repoModel("lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model"), repoModel("lightgbm_breast_cancer_dart", "breast_cancer_test.tsv"), dataset.FormatTSV, -1, 0, 1e-9},
		{"lightgbm multiclass", repoModel("lightgbm_multiclass", "lgmulticlass.model"), repoModel("lightgbm_multiclass", "multiclass_test_head200.tsv"), dataset.FormatTSV, 0, 0, 1e-9},
		{"xgboost legacy binary agaricus", repoModel("xgboost_agaricus", "xgagaricus.model"), repoModel("xgboost_agaricus", "agaricus_test_head400.libsvm"), dataset.FormatLibSVM, -1, math.NaN(), 1e-6},
		{"lightgbm kddcup99 categorical (../shared)", filepath.Join(shared, "lightgbm_kddcup99_categorical", "lg_kddcup99.model"), filepath.Join(shared, "lightgbm_kddcup99_categorical", "kddcup99_test.tsv"), dataset.FormatTSV, -1, 0, 1e-9},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(tc.model); err != nil && os.IsNotExist(err) {
				t.Skipf("%s is absent (it lives in ../shared, outside the repository)", tc.model)
			}
			data, err := os.ReadFile(tc.model)
			require.NoError(t, err)
			f, err := Load(data, "")
			require.NoError(t, err)
			m, err := model.Load(data, "", model.Options{Raw: true})
			require.NoError(t, err)
			require.Equal(t, m.NumOutputs(), f.NumGroups())

			b := readInput(t, tc.input, f, tc.absent, tc.format, tc.labelColumn, 0)
			margins := make([]float64, b.Rows*m.NumOutputs())
			require.NoError(t, engine.CPU{}.Score(context.Background(), m, b, margins))
			contribs := make([]float64, b.Rows*f.Width())
			require.NoError(t, NewExplainer(f).Explain(context.Background(), b, contribs))

			stride := f.NumFeatures() + 1
			worst := 0.0
			for i, margin := range margins {
				sum := 0.0
				for _, c := range contribs[i*stride : (i+1)*stride] {
					sum += c
				}
				d := math.Abs(sum - margin)
				worst = max(worst, d)
				require.LessOrEqualf(t, d, tc.tol*max(1, math.Abs(margin)), "row %d group %d: contributions sum to %.17g, margin %.17g",
					i/f.NumGroups(), i%f.NumGroups(), sum, margin)
			}
			t.Logf("%d rows x %d groups: max |sum - margin| %.3g", b.Rows, f.NumGroups(), worst)
		})
	}
}

// TestExplainRowAllocatesNothing: after setup, a row costs no allocation.
func TestExplainRowAllocatesNothing(t *testing.T) {
	f := loadFile(t, "testdata/adult_binary/model.json")
	b := readInput(t, "testdata/adult_binary/input.csv", f, math.NaN(), dataset.FormatCSV, -1, 0)
	out := make([]float64, f.Width())
	s := f.NewScratch()
	r := 0
	allocs := testing.AllocsPerRun(100, func() {
		if err := f.ExplainRow(b.Row(r%b.Rows), out, s); err != nil {
			t.Fatal(err)
		}
		r++
	})
	require.Zero(t, allocs)
	require.ErrorContains(t, f.ExplainRow(b.Row(0)[:3], out, s), "row of 3 values")
}

// TestWorkersAgree: splitting rows over workers changes nothing.
func TestWorkersAgree(t *testing.T) {
	f := loadFile(t, "testdata/adult_binary/model.json")
	b := readInput(t, "testdata/adult_binary/input.csv", f, math.NaN(), dataset.FormatCSV, -1, 0)
	want := make([]float64, b.Rows*f.Width())
	require.NoError(t, (&Explainer{forest: f, Workers: 1}).Explain(context.Background(), b, want))
	for _, workers := range []int{0, 3, 7} {
		got := make([]float64, len(want))
		require.NoError(t, (&Explainer{forest: f, Workers: workers}).Explain(context.Background(), b, got))
		require.Equal(t, want, got, "workers=%d", workers)
	}
}

// TestFormatsExplainAlike: a model XGBoost 1.7.4 saved as JSON, UBJSON and
// binf (engine/model/testdata, gen_formats.py) explains to the same
// contributions in all three: the covers and base_score of each format are
// read the same way.
func TestFormatsExplainAlike(t *testing.T) {
	for _, name := range []string{"regression", "binary_missing", "multiclass", "dart_poisson"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "model", "testdata", name)
			want := loadFile(t, filepath.Join(dir, "model.json"))
			b := readInput(t, filepath.Join(dir, "input.csv"), want, math.NaN(), dataset.FormatCSV, -1, 0)
			require.Positive(t, b.Rows)
			wantOut := make([]float64, b.Rows*want.Width())
			require.NoError(t, NewExplainer(want).Explain(context.Background(), b, wantOut))
			for _, file := range []string{"model.ubj", "model.bin"} {
				f := loadFile(t, filepath.Join(dir, file))
				got := make([]float64, b.Rows*f.Width())
				require.NoError(t, NewExplainer(f).Explain(context.Background(), b, got))
				require.Equal(t, wantOut, got, file)
			}
		})
	}
}
