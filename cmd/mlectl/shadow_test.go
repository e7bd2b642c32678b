package main

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// shadowRepoRoot is the module root, seen from this package.
const shadowRepoRoot = "../.."

func shadowFixture(parts ...string) string {
	return filepath.Join(append([]string{shadowRepoRoot, "testdata", "models"}, parts...)...)
}

func shadowShared(t *testing.T, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{shadowRepoRoot, "..", "shared"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data %s is absent (only in the project workspace): %v", p, err)
	}
	return p
}

// shadowTol is either relative (|a-b| <= tol*|b|) or absolute.
type shadowTol struct {
	value    float64
	relative bool
}

type shadowScoreCase struct {
	name     string
	model    string
	input    string
	expected string
	args     []string
	tol      shadowTol
}

func TestShadowScoreFixtures(t *testing.T) {
	rel5 := shadowTol{1e-5, true}
	cases := []shadowScoreCase{
		{name: "bike regression oracle", model: shadowFixture("xgboost_bike_cnt_regression", "model.json"),
			input: shadowFixture("xgboost_bike_cnt_regression", "input.csv"), expected: shadowFixture("xgboost_bike_cnt_regression", "expected_predictions.txt"), tol: rel5},
		{name: "binary logistic with missing cells", model: shadowFixture("xgboost_bike_binary_missing", "model.json"),
			input: shadowFixture("xgboost_bike_binary_missing", "input.csv"), expected: shadowFixture("xgboost_bike_binary_missing", "expected_predictions.txt"), tol: rel5},
		{name: "binary logistic raw margins", model: shadowFixture("xgboost_bike_binary_missing", "model.json"), args: []string{"--raw"},
			input: shadowFixture("xgboost_bike_binary_missing", "input.csv"), expected: shadowFixture("xgboost_bike_binary_missing", "expected_raw.txt"), tol: shadowTol{1e-6, false}},
		{name: "multi softprob", model: shadowFixture("xgboost_bike_multiclass", "model.json"), args: []string{"--format", "xgboost-json"},
			input: shadowFixture("xgboost_bike_multiclass", "input.csv"), expected: shadowFixture("xgboost_bike_multiclass", "expected_predictions.txt"), tol: rel5},
		{name: "multi softprob raw", model: shadowFixture("xgboost_bike_multiclass", "model.json"), args: []string{"--raw"},
			input: shadowFixture("xgboost_bike_multiclass", "input.csv"), expected: shadowFixture("xgboost_bike_multiclass", "expected_raw.txt"), tol: rel5},
		{name: "categorical splits", model: shadowFixture("xgboost_bike_categorical", "model.json"),
			input: shadowFixture("xgboost_bike_categorical", "input.csv"), expected: shadowFixture("xgboost_bike_categorical", "expected_predictions.txt"), tol: rel5},
		{name: "xgboost dart booster", model: shadowFixture("xgboost_bike_dart", "model.json"),
			input: shadowFixture("xgboost_bike_dart", "input.csv"), expected: shadowFixture("xgboost_bike_dart", "expected_predictions.txt"), tol: rel5},
		{name: "lightgbm dart breast cancer", model: shadowFixture("lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model"),
			input: shadowFixture("lightgbm_breast_cancer_dart", "breast_cancer_test.tsv"), expected: shadowFixture("lightgbm_breast_cancer_dart", "lg_dart_breast_cancer_true_predictions.txt"), tol: shadowTol{1e-6, false}},
		{name: "lightgbm multiclass softmax", model: shadowFixture("lightgbm_multiclass", "lgmulticlass.model"), args: []string{"--label-column", "0", "--format", "lightgbm"},
			input: shadowFixture("lightgbm_multiclass", "multiclass_test_head200.tsv"), expected: shadowFixture("lightgbm_multiclass", "lgmulticlass_true_predictions_head200.txt"), tol: shadowTol{1e-7, false}},
		{name: "lightgbm multiclass raw", model: shadowFixture("lightgbm_multiclass", "lgmulticlass.model"), args: []string{"--label-column", "0", "--raw"},
			input: shadowFixture("lightgbm_multiclass", "multiclass_test_head200.tsv"), expected: shadowFixture("lightgbm_multiclass", "lgmulticlass_true_raw_predictions_head200.txt"), tol: shadowTol{1e-7, false}},
		{name: "xgboost legacy binary agaricus libsvm", model: shadowFixture("xgboost_agaricus", "xgagaricus.model"), args: []string{"--format", "xgboost"},
			input: shadowFixture("xgboost_agaricus", "agaricus_test_head400.libsvm"), expected: shadowFixture("xgboost_agaricus", "xgagaricus_true_predictions_head400.txt"), tol: shadowTol{1e-7, false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runShadowScoreCase(t, tc) })
	}
}

