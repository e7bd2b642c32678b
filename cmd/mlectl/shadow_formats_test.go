package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func formatsFixture(parts ...string) string {
	return filepath.Join(append([]string{shadowRepoRoot, "engine", "model", "testdata"}, parts...)...)
}

// TestShadowScoreModelFormats scores the same model saved by XGBoost as
// JSON, UBJSON and binf, detected by content, and checks the detected
// format is reported.
func TestShadowScoreModelFormats(t *testing.T) {
	input := formatsFixture("regression", "input.csv")
	var want []byte
	for _, tc := range []struct{ file, detected string }{
		{"model.json", "detected format xgboost-json"},
		{"model.ubj", "detected format xgboost-ubj"},
		{"model.bin", "detected format xgboost (XGBoost binf binary model, saved by XGBoost 1.7)"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"shadow", "score", "--model", formatsFixture("regression", tc.file), "--input", input}, &stdout, &stderr)
		require.Equal(t, 0, code, stderr.String())
		require.Contains(t, stderr.String(), tc.detected)
		if want == nil {
			want = stdout.Bytes()
		}
		require.Equal(t, string(want), stdout.String(), tc.file)
	}
}

// TestShadowScoreCorruptModels: truncated files and random bytes in every
// model format exit 2 with a message naming the format, never a crash.
func TestShadowScoreCorruptModels(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	input := formatsFixture("regression", "input.csv")
	rng := rand.New(rand.NewSource(1))
	random := make([]byte, 4096)
	rng.Read(random)
	type tc struct {
		name, model, format, wantErr string
	}
	var cases []tc
	for _, f := range []struct{ file, format, wantErr string }{
		{"model.json", "", "xgboost json: byte"},
		{"model.ubj", "", "xgboost ubjson: byte"},
		{"model.bin", "", "xgboost binary: byte"},
	} {
		data, err := os.ReadFile(formatsFixture("regression", f.file))
		require.NoError(t, err)
		for _, cut := range []int{len(data) / 2, len(data) - 1, 200, 9} {
			cases = append(cases, tc{f.file + " truncated", write(f.file+"-cut", data[:cut]), f.format, f.wantErr})
		}
	}
	for _, f := range []struct{ format, prefix, wantErr string }{
		{"xgboost-json", "", "xgboost json"},
		{"xgboost-ubj", "", "xgboost ubjson: byte"},
		{"xgboost", "", "xgboost binary: byte"},
		{"lightgbm", "", "lightgbm model"},
		{"", "binf", "xgboost binary: byte"},  // detected as binf
		{"", "{L", "xgboost ubjson: byte"},    // detected as UBJSON
		{"", "{\"learner\":", "xgboost json"}, // detected as JSON
	} {
		i := len(cases)
		data := append([]byte(f.prefix), random...)
		cases = append(cases, tc{"random bytes " + f.format + f.prefix, write(fmt.Sprintf("random-%d", i), data), f.format, f.wantErr})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"shadow", "score", "--model", c.model, "--input", input}
			if c.format != "" {
				args = append(args, "--format", c.format)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr)
			require.Equal(t, 2, code, stderr.String())
			require.Contains(t, stderr.String(), c.wantErr)
			require.Empty(t, stdout.String())
		})
	}
}
