package explain

import (
	"context"
	"math"
	"os"
	"testing"

	"github.com/mlectl/mlectl/engine"
)

// FuzzLoad: any bytes either fail to load with an error or give a forest
// that explains rows (all NaN, all zero, all large) without panicking.
func FuzzLoad(f *testing.F) {
	for _, p := range []string{
		"testdata/adult_binary/model.json",
		repoModel("xgboost_bike_categorical", "model.json"),
		repoModel("lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model"),
		repoModel("xgboost_agaricus", "xgagaricus.model"),
	} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=0\n\nTree=0\nnum_leaves=2\nsplit_feature=0\nthreshold=1\ndecision_type=2\nleft_child=-1\nright_child=-1\nleaf_value=1 2\nleaf_count=1 1\ninternal_count=2\n\nend of trees\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		forest, err := Load(data, "")
		if err != nil {
			return
		}
		if forest.NumFeatures() > 1<<12 {
			return
		}
		b := engine.NewBatch(3, forest.NumFeatures())
		for i := range forest.NumFeatures() {
			b.Values[i] = math.NaN()
			b.Values[2*forest.NumFeatures()+i] = 1e30
		}
		out := make([]float64, b.Rows*forest.Width())
		if err := NewExplainer(forest).Explain(context.Background(), b, out); err != nil {
			t.Fatal(err)
		}
	})
}
