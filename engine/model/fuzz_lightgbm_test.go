package model

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadLightGBM feeds arbitrary bytes to the LightGBM loaders (model.txt
// through this package's reader, JSON dumps through leaves, whose panics
// Load turns into errors), seeded with the real model files. A model that
// loads must score a row of each kind without a crash or an endless walk.
// (XGBoost binary models, legacy ones included, are fuzzed by
// FuzzLoadXGBoostBinary.)
func FuzzLoadLightGBM(f *testing.F) {
	for _, data := range lightGBMFiles(f) {
		f.Add(data)
	}
	f.Add([]byte("tree\nversion=v2\nnum_class=1\n"))
	f.Add([]byte(`{"name":"tree","version":"v2","num_class":1,"tree_info":[{"tree_structure":{"leaf_value":1}}]}`))
	// A real JSON dump (dump_model), in the shared workspace only.
	if dump, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "data", "leaves", "lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.json")); err == nil {
		f.Add(dump)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{FormatLightGBM, FormatLightGBMJSON} {
			for _, raw := range []bool{false, true} {
				m, err := Load(data, format, Options{Raw: raw})
				if err != nil || m.NumFeatures() > 1<<16 {
					continue
				}
				b := oddRows(3, m.NumFeatures(), 3)
				if err := m.PredictBatch(b, make([]float64, b.Rows*m.NumOutputs())); err != nil {
					t.Fatalf("a loaded model fails to score: %v", err)
				}
			}
		}
	})
}
