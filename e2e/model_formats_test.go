//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestShadowScoreHostileModelsUnderMemoryLimit runs the built mlectl under
// `ulimit -v 2000000` (2 GB of address space) on truncated model files of
// every format (XGBoost JSON, UBJSON, binf, pre-1.0 binary, LightGBM
// model.txt and JSON dump) and on random bytes read as each format and as
// each format's detected prefix: each run must exit 2 with a
// message, never die of an allocation sized from a garbage header (an
// XGBoost binf file once went to a reader that did, and the process ended
// in "fatal error: runtime: out of memory").
func TestShadowScoreHostileModelsUnderMemoryLimit(t *testing.T) {
	mlectl := binary(t, "mlectl")
	testdata := filepath.Join(repoRoot(t), "engine", "model", "testdata", "regression")
	input := filepath.Join(testdata, "input.csv")
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(2))
	random := make([]byte, 1<<16)
	rng.Read(random)

	type run struct {
		name, model, format, want string
	}
	var runs []run
	models := filepath.Join(repoRoot(t), "testdata", "models")
	dump := filepath.Join(dir, "lightgbm-dump.json")
	require.NoError(t, os.WriteFile(dump, []byte(lightGBMDump), 0o644))
	for _, f := range []struct{ path, format, want string }{
		{filepath.Join(testdata, "model.json"), "", "xgboost json"},
		{filepath.Join(testdata, "model.ubj"), "", "xgboost ubjson"},
		{filepath.Join(testdata, "model.bin"), "", "xgboost binary"},
		{filepath.Join(models, "xgboost_agaricus", "xgagaricus.model"), "", "xgboost binary"},
		{filepath.Join(models, "lightgbm_multiclass", "lgmulticlass.model"), "", "lightgbm model"},
		{dump, "lightgbm-json", "lightgbm-json model"},
	} {
		data, err := os.ReadFile(f.path)
		require.NoError(t, err)
		for _, cut := range []int{len(data) * 2 / 3, 100} {
			p := filepath.Join(dir, fmt.Sprintf("truncated-%d-%s", cut, filepath.Base(f.path)))
			require.NoError(t, os.WriteFile(p, data[:cut], 0o644))
			runs = append(runs, run{fmt.Sprintf("%s truncated to %d bytes", filepath.Base(f.path), cut), p, f.format, f.want})
		}
	}
	randomPath := filepath.Join(dir, "random.bin")
	require.NoError(t, os.WriteFile(randomPath, random, 0o644))
	for _, f := range []struct{ format, want string }{
		{"xgboost", "xgboost binary"}, {"xgboost-ubj", "xgboost ubjson"}, {"xgboost-json", "xgboost json"},
		{"lightgbm", "lightgbm model"}, {"lightgbm-json", "lightgbm-json model"},
	} {
		runs = append(runs, run{"random bytes as " + f.format, randomPath, f.format, f.want})
	}
	// Random bytes behind each format's detected prefix, no --format.
	for _, f := range []struct{ prefix, want string }{
		{"binf", "xgboost binary"}, {"{L", "xgboost ubjson"}, {`{"learner":`, "xgboost json"},
		{"tree\nversion=v3\n", "lightgbm model"}, {`{"name":"tree",`, "lightgbm-json model"},
	} {
		p := filepath.Join(dir, fmt.Sprintf("random-after-%x", f.prefix))
		require.NoError(t, os.WriteFile(p, append([]byte(f.prefix), random...), 0o644))
		runs = append(runs, run{fmt.Sprintf("random bytes after %q", f.prefix), p, "", f.want})
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			args := []string{"-c", `ulimit -v 2000000 && exec "$@"`, "mlectl", mlectl, "shadow", "score", "--model", r.model, "--input", input, "--raw"}
			if r.format != "" {
				args = append(args, "--format", r.format)
			}
			cmd := exec.Command("bash", args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "want exit status 2, got %v; stderr: %s", err, stderr.String())
			require.Equal(t, 2, exit.ExitCode(), stderr.String())
			require.Contains(t, stderr.String(), r.want)
			require.NotContains(t, stderr.String(), "fatal error")
			require.NotContains(t, stderr.String(), "panic")
		})
	}
}

// lightGBMDump is a LightGBM JSON dump (dump_model) of one depth-one tree.
const lightGBMDump = `{"name":"tree","version":"v2","num_class":1,"num_tree_per_iteration":1,"label_index":0,"max_feature_idx":1,` +
	`"objective":"regression","average_output":false,"feature_names":["a","b"],` +
	`"tree_info":[{"tree_index":0,"num_leaves":2,"num_cat":0,"shrinkage":1,"tree_structure":` +
	`{"split_index":0,"split_feature":1,"split_gain":1,"threshold":0.5,"decision_type":"<=","default_left":true,` +
	`"missing_type":"None","internal_value":0,"internal_count":10,` +
	`"left_child":{"leaf_index":0,"leaf_value":1.5,"leaf_count":4},"right_child":{"leaf_index":1,"leaf_value":-2.5,"leaf_count":6}}}]}`
