package explain

import (
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine/dataset"
)

// expectation is E[f(x) | x_S] under the path-dependent tree distribution
// (Algorithm 1 of Lundberg et al.): features in S follow the row, the others
// average their children weighted by cover.
func (f *Forest) expectation(t *tree, i int32, x []float64, inS func(int32) bool) float64 {
	nd := &t.nodes[i]
	if nd.kind == kindLeaf {
		return nd.value
	}
	if inS(nd.feature) {
		if f.goesLeft(nd, x[nd.feature]) {
			return f.expectation(t, nd.left, x, inS)
		}
		return f.expectation(t, nd.right, x, inS)
	}
	l, r := &t.nodes[nd.left], &t.nodes[nd.right]
	return (f.expectation(t, nd.left, x, inS)*l.cover + f.expectation(t, nd.right, x, inS)*r.cover) / nd.cover
}

// bruteForceShapley computes the exact Shapley values of one row by
// enumerating every coalition of the features each tree splits on — an
// oracle independent of the path algebra of Algorithm 2.
func (f *Forest) bruteForceShapley(x []float64) []float64 {
	out := make([]float64, f.Width())
	stride := f.numFeatures + 1
	for ti := range f.trees {
		t := &f.trees[ti]
		var used []int32
		seen := map[int32]bool{}
		for _, nd := range t.nodes {
			if nd.kind != kindLeaf && !seen[nd.feature] {
				seen[nd.feature] = true
				used = append(used, nd.feature)
			}
		}
		m := len(used)
		fact := make([]float64, m+1)
		fact[0] = 1
		for k := 1; k <= m; k++ {
			fact[k] = fact[k-1] * float64(k)
		}
		value := make([]float64, 1<<m)
		for s := range value {
			inS := func(feat int32) bool {
				for k, u := range used {
					if u == feat {
						return s&(1<<k) != 0
					}
				}
				return false
			}
			value[s] = f.expectation(t, 0, x, inS)
		}
		phi := out[t.group*stride : (t.group+1)*stride]
		for k, feat := range used {
			for s := range value {
				if s&(1<<k) != 0 {
					continue
				}
				n := bits.OnesCount(uint(s))
				w := fact[n] * fact[m-n-1] / fact[m]
				phi[feat] += w * (value[s|1<<k] - value[s])
			}
		}
	}
	for g := 0; g < f.numGroups; g++ {
		out[g*stride+f.numFeatures] = f.bias[g]
	}
	return out
}

// TestMatchesBruteForceShapley compares TreeSHAP with exact Shapley values
// by enumeration on the LightGBM and legacy XGBoost fixtures, for which no
// LightGBM build is available to produce reference contributions. (The
// multiclass fixture's trees split on too many features to enumerate in a
// short test; its additivity is checked in TestAdditivity.)
func TestMatchesBruteForceShapley(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "data", "leaves")
	cases := []struct {
		name, model, input string
		format             dataset.Format
		labelColumn, rows  int
		absent             float64
	}{
		{"lightgbm breast cancer dart", repoModel("lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model"), repoModel("lightgbm_breast_cancer_dart", "breast_cancer_test.tsv"), dataset.FormatTSV, -1, 20, 0},
		{"xgboost legacy binary agaricus", repoModel("xgboost_agaricus", "xgagaricus.model"), repoModel("xgboost_agaricus", "agaricus_test_head400.libsvm"), dataset.FormatLibSVM, -1, 20, math.NaN()},
		{"adult binary (xgboost json)", "testdata/adult_binary/model.json", "testdata/adult_binary/input.csv", dataset.FormatCSV, -1, 10, math.NaN()},
		{"lightgbm kddcup99 categorical (../shared)", filepath.Join(shared, "lightgbm_kddcup99_categorical", "lg_kddcup99.model"), filepath.Join(shared, "lightgbm_kddcup99_categorical", "kddcup99_test.tsv"), dataset.FormatTSV, -1, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(tc.model); os.IsNotExist(err) {
				t.Skipf("%s is absent (it lives in ../shared, outside the repository)", tc.model)
			}
			f := loadFile(t, tc.model)
			b := readInput(t, tc.input, f, tc.absent, tc.format, tc.labelColumn, tc.rows)
			got := make([]float64, f.Width())
			path := make([]pathElement, f.pathLen)
			worst := 0.0
			for r := 0; r < b.Rows; r++ {
				f.explainRow(b.Row(r), got, path)
				want := f.bruteForceShapley(b.Row(r))
				for k := range want {
					d := math.Abs(got[k] - want[k])
					worst = max(worst, d)
					require.LessOrEqualf(t, d, 1e-9*max(1, math.Abs(want[k])), "row %d value %d: TreeSHAP %.17g, enumeration %.17g", r, k, got[k], want[k])
				}
			}
			t.Logf("%d rows: max |TreeSHAP - enumeration| %.3g", b.Rows, worst)
		})
	}
}
