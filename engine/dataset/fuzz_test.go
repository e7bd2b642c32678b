package dataset

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds arbitrary text to every input reader: it must return a
// consistent batch or an error, never panic.
func FuzzRead(f *testing.F) {
	dir := filepath.Join("..", "..", "testdata", "models")
	for _, name := range []string{
		"xgboost_bike_binary_missing/input.csv",
		"lightgbm_breast_cancer_dart/breast_cancer_test.tsv",
		"xgboost_agaricus/agaricus_test_head400.libsvm",
	} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		if i := bytes.IndexByte(data[2048:], '\n'); i >= 0 {
			data = data[:2048+i+1] // a few rows are enough to seed
		}
		f.Add(data, uint8(3))
	}
	f.Add([]byte("a,b\n1,\"2\n"), uint8(2))
	f.Add([]byte("1 qid:2 0:1 # x\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, nf uint8) {
		for _, format := range []Format{FormatCSV, FormatTSV, FormatLibSVM} {
			for _, label := range []int{-1, 0} {
				b, err := Read(bytes.NewReader(data), Options{
					Format: format, NumFeatures: int(nf%16) + 1, LabelColumn: label,
					FeatureNames: []string{"a", "b"}, Absent: math.NaN(),
				})
				if err != nil {
					continue
				}
				if err := b.Validate(); err != nil {
					t.Fatalf("%s: inconsistent batch: %v", format, err)
				}
			}
		}
	})
}
