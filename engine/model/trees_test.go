package model

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTreesKeepCovers: the loaders keep every node's cover, the same in the
// three XGBoost formats (JSON sum_hessian, UBJSON, binf node statistics),
// and LightGBM's internal_count/leaf_count; a split's cover is the sum of
// its children's, as training records them.
func TestTreesKeepCovers(t *testing.T) {
	for _, name := range formatCases {
		t.Run(name, func(t *testing.T) {
			want, err := LoadTrees(readFormatFixture(t, name, "model.json"), FormatAuto)
			require.NoError(t, err)
			checkCovers(t, want, 1e-3)
			for _, file := range []string{"model.ubj", "model.bin"} {
				got, err := LoadTrees(readFormatFixture(t, name, file), FormatAuto)
				require.NoError(t, err, file)
				require.Equal(t, want.Trees, got.Trees, file)
				require.Equal(t, want.BaseMargin, got.BaseMargin, file)
				require.Equal(t, want.NumGroups, got.NumGroups, file)
			}
		})
	}
	t.Run("lightgbm", func(t *testing.T) {
		trees, err := LoadTrees(readFixture(t, "lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model"), FormatAuto)
		require.NoError(t, err)
		require.Zero(t, trees.Absent)
		checkCovers(t, trees, 0)
	})
	t.Run("xgboost legacy binary", func(t *testing.T) {
		trees, err := LoadTrees(readFixture(t, "xgboost_agaricus", "xgagaricus.model"), FormatXGBoostBinary)
		require.NoError(t, err)
		checkCovers(t, trees, 1e-3)
	})
}

// checkCovers: positive covers at splits, each the sum of its children's
// within tol relative (XGBoost sums hessians in float32).
func checkCovers(t *testing.T, trees *Trees, tol float64) {
	t.Helper()
	require.NotEmpty(t, trees.Trees)
	splits := 0
	for i, tr := range trees.Trees {
		for k, nd := range tr.Nodes {
			if nd.Split == SplitLeaf {
				continue
			}
			splits++
			require.Positive(t, nd.Cover, "tree %d node %d", i, k)
			sum := tr.Nodes[nd.Left].Cover + tr.Nodes[nd.Right].Cover
			require.InDelta(t, nd.Cover, sum, tol*nd.Cover+1e-9, "tree %d node %d", i, k)
		}
	}
	require.Positive(t, splits)
}

// TestLoadTreesRefuses: files without covers, and truncated files, are
// errors naming what is missing.
func TestLoadTreesRefuses(t *testing.T) {
	noHessian := `{"learner":{"learner_model_param":{"base_score":"5E-1","num_class":"0","num_feature":"1"},
"objective":{"name":"reg:squarederror"},"gradient_booster":{"name":"gbtree","model":{"tree_info":[0],
"trees":[{"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[0,0,0],
"split_conditions":[0.5,1,2],"default_left":[0,0,0]}]}}}}`
	bin := readFormatFixture(t, "regression", "model.bin")
	lgb := readFixture(t, "lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model")
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"xgboost json without sum_hessian", []byte(noHessian), "no sum_hessian"},
		{"truncated binf", bin[:len(bin)/2], "byte "},
		{"lightgbm json dump without counts", []byte(`{"name":"tree","version":"v2","num_class":1,"num_tree_per_iteration":1,"max_feature_idx":0,` +
			`"tree_info":[{"tree_structure":{"split_feature":0,"threshold":1,"decision_type":"<=","missing_type":"None",` +
			`"left_child":{"leaf_value":1},"right_child":{"leaf_value":2}}}]}`), "TreeSHAP needs the node counts"},
		{"truncated lightgbm json dump", []byte(`{"name":"tree","version":"v2","num_class":1,"tree_info":[{"tree_structure":{"leaf_value":1`), "lightgbm-json model: tree_info[0].tree_structure"},
		{"truncated lightgbm", lgb[:len(lgb)/3], "lightgbm model"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadTrees(tc.data, FormatAuto)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// FuzzLoadTrees: any bytes either fail with an error or give Trees whose
// child indices stay inside their tree or are -1/-2 for the caller's
// structural check (engine/explain refuses them).
func FuzzLoadTrees(f *testing.F) {
	lg := readFixture(f, "lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model")
	f.Add(lg[:min(len(lg), 8192)])
	f.Add(readFormatFixture(f, "dart_poisson", "model.bin"))
	f.Add([]byte("tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=0\n\nTree=0\nnum_leaves=2\nsplit_feature=0\nthreshold=1\ndecision_type=2\nleft_child=-1\nright_child=-2\nleaf_value=1 2\nleaf_count=1 1\ninternal_count=2\n\nend of trees\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		trees, err := LoadTrees(data, FormatAuto)
		if err != nil {
			return
		}
		for _, tr := range trees.Trees {
			for _, nd := range tr.Nodes {
				if nd.Left >= int32(len(tr.Nodes)) || nd.Right >= int32(len(tr.Nodes)) {
					t.Fatalf("child index outside the tree: %+v", nd)
				}
			}
		}
	})
}
