package gpu

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine/model"
)

// The CUDA backend cannot run without an NVIDIA GPU; these tests check what
// can be checked anywhere. scripts/gpu-check.sh runs the parity tests on a
// GPU (TestCUDAParity).

func TestCUDALoaderErrors(t *testing.T) {
	_, err := bindCUDA("libcuda-absent-for-test.so.1")
	require.ErrorIs(t, err, ErrNoCUDA)
	assert.Contains(t, err.Error(), "install the NVIDIA driver")

	c, err := OpenCUDA(0)
	if err == nil {
		t.Logf("a CUDA device is present: %s", c.Device())
		require.NoError(t, c.Close())
		return
	}
	if errors.Is(err, ErrNoCUDA) {
		assert.Contains(t, err.Error(), "libcuda.so.1")
	}
	bike, _ := loadParity(t, "testdata/models/xgboost_bike_binary_missing/model.json", "testdata/models/xgboost_bike_binary_missing/input.csv", false)
	_, err = Select("cuda", bike, true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cuda")
}

// TestPTXWellFormed: the PTX declares the entry the launch names, its
// parameters are the OpenCL kernel's in the same order with the types the
// launch passes (ptxParams of them), every branch target exists, every
// register is declared, and the .cu source beside it has the same
// parameters.
func TestPTXWellFormed(t *testing.T) {
	ptx := ptxSource
	for _, line := range []string{".version 7.0", ".target sm_52", ".address_size 64", ".visible .entry predict_margins("} {
		assert.Contains(t, ptx, line)
	}
	assert.Equal(t, strings.Count(ptx, "{"), strings.Count(ptx, "}"), "braces balance")

	params := regexp.MustCompile(`\.param \.(u64|u32|f32) p_(\w+)[,\n]`).FindAllStringSubmatch(ptx, -1)
	require.Len(t, params, ptxParams, "the launch passes %d parameters", ptxParams)
	// The launch's argument sizes: device pointers are u64, ints u32, floats f32.
	wantTypes := []string{"u64", "u32", "u32", "u64", "u64", "u64", "u64", "u64", "u32", "u32", "u64", "u64", "u64", "f32", "f32", "u64"}
	var names []string
	for i, p := range params {
		assert.Equal(t, wantTypes[i], p[1], "parameter %d (%s)", i, p[2])
		names = append(names, p[2])
	}
	// The OpenCL kernel's parameters, by name and order.
	clParams := regexp.MustCompile(`(?:float|int|uint)\*? (\w+)[,)]`).FindAllStringSubmatch(kernelSource[strings.Index(kernelSource, "predict_margins("):strings.Index(kernelSource, "{")], -1)
	var clNames []string
	for _, p := range clParams {
		clNames = append(clNames, p[1])
	}
	assert.Equal(t, clNames, names, "the PTX takes the OpenCL kernel's parameters")
	cu, err := os.ReadFile("cuda/predict_margins.cu")
	require.NoError(t, err)
	cuSig := string(cu[strings.Index(string(cu), "predict_margins("):strings.Index(string(cu), "{")])
	for _, n := range names {
		assert.Regexp(t, `\b`+n+`[,)]`, cuSig, "the .cu source takes %s", n)
	}

	// Branch targets and labels.
	labels := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Z_]+):`).FindAllStringSubmatch(ptx, -1) {
		labels[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`\bbra ([A-Z_]+);`).FindAllStringSubmatch(ptx, -1) {
		assert.True(t, labels[m[1]], "branch to undefined label %s", m[1])
	}
	// Registers used stay below the declared counts.
	decl := map[string]int{}
	for _, m := range regexp.MustCompile(`\.reg \.\w+ %(\w+)<(\d+)>;`).FindAllStringSubmatch(ptx, -1) {
		n, _ := strconv.Atoi(m[2])
		decl[m[1]] = n
	}
	require.Equal(t, map[string]int{"p": 8, "r": 32, "rd": 32, "f": 8}, decl)
	body := ptx[strings.Index(ptx, ".reg .f32"):]
	for _, m := range regexp.MustCompile(`%(p|rd|r|f)(\d+)\b`).FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[2])
		assert.Less(t, n, decl[m[1]], fmt.Sprintf("register %%%s%s", m[1], m[2]))
	}
	assert.Contains(t, ptx, "add.rn.f32", "sums round to nearest, never fused")
	assert.NotContains(t, ptx, "fma.", "no fused multiply-add: XGBoost adds")
}

// TestCUDASelfCheck: a model's first device batch is compared with the CPU
// evaluator; a disagreeing kernel is refused for that model (Fallback then
// scores it on the CPU), an agreeing one is used.
func TestCUDASelfCheck(t *testing.T) {
	m, b := loadParity(t, "testdata/models/xgboost_bike_binary_missing/model.json", "testdata/models/xgboost_bike_binary_missing/input.csv", false)
	want := make([]float64, b.Rows*m.NumOutputs())
	require.NoError(t, m.PredictBatch(b, want))

	c := &CUDA{name: "test GPU", models: map[*model.XGBoostJSON]*cudaForest{m: {}}}
	require.NoError(t, c.selfCheck(m, b, want))

	c = &CUDA{name: "test GPU", models: map[*model.XGBoostJSON]*cudaForest{m: {}}}
	bad := append([]float64(nil), want...)
	bad[5] += 1e-3
	err := c.selfCheck(m, b, bad)
	require.ErrorContains(t, err, "row 5")
	require.ErrorContains(t, err, "scored on the CPU")
	require.Equal(t, err, c.models[m].mismatch, "later batches are refused too")
}
