package model

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/internal/lgbfixture"
)

// lightGBMFiles are the LightGBM text models of the fixtures: binary dart,
// multiclass softmax, and (in the shared workspace) categorical splits;
// plus the multiclass model with its numeric splits' missing types cycled
// over None, Zero and NaN, default left and right (the fixtures' numeric
// splits are all "None, default left").
func lightGBMFiles(t testing.TB) map[string][]byte {
	multiclass := readFixture(t, "lightgbm_multiclass", "lgmulticlass.model")
	files := map[string][]byte{
		"breast_cancer_dart":       readFixture(t, "lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model"),
		"multiclass":               multiclass,
		"multiclass_missing_types": []byte(lgbfixture.CycleMissingTypes(string(multiclass))),
	}
	shared := filepath.Join("..", "..", "..", "shared", "data", "leaves", "lightgbm_kddcup99_categorical", "lg_kddcup99.model")
	if data, err := os.ReadFile(shared); err == nil {
		files["kddcup99_categorical"] = data
	} else {
		t.Logf("the categorical model is only in the shared workspace: %v", err)
	}
	return files
}

// oddRows fills rows with values that take every branch of a LightGBM
// split: NaN, zeros and values within 1e-35 of zero (the Zero missing
// type), small integers (categories, negative ones too), fractions, ±Inf
// and values past any bitset.
func oddRows(rows, cols int, seed uint64) engine.Batch {
	r := rand.New(rand.NewPCG(seed, 7))
	b := engine.NewBatch(rows, cols)
	for i := range b.Values {
		switch r.IntN(10) {
		case 0:
			b.Values[i] = math.NaN()
		case 1:
			b.Values[i] = [4]float64{0, math.Copysign(0, -1), 1e-36, -1e-36}[r.IntN(4)]
		case 2:
			b.Values[i] = float64(r.IntN(60) - 3)
		case 3:
			b.Values[i] = [4]float64{math.Inf(1), math.Inf(-1), 1e12, -0.5}[r.IntN(4)]
		default:
			b.Values[i] = r.NormFloat64() * 3
		}
	}
	return b
}

// TestLightGBMOneRead: the model Load scores holds the same Trees that
// LoadTrees gives for explaining, so one read of model.txt serves both.
func TestLightGBMOneRead(t *testing.T) {
	data := readFixture(t, "lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model")
	m, err := Load(data, FormatAuto, Options{})
	require.NoError(t, err)
	l, ok := m.(*LightGBM)
	require.True(t, ok, "%T", m)
	got, err := l.Trees()
	require.NoError(t, err)
	want, err := LoadTrees(data, FormatAuto)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// TestLoadLightGBMVariants: a v4 file (same tree format) scores as its v3
// twin; linear trees, unknown versions and objectives without a known link
// are refused with the reason (--raw still scores the last); a file without
// node counts scores but has no Trees for TreeSHAP.
func TestLoadLightGBMVariants(t *testing.T) {
	data := string(readFixture(t, "lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model"))
	base, err := LoadLightGBM([]byte(data), false)
	require.NoError(t, err)
	b := oddRows(200, base.NumFeatures(), 2)
	want := make([]float64, b.Rows)
	require.NoError(t, base.PredictBatch(b, want))
	score := func(t *testing.T, text string, raw bool) ([]float64, *LightGBM) {
		m, err := LoadLightGBM([]byte(text), raw)
		require.NoError(t, err)
		out := make([]float64, b.Rows)
		require.NoError(t, m.PredictBatch(b, out))
		return out, m
	}

	v4, _ := score(t, strings.Replace(data, "version=v2", "version=v4", 1), false)
	require.Equal(t, want, v4)

	noCounts := data
	for _, key := range []string{"leaf_count", "internal_count"} {
		var kept []string
		for _, line := range strings.Split(noCounts, "\n") {
			if !strings.HasPrefix(line, key+"=") {
				kept = append(kept, line)
			}
		}
		noCounts = strings.Join(kept, "\n")
	}
	got, m := score(t, noCounts, false)
	require.Equal(t, want, got)
	_, err = m.Trees()
	require.ErrorContains(t, err, "TreeSHAP needs the node counts")

	unknownObjective := strings.Replace(data, "objective=binary sigmoid:1", "objective=cross_entropy_lambda", 1)
	_, err = LoadLightGBM([]byte(unknownObjective), false)
	require.ErrorContains(t, err, `objective "cross_entropy_lambda" has no known output transformation (pass --raw for the margins)`)
	_, _ = score(t, unknownObjective, true)

	sigmoid2, _ := score(t, strings.Replace(data, "objective=binary sigmoid:1", "objective=binary sigmoid:2", 1), false)
	rawOut, _ := score(t, data, true)
	for i := range rawOut {
		require.InDelta(t, 1/(1+math.Exp(-2*rawOut[i])), sigmoid2[i], 1e-15)
	}

	for _, tc := range []struct{ name, text, want string }{
		{"version v1", strings.Replace(data, "version=v2", "version=v1", 1), `version "v1" is not one of v2, v3, v4`},
		{"linear tree", strings.Replace(data, "Tree=0\n", "Tree=0\nis_linear=1\n", 1), "tree 0 is a linear tree"},
		{"child cycle", strings.Replace(data, "left_child=1 ", "left_child=0 ", 1), "not a node of the tree reached once"},
		{"feature out of range", regexp.MustCompile(`split_feature=\d+`).ReplaceAllString(data, "split_feature=99999"), "splits on feature 99999, the model has 30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadLightGBM([]byte(tc.text), false)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// BenchmarkLightGBM scores the multiclass model (5 classes x 10 trees) on
// one goroutine with this package's evaluator.
func BenchmarkLightGBM(b *testing.B) {
	data := readFixture(b, "lightgbm_multiclass", "lgmulticlass.model")
	m, err := LoadLightGBM(data, false)
	require.NoError(b, err)
	batch := oddRows(10_000, m.NumFeatures(), 4)
	out := make([]float64, batch.Rows*m.NumOutputs())
	b.Run("scorer=engine-model", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			require.NoError(b, m.PredictBatch(batch, out))
		}
		b.ReportMetric(float64(batch.Rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// TestLightGBMTruncated: model.txt cut anywhere — inside a tree, or right
// between two trees, where every tree read is whole — is refused, for
// scoring and for explaining.
func TestLightGBMTruncated(t *testing.T) {
	data := string(readFixture(t, "lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model"))
	betweenTrees := data[:strings.Index(data, "Tree=3\n")]
	cases := []struct{ name, text, want string }{
		{"between two trees", betweenTrees, `no "end of trees" line after 3 trees: the file is truncated`},
		{"inside a tree", data[:len(data)/2], "lightgbm model"},
		{"fewer trees than tree_sizes", betweenTrees + "end of trees\n", "3 trees, but tree_sizes lists 10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadLightGBM([]byte(tc.text), false)
			require.ErrorContains(t, err, tc.want)
			_, err = LoadTrees([]byte(tc.text), FormatLightGBM)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