// TestShadowScoreSharedOracles runs every model/input/expected triple of the
// shared workspace data in full, at the tolerances SOURCES.md gives.
func TestShadowScoreSharedOracles(t *testing.T) {
	type sharedCase struct {
		name                   string
		dir                    []string
		model, input, expected string
		args                   []string
		tol                    shadowTol
	}
	cases := []sharedCase{
		{name: "bike regression", dir: []string{"oracles", "models", "xgboost_bike_cnt_regression"},
			model: "model.json", input: "input.csv", expected: "expected_predictions.txt", tol: shadowTol{1e-5, true}},
		{name: "breast cancer dart", dir: []string{"data", "leaves", "lightgbm_breast_cancer_dart"},
			model: "lg_dart_breast_cancer.model", input: "breast_cancer_test.tsv", expected: "lg_dart_breast_cancer_true_predictions.txt", tol: shadowTol{1e-6, false}},
		{name: "multiclass softmax", dir: []string{"data", "leaves", "lightgbm_multiclass"}, args: []string{"--label-column", "0"},
			model: "lgmulticlass.model", input: "multiclass_test.tsv", expected: "lgmulticlass_true_predictions.txt", tol: shadowTol{1e-7, false}},
		{name: "multiclass raw", dir: []string{"data", "leaves", "lightgbm_multiclass"}, args: []string{"--label-column", "0", "--raw"},
			model: "lgmulticlass.model", input: "multiclass_test.tsv", expected: "lgmulticlass_true_raw_predictions.txt", tol: shadowTol{1e-7, false}},
		{name: "kddcup99 categorical raw", dir: []string{"data", "leaves", "lightgbm_kddcup99_categorical"}, args: []string{"--raw"},
			model: "lg_kddcup99.model", input: "kddcup99_test.tsv", expected: "lg_kddcup99_true_predictions.txt", tol: shadowTol{1e-6, false}},
		{name: "agaricus libsvm", dir: []string{"data", "leaves", "xgboost_agaricus"},
			model: "xgagaricus.model", input: "agaricus_test.libsvm", expected: "xgagaricus_true_predictions.txt", tol: shadowTol{1e-7, false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := shadowShared(t, tc.dir...)
			runShadowScoreCase(t, shadowScoreCase{
				model: filepath.Join(dir, tc.model), input: filepath.Join(dir, tc.input),
				expected: filepath.Join(dir, tc.expected), args: tc.args, tol: tc.tol,
			})
		})
	}
}

func runShadowScoreCase(t *testing.T, tc shadowScoreCase) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "predictions.txt")
	args := append([]string{"score", "--model", tc.model, "--input", tc.input, "--output", out}, tc.args...)
	var stdout, stderr bytes.Buffer
	require.NoError(t, runShadow(context.Background(), args, &stdout, &stderr), "stderr: %s", stderr.String())

	want := readShadowMatrix(t, tc.expected)
	// An empty expected file reads as one row of no values and would
	// compare nothing.
	require.NotEmpty(t, want, "%s has no predictions", tc.expected)
	require.NotEmpty(t, want[0], "%s has no predictions", tc.expected)
	got := readShadowMatrix(t, out)
	require.Len(t, got, len(want), "prediction rows")
	worst := 0.0
	for i := range want {
		require.Len(t, got[i], len(want[i]), "outputs in row %d", i+1)
		for k := range want[i] {
			diff := math.Abs(got[i][k] - want[i][k])
			limit := tc.tol.value
			if tc.tol.relative {
				limit *= math.Abs(want[i][k])
			}
			require.LessOrEqual(t, diff, limit, "row %d output %d: got %v, want %v", i+1, k, got[i][k], want[i][k])
			worst = max(worst, diff)
		}
	}
	t.Logf("%d rows, max abs diff %.3g", len(want), worst)
}

// readShadowMatrix parses a predictions file: one row a line, values
// separated by tabs, commas or spaces.
func readShadowMatrix(t *testing.T, path string) [][]float64 {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rows [][]float64
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fields := strings.FieldsFunc(line, func(r rune) bool { return r == '\t' || r == ',' || r == ' ' || r == '\r' })
		row := make([]float64, len(fields))
		for i, f := range fields {
			row[i], err = strconv.ParseFloat(f, 64)
			require.NoError(t, err, "%s: %q", path, line)
		}
		rows = append(rows, row)
	}
	return rows
}

