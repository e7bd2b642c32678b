package client

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzDecodeQueryResponse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := DecodeQueryResponse(body, 200)
		if err == nil && res.Value == nil {
			t.Fatalf("success without a value for %q", body)
		}
	})
}
