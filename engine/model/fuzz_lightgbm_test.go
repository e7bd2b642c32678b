package model

import (
	"testing"
)

// FuzzLoad feeds arbitrary bytes through format detection and every loader,
// including the leaves-backed ones, whose panics Load must turn into errors.
func FuzzLoad(f *testing.F) {
	lg := readFixture(f, "lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model")
	f.Add(lg[:4096])
	f.Add(readFixture(f, "xgboost_agaricus", "xgagaricus.model"))
	f.Add([]byte("tree\nversion=v2\nnum_class=1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range append(Formats(), FormatAuto) {
			for _, raw := range []bool{false, true} {
				_, _ = Load(data, format, Options{Raw: raw})
			}
		}
	})
}
