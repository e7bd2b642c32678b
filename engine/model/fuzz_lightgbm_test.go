package model

import (
	"testing"
)

// FuzzLoadLightGBM feeds arbitrary bytes to the leaves-backed LightGBM
// loaders, whose panics Load must turn into errors. (XGBoost binary models,
// legacy ones included, are read by this package's own bounded loader and
// fuzzed by FuzzLoadXGBoostBinary.)
func FuzzLoadLightGBM(f *testing.F) {
	lg := readFixture(f, "lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model")
	f.Add(lg[:4096])
	f.Add([]byte("tree\nversion=v2\nnum_class=1\n"))
	f.Add([]byte(`{"name":"tree","version":"v2","num_class":1,"tree_info":[{"tree_structure":{"leaf_value":1}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{FormatLightGBM, FormatLightGBMJSON} {
			for _, raw := range []bool{false, true} {
				_, _ = Load(data, format, Options{Raw: raw})
			}
		}
	})
}