// TestShadowScoreLightGBMJSON scores the JSON dump LightGBM wrote of the
// breast cancer DART model (a v2 dump: no objective, so raw margins only)
// and checks sigmoid(margin) against LightGBM's probabilities; its margins
// are the very text model.txt's are, and so are its contributions
// (shadow explain), read from the dump's internal_count and leaf_count.
func TestShadowScoreLightGBMJSON(t *testing.T) {
	dir := shadowFixture("lightgbm_breast_cancer_dart")
	input := filepath.Join(dir, "breast_cancer_test.tsv")
	runOK := func(args ...string) (string, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"shadow"}, args...), &stdout, &stderr)
		require.Equal(t, 0, code, stderr.String())
		return stdout.String(), stderr.String()
	}
	dumpOut, stderr := runOK("score", "--raw", "--model", filepath.Join(dir, "lg_dart_breast_cancer.json"), "--input", input)
	require.Contains(t, stderr, "detected format lightgbm-json (LightGBM JSON dump)")
	txtOut, _ := runOK("score", "--raw", "--model", filepath.Join(dir, "lg_dart_breast_cancer.model"), "--input", input)
	require.Equal(t, txtOut, dumpOut, "the dump's margins are model.txt's")
	out := filepath.Join(t.TempDir(), "margins.txt")
	require.NoError(t, os.WriteFile(out, []byte(dumpOut), 0o644))
	margins := readShadowMatrix(t, out)
	want := readShadowMatrix(t, filepath.Join(dir, "lg_dart_breast_cancer_true_predictions.txt"))
	require.Len(t, margins, len(want))
	for i := range want {
		require.InDelta(t, want[i][0], 1/(1+math.Exp(-margins[i][0])), 1e-6, "row %d", i+1)
	}

	dumpSHAP, _ := runOK("explain", "--model", filepath.Join(dir, "lg_dart_breast_cancer.json"), "--input", input)
	txtSHAP, _ := runOK("explain", "--model", filepath.Join(dir, "lg_dart_breast_cancer.model"), "--input", input)
	require.Equal(t, txtSHAP, dumpSHAP, "the dump explains as model.txt does")

	// Without --raw the dump has no objective to transform with: exit 2.
	var stdout, stderrB bytes.Buffer
	code := run(context.Background(), []string{"shadow", "score", "--model", filepath.Join(dir, "lg_dart_breast_cancer.json"), "--input", input}, &stdout, &stderrB)
	require.Equal(t, 2, code)
	require.Contains(t, stderrB.String(), "lightgbm-json model: the file records no objective (pass --raw for the margins)")
}

func TestShadowScoreStdoutAndDetection(t *testing.T) {
	// No --format, no --output: content detection, predictions on stdout.
	var stdout, stderr bytes.Buffer
	err := runShadow(context.Background(), []string{"score",
		"--model", shadowFixture("xgboost_agaricus", "xgagaricus.model"),
		"--input", shadowFixture("xgboost_agaricus", "agaricus_test_head400.libsvm")}, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 400)
	first, err := strconv.ParseFloat(lines[0], 64)
	require.NoError(t, err)
	require.InDelta(t, 0.1535363495349884033, first, 1e-7)
}

func TestShadowScoreBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	bikeModel := shadowFixture("xgboost_bike_cnt_regression", "model.json")
	bikeHeader := "season,yr,mnth,hr,holiday,weekday,workingday,weathersit,temp,atemp,hum,windspeed\n"
	goodCSV := write("good.csv", bikeHeader+"1,1,1,0,0,0,0,1,0.36,0.3788,0.66,0.0\n")
	modelBytes, err := os.ReadFile(bikeModel)
	require.NoError(t, err)
	truncated := write("truncated.json", string(modelBytes[:len(modelBytes)/2]))
	garbage := write("garbage.model", "\x00\x01\x02 definitely not a model")
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no subcommand", nil, "missing subcommand"},
		{"unknown subcommand", []string{"compare"}, `unknown shadow subcommand "compare"`},
		{"missing model flag", []string{"score", "--input", goodCSV}, "--model is required"},
		{"missing input flag", []string{"score", "--model", bikeModel}, "--input is required"},
		{"unknown format", []string{"score", "--model", bikeModel, "--input", goodCSV, "--format", "onnx"}, `unknown model format "onnx"`},
		{"unknown input format", []string{"score", "--model", bikeModel, "--input", goodCSV, "--input-format", "parquet"}, `unknown input format "parquet"`},
		{"model file missing", []string{"score", "--model", filepath.Join(dir, "nope.json"), "--input", goodCSV}, "no such file"},
		{"corrupt json model", []string{"score", "--model", truncated, "--input", goodCSV}, "xgboost json"},
		{"corrupt binary model", []string{"score", "--model", garbage, "--input", goodCSV}, "xgboost binary: byte 0"},
		{"json model given as lightgbm", []string{"score", "--model", bikeModel, "--format", "lightgbm", "--input", goodCSV}, "lightgbm model"},
		{"too few features", []string{"score", "--model", bikeModel, "--input",
			write("short.csv", "1,1,1,0,0,0,0,1,0.36,0.3788,0.66\n")}, "line 1 has 11 feature columns, the model expects 12"},
		{"header names a foreign column", []string{"score", "--model", bikeModel, "--input",
			write("foreign.csv", strings.Replace(bikeHeader, "hum", "humidity", 1)+"1,1,1,0,0,0,0,1,0.36,0.3788,0.66,0.0\n")}, `"humidity" is not a model feature`},
		{"non-numeric cell", []string{"score", "--model", bikeModel, "--input",
			write("words.csv", bikeHeader+"1,1,1,0,0,0,0,1,0.36,0.3788,0.66,0.0\n1,1,1,zero,0,0,0,1,0.36,0.3788,0.66,0.0\n")}, `line 3, column 4 (hr): "zero" is not a number`},
		{"ragged rows", []string{"score", "--model", bikeModel, "--input",
			write("ragged.csv", "1,1,1,0,0,0,0,1,0.36,0.3788,0.66,0.0\n1,1,1,0,0,0,0,1,0.36,0.3788,0.66\n")}, "line 2 has 11 columns"},
		{"label column hint", []string{"score", "--model", shadowFixture("lightgbm_multiclass", "lgmulticlass.model"),
			"--input", shadowFixture("lightgbm_multiclass", "multiclass_test_head200.tsv")}, "--label-column 0"},
		{"libsvm index out of range", []string{"score", "--model", shadowFixture("xgboost_agaricus", "xgagaricus.model"),
			"--input", write("wide.libsvm", "1 3:1 500:1\n")}, "feature index 500 is out of range"},
		{"empty input", []string{"score", "--model", bikeModel, "--input", write("empty.csv", bikeHeader)}, "no rows to score"},
		{"lightgbm json dump without objective", []string{"score", "--model", write("lg.json", `{"name":"tree","version":"v2","num_class":1,"num_tree_per_iteration":1,"max_feature_idx":11,`+
			`"tree_info":[{"tree_structure":{"leaf_value":1}}]}`), "--input", goodCSV}, "lightgbm-json model: the file records no objective (pass --raw for the margins)"},
		{"lightgbm json dump with a bad threshold", []string{"score", "--raw", "--model", write("lg-bad.json", `{"name":"tree","version":"v4","num_class":1,"num_tree_per_iteration":1,"max_feature_idx":11,`+
			`"tree_info":[{"tree_structure":{"split_feature":0,"threshold":"x","decision_type":"<=","missing_type":"None","left_child":{"leaf_value":1},"right_child":{"leaf_value":2}}}]}`),
			"--input", goodCSV}, `lightgbm-json model: tree_info[0].tree_structure (byte 123): decision_type "<=" needs a number threshold, got the string "x"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := runShadow(context.Background(), tc.args, &stdout, &stderr)
			require.Error(t, err)
			var ue usageError
			require.True(t, errors.As(err, &ue), "want a usage error (exit 2), got %T: %v", err, err)
			require.Contains(t, err.Error(), tc.wantErr)
			// Through the real entry point the same call exits with status 2.
			code := run(context.Background(), append([]string{"shadow"}, tc.args...), &stdout, &stderr)
			require.Equal(t, 2, code)
		})
	}
}

func TestShadowScoreKeepsOutputOnFailure(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "predictions.txt")
	require.NoError(t, os.WriteFile(out, []byte("previous run\n"), 0o644))
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("1,2,3\n"), 0o644))
	err := runShadow(context.Background(), []string{"score", "--model", shadowFixture("xgboost_bike_cnt_regression", "model.json"),
		"--input", bad, "--output", out}, &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "previous run\n", string(data))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2, "no temporary files left behind")
}
