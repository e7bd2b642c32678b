package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine/gpu"
)

// explainFixture is a file of engine/explain's XGBoost oracle.
func explainFixture(parts ...string) string {
	return filepath.Join(append([]string{shadowRepoRoot, "engine", "explain", "testdata"}, parts...)...)
}

func readCSVRecords(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return recs
}

// TestShadowExplainMatchesXGBoost runs the command on the adult model with
// each backend this machine has (cpu; opencl on POCL or a GPU, skipped
// without an OpenCL platform) and compares its CSV with XGBoost 1.7.4's
// pred_contribs; stderr names the backend and device that ran.
func TestShadowExplainMatchesXGBoost(t *testing.T) {
	for _, tc := range []struct{ backend, stderr string }{
		{"cpu", "mlectl: backend cpu\n"},
		{"opencl", "mlectl: backend opencl on "},
	} {
		t.Run(tc.backend, func(t *testing.T) {
			if tc.backend == "opencl" {
				o, err := gpu.OpenOpenCL(gpu.Options{AllowCPU: true})
				if err != nil {
					t.Skipf("no OpenCL platform here (install ocl-icd-libopencl1 and pocl-opencl-icd): %v", err)
				}
				o.Close()
			}
			out := filepath.Join(t.TempDir(), "contribs.csv")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"shadow", "explain", "--backend", tc.backend, "--model", explainFixture("adult_binary", "model.json"),
				"--input", explainFixture("adult_binary", "input.csv"), "--output", out}, &stdout, &stderr)
			require.Equal(t, 0, code, "stderr: %s", stderr.String())
			require.Contains(t, stderr.String(), tc.stderr)
			require.NotContains(t, stderr.String(), "failed on the")
			got, want := readCSVRecords(t, out), readCSVRecords(t, explainFixture("adult_binary", "contribs.csv"))
			require.Equal(t, want[0], got[0], "header: feature names then bias")
			require.Len(t, got, len(want))
			for i := 1; i < len(want); i++ {
				require.Len(t, got[i], len(want[i]))
				for k := range want[i] {
					g, err := strconv.ParseFloat(got[i][k], 64)
					require.NoError(t, err)
					w, err := strconv.ParseFloat(want[i][k], 64)
					require.NoError(t, err)
					require.LessOrEqualf(t, math.Abs(g-w), max(1e-5, 1e-4*math.Abs(w)), "row %d column %s", i, want[0][k])
				}
			}
		})
	}
}

// TestShadowExplainCUDAUnavailable: without an NVIDIA driver, --backend
// cuda exits 2 saying why (on a GPU machine it would run: skipped there).
func TestShadowExplainCUDAUnavailable(t *testing.T) {
	if c, err := gpu.OpenCUDA(0); err == nil {
		c.Close()
		t.Skip("this machine has a CUDA GPU")
	}
	var stdout, stderr bytes.Buffer
	err := runShadow(context.Background(), []string{"explain", "--backend", "cuda", "--model", explainFixture("adult_binary", "model.json"),
		"--input", explainFixture("adult_binary", "input.csv")}, &stdout, &stderr)
	var ue usageError
	require.True(t, errors.As(err, &ue), "want a usage error (exit 2), got %T: %v", err, err)
	require.Contains(t, err.Error(), "--backend cuda: cuda:")
	require.Empty(t, stdout.String())
}

func TestShadowExplainMultiClassHeader(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.NoError(t, runShadow(context.Background(), []string{"explain", "--model", shadowFixture("lightgbm_multiclass", "lgmulticlass.model"),
		"--input", shadowFixture("lightgbm_multiclass", "multiclass_test_head200.tsv"), "--label-column", "0"}, &stdout, &stderr), stderr.String())
	recs, err := csv.NewReader(&stdout).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 201, "header and one row per input row")
	require.Len(t, recs[0], 5*29, "5 classes x (28 features + bias)")
	require.Equal(t, "class0:Column_0", recs[0][0])
	require.Equal(t, "class4:bias", recs[0][len(recs[0])-1])
}

func TestShadowExplainBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	adult := explainFixture("adult_binary", "model.json")
	good := explainFixture("adult_binary", "input.csv")
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"missing model flag", []string{"--input", good}, "--model is required"},
		{"missing input flag", []string{"--model", adult}, "--input is required"},
		{"unknown format", []string{"--model", adult, "--input", good, "--format", "onnx"}, `unknown model format "onnx"`},
		{"lightgbm json dump without counts", []string{"--model", write("lg.json", `{"name":"tree","version":"v4","num_class":1,"num_tree_per_iteration":1,"max_feature_idx":12,`+
			`"tree_info":[{"tree_structure":{"split_feature":0,"threshold":1,"decision_type":"<=","missing_type":"None","left_child":{"leaf_value":1},"right_child":{"leaf_value":2}}}]}`),
			"--input", good}, "lightgbm-json model: the dump has no internal_count and leaf_count for every node; TreeSHAP needs the node counts"},
		{"json without covers", []string{"--model", write("nocover.json", `{"learner":{"learner_model_param":{"num_feature":"1","base_score":"5E-1"},"objective":{"name":"reg:squarederror"},"gradient_booster":{"name":"gbtree","model":{"tree_info":[0],"trees":[{"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[0,0,0],"split_conditions":[0.5,1,2],"default_left":[0,0,0]}]}}}}`), "--input", good}, "sum_hessian"},
		{"too few features", []string{"--model", adult, "--input", write("short.csv", "1,2,3\n")}, "the model expects 13"},
		{"unknown backend", []string{"--model", adult, "--input", good, "--backend", "tpu"}, `unknown backend "tpu"`},
		{"empty input", []string{"--model", adult, "--input", write("empty.csv", "age,workclass,fnlwgt,education_num,marital_status,occupation,relationship,race,sex,capital_gain,capital_loss,hours_per_week,native_country\n")}, "no rows to explain"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := runShadow(context.Background(), append([]string{"explain"}, tc.args...), &stdout, &stderr)
			require.Error(t, err)
			var ue usageError
			require.True(t, errors.As(err, &ue), "want a usage error (exit 2), got %T: %v", err, err)
			require.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// TestShadowExplainBackendAuto: auto explains on a CUDA GPU, else an
// OpenCL GPU, else the CPU, and says why on stderr (here, without a GPU:
// the CPU, naming what it did not find), with the detected model format.
func TestShadowExplainBackendAuto(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.NoError(t, runShadow(context.Background(), []string{"explain", "--backend", "auto", "--model", explainFixture("adult_binary", "model.json"),
		"--input", explainFixture("adult_binary", "input.csv")}, &stdout, &stderr), stderr.String())
	if !strings.Contains(stderr.String(), "(auto: a CUDA GPU)") && !strings.Contains(stderr.String(), "(auto: no usable CUDA GPU:") {
		require.Contains(t, stderr.String(), "mlectl: backend cpu (auto: no usable CUDA GPU:")
		require.Contains(t, stderr.String(), "no usable OpenCL GPU")
	}
	require.Contains(t, stderr.String(), "detected format xgboost-json")
	recs, err := csv.NewReader(&stdout).ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(recs), 1)
}

func TestShadowExplainHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"shadow", "explain", "--help"}, &stdout, &stderr)
	require.Equal(t, 0, code)
	help := stdout.String() + stderr.String()
	require.Contains(t, help, "usage: mlectl shadow explain --model FILE --input FILE")
	require.Contains(t, help, "-label-column")
	require.Contains(t, help, "-backend")
}
