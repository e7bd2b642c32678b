package model

import (
	"testing"
)

// FuzzLoadLightGBM feeds arbitrary bytes to the LightGBM loaders (model.txt
// and JSON dumps, both read by this package), seeded with the real model
// files, their dumps as dump_model() writes them (categorical splits,
// every missing type) and LightGBM's own dump of the DART model. A model
// that loads must score a row of each kind without a crash or an endless
// walk, and a dump's Trees, when it has them, must be the model's.
// (XGBoost binary models, legacy ones included, are fuzzed by
// FuzzLoadXGBoostBinary.)
func FuzzLoadLightGBM(f *testing.F) {
	for _, data := range lightGBMFiles(f) {
		f.Add(data)
		trees, err := LoadLightGBMTrees(data)
		if err != nil {
			f.Fatal(err)
		}
		objective, averaged := lightGBMObjective(data)
		f.Add(dumpLightGBMJSON(trees, objective, averaged))
	}
	f.Add(readFixture(f, "lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.json"))
	f.Add([]byte("tree\nversion=v2\nnum_class=1\n"))
	f.Add([]byte(`{"name":"tree","version":"v2","num_class":1,"tree_info":[{"tree_structure":{"leaf_value":1}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{FormatLightGBM, FormatLightGBMJSON} {
			for _, raw := range []bool{false, true} {
				m, err := Load(data, format, Options{Raw: raw})
				if err != nil || m.NumFeatures() > 1<<16 {
					continue
				}
				if format == FormatLightGBMJSON {
					// Trees, where the dump has counts, are what the
					// model scores: one reader for both.
					if trees, err := LoadTrees(data, format); err == nil {
						own, err := m.(*LightGBM).Trees()
						if err != nil {
							t.Fatalf("LoadTrees reads the dump's counts, the model has none: %v", err)
						}
						if len(own.Trees) != len(trees.Trees) {
							t.Fatalf("LoadTrees gives %d trees, the model %d", len(trees.Trees), len(own.Trees))
						}
					}
				}
				b := oddRows(3, m.NumFeatures(), 3)
				if err := m.PredictBatch(b, make([]float64, b.Rows*m.NumOutputs())); err != nil {
					t.Fatalf("a loaded model fails to score: %v", err)
				}
			}
		}
	})
}
