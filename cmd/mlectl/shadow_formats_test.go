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
// model format (XGBoost JSON, UBJSON, binf and pre-1.0 binary, LightGBM
// model.txt and JSON dump) exit 2 with a message naming the format, never a
// crash. e2e's TestShadowScoreHostileModelsUnderMemoryLimit runs the built
// binary on the same kinds of file under ulimit -v.
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
		{formatsFixture("regression", "model.json"), "", "xgboost json: byte"},
		{formatsFixture("regression", "model.ubj"), "", "xgboost ubjson: byte"},
		{formatsFixture("regression", "model.bin"), "", "xgboost binary: byte"},
		{shadowFixture("xgboost_agaricus", "xgagaricus.model"), "", "xgboost binary: byte"}, // pre-1.0, no header
		{shadowFixture("lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model"), "", "lightgbm model"},
		{lightGBMJSONDump(t, dir), "lightgbm-json", "lightgbm-json model"},
	} {
		data, err := os.ReadFile(f.file)
		require.NoError(t, err)
		name := filepath.Base(f.file)
		cuts := []int{len(data) / 2, len(data) - 1, 200, 9}
		if end := bytes.Index(data, []byte("end of trees")); end > 0 {
			// model.txt: what follows the trees (feature importances,
			// parameters) is not read; cut right before the end line, where
			// every tree read is whole.
			cuts[1] = end
		}
		for _, cut := range cuts {
			cases = append(cases, tc{fmt.Sprintf("%s truncated to %d bytes", name, cut), write(fmt.Sprintf("%s-cut-%d", name, cut), data[:cut]), f.format, f.wantErr})
		}
	}
	for _, f := range []struct{ format, prefix, wantErr string }{
		{"xgboost-json", "", "xgboost json"},
		{"xgboost-ubj", "", "xgboost ubjson: byte"},
		{"xgboost", "", "xgboost binary: byte"},
		{"lightgbm", "", "lightgbm model"},
		{"lightgbm-json", "", "lightgbm-json model"},
		{"", "tree\nversion=v3\n", "lightgbm model"}, // detected as model.txt
		{"", "binf", "xgboost binary: byte"},         // detected as binf
		{"", "{L", "xgboost ubjson: byte"},           // detected as UBJSON
		{"", "{\"learner\":", "xgboost json"},        // detected as JSON
	} {
		i := len(cases)
		data := append([]byte(f.prefix), random...)
		cases = append(cases, tc{"random bytes " + f.format + f.prefix, write(fmt.Sprintf("random-%d", i), data), f.format, f.wantErr})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// --raw: the dumps and random bytes carry no objective.
			args := []string{"shadow", "score", "--model", c.model, "--input", input, "--raw"}
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

// lightGBMJSONDump writes a LightGBM JSON dump (dump_model) of a depth-one
// tree into dir and returns its path.
func lightGBMJSONDump(t *testing.T, dir string) string {
	t.Helper()
	dump := `{"name":"tree","version":"v2","num_class":1,"num_tree_per_iteration":1,"label_index":0,"max_feature_idx":1,` +
		`"objective":"regression","average_output":false,"feature_names":["a","b"],` +
		`"tree_info":[{"tree_index":0,"num_leaves":2,"num_cat":0,"shrinkage":1,"tree_structure":` +
		`{"split_index":0,"split_feature":1,"split_gain":1,"threshold":0.5,"decision_type":"<=","default_left":true,` +
		`"missing_type":"None","internal_value":0,"internal_count":10,` +
		`"left_child":{"leaf_index":0,"leaf_value":1.5,"leaf_count":4},"right_child":{"leaf_index":1,"leaf_value":-2.5,"leaf_count":6}}}]}`
	p := filepath.Join(dir, "lightgbm-dump.json")
	require.NoError(t, os.WriteFile(p, []byte(dump), 0o644))
	return p
}
