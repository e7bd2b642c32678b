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

// TestShadowScoreBackend: --backend opencl (POCL in CI) writes the same
// predictions as the CPU backend and names its device; unknown and
// unimplemented backends exit 2 naming the flag.
func TestShadowScoreBackend(t *testing.T) {
	dir := filepath.Join(shadowRepoRoot, "engine", "model", "testdata", "binary_missing")
	score := func(backend string) (code int, out, stderr string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "pred.txt")
		var so, se bytes.Buffer
		code = run(context.Background(), []string{"shadow", "score", "--model", filepath.Join(dir, "model.bin"),
			"--input", filepath.Join(dir, "input.csv"), "--output", path, "--backend", backend}, &so, &se)
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
	require.Contains(t, stderr, "backend cpu")

	for _, tc := range []struct{ backend, want string }{
		{"gpu", `--backend: unknown backend "gpu"`},
	} {
		code, _, stderr := score(tc.backend)
		require.Equal(t, 2, code, tc.backend)
		require.Contains(t, stderr, tc.want)
	}
	// cuda: exit 2 with the reason where there is no NVIDIA driver, the
	// CPU's predictions where there is one.
	code, cu, stderr := score("cuda")
	if c, err := gpu.OpenCUDA(0); err != nil {
		require.Equal(t, 2, code, stderr)
		require.Contains(t, stderr, "--backend: cuda: ")
	} else {
		_ = c.Close()
		require.Equal(t, 0, code, stderr)
		require.Contains(t, stderr, "backend cuda on ")
		require.Equal(t, cpu, cu, "cuda and cpu predictions differ")
	}

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
