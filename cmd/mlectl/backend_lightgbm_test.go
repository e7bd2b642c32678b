package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine/gpu"
)

// TestShadowScoreLightGBMBackend: a LightGBM model.txt scored with
// --backend opencl (POCL in CI) writes exactly the CPU backend's
// predictions, which are LightGBM's own (TestShadowScoreFixtures), and
// names its device; --backend cuda refuses it with exit 2 and the reason.
func TestShadowScoreLightGBMBackend(t *testing.T) {
	model := shadowFixture("lightgbm_multiclass", "lgmulticlass.model")
	input := shadowFixture("lightgbm_multiclass", "multiclass_test_head200.tsv")
	score := func(backend string) (code int, out, stderr string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "pred.txt")
		var so, se bytes.Buffer
		code = run(context.Background(), []string{"shadow", "score", "--model", model, "--input", input,
			"--label-column", "0", "--output", path, "--backend", backend}, &so, &se)
		if code == 0 {
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			out = string(raw)
		}
		return code, out, se.String()
	}
	code, cpu, stderr := score("cpu")
	require.Equal(t, 0, code, stderr)
	require.NotEmpty(t, cpu)

	code, _, stderr = score("cuda")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "--backend: the cuda backend scores XGBoost models only, not LightGBM")

	if o, err := gpu.OpenOpenCL(gpu.Options{AllowCPU: true}); err != nil {
		t.Skipf("no OpenCL platform here (CI installs POCL): %v", err)
	} else {
		_ = o.Close()
	}
	code, cl, stderr := score("opencl")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "backend opencl on ")
	require.Equal(t, cpu, cl, "opencl and cpu predictions differ")
}
