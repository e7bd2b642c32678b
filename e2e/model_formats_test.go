//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestShadowScoreHostileModelsUnderMemoryLimit runs the built mlectl under
// `ulimit -v 2000000` (2 GB of address space) on truncated model files and
// on random bytes in every model format: each run must exit 2 with a
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
	for _, f := range []struct{ file, want string }{
		{"model.json", "xgboost json"}, {"model.ubj", "xgboost ubjson"}, {"model.bin", "xgboost binary"},
	} {
		data, err := os.ReadFile(filepath.Join(testdata, f.file))
		require.NoError(t, err)
		p := filepath.Join(dir, "truncated-"+f.file)
		require.NoError(t, os.WriteFile(p, data[:len(data)*2/3], 0o644))
		runs = append(runs, run{"truncated " + f.file, p, "", f.want})
	}
	randomPath := filepath.Join(dir, "random.bin")
	require.NoError(t, os.WriteFile(randomPath, random, 0o644))
	for _, f := range []struct{ format, want string }{
		{"xgboost", "xgboost binary"}, {"xgboost-ubj", "xgboost ubjson"}, {"xgboost-json", "xgboost json"},
		{"lightgbm", "lightgbm model"}, {"lightgbm-json", "lightgbm-json model"},
	} {
		runs = append(runs, run{"random bytes as " + f.format, randomPath, f.format, f.want})
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
