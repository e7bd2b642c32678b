package model

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/internal/xgbjson"
)

func fixture(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "testdata", "models"}, parts...)...)
}

func readFixture(t testing.TB, parts ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(fixture(parts...))
	require.NoError(t, err)
	return data
}

func TestDetect(t *testing.T) {
	cases := []struct {
		file []string
		want Format
	}{
		{[]string{"xgboost_bike_cnt_regression", "model.json"}, FormatXGBoostJSON},
		{[]string{"xgboost_bike_categorical", "model.json"}, FormatXGBoostJSON},
		{[]string{"lightgbm_multiclass", "lgmulticlass.model"}, FormatLightGBM},
		{[]string{"lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model"}, FormatLightGBM},
		{[]string{"xgboost_agaricus", "xgagaricus.model"}, FormatXGBoostBinary},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.file, "/"), func(t *testing.T) {
			require.Equal(t, tc.want, Detect(readFixture(t, tc.file...)))
		})
	}
	require.Equal(t, FormatLightGBMJSON, Detect([]byte("{\n \"name\": \"tree\",\n \"version\": \"v2\"")))
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats() {
		got, err := ParseFormat(string(f))
		require.NoError(t, err)
		require.Equal(t, f, got)
	}
	got, err := ParseFormat("")
	require.NoError(t, err)
	require.Equal(t, FormatAuto, got)
	_, err = ParseFormat("onnx")
	require.ErrorContains(t, err, `unknown model format "onnx"`)
}

func TestLoadXGBoostJSONShape(t *testing.T) {
	cases := []struct {
		dir       string
		raw       bool
		objective string
		features  int
		outputs   int
		trees     int
		firstFeat string
	}{
		{"xgboost_bike_cnt_regression", false, "reg:squarederror", 12, 1, 200, "season"},
		{"xgboost_bike_binary_missing", false, "binary:logistic", 12, 1, 20, "season"},
		{"xgboost_bike_multiclass", false, "multi:softprob", 11, 4, 40, "season"},
		{"xgboost_bike_multiclass", true, "multi:softprob", 11, 4, 40, "season"},
		{"xgboost_bike_categorical", false, "reg:squarederror", 12, 1, 15, "season"},
		{"xgboost_bike_dart", false, "reg:squarederror", 12, 1, 12, "season"},
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			m, err := LoadXGBoostJSON(readFixture(t, tc.dir, "model.json"), tc.raw)
			require.NoError(t, err)
			require.Equal(t, tc.objective, m.Objective())
			require.Equal(t, tc.features, m.NumFeatures())
			require.Equal(t, tc.outputs, m.NumOutputs())
			require.Equal(t, tc.trees, m.NumTrees())
			require.Equal(t, tc.firstFeat, m.FeatureNames()[0])
			require.True(t, math.IsNaN(m.AbsentValue()))
		})
	}
}

// TestXGBoostJSONMissingPaths scores the same rows through the fixed-depth
// evaluator and, by poisoning one cell per block with NaN, through the
// checked walk; rows without the NaN must not change.
func TestXGBoostJSONMissingPaths(t *testing.T) {
	m, err := LoadXGBoostJSON(readFixture(t, "xgboost_bike_cnt_regression", "model.json"), false)
	require.NoError(t, err)
	row := []float64{1, 1, 1, 0, 0, 0, 0, 1, 0.36, 0.3788, 0.66, 0.0}
	b := engine.NewBatch(2, 12)
	copy(b.Row(0), row)
	copy(b.Row(1), row)
	clean := make([]float64, 2)
	require.NoError(t, m.PredictBatch(b, clean))
	require.Equal(t, clean[0], clean[1])
	require.InDelta(t, 23.6595325, clean[0], 23.6595325*1e-6) // first line of the oracle

	b.Row(1)[3] = math.NaN()
	mixed := make([]float64, 2)
	require.NoError(t, m.PredictBatch(b, mixed))
	require.Equal(t, clean[0], mixed[0])

	b.Row(1)[3] = math.Inf(1)
	require.NoError(t, m.PredictBatch(b, mixed))
	require.Equal(t, clean[0], mixed[0])
}

func TestLoadErrors(t *testing.T) {
	bike := string(readFixture(t, "xgboost_bike_categorical", "model.json"))
	cases := []struct {
		name    string
		data    string
		format  Format
		raw     bool
		wantErr string
	}{
		{"empty", "", FormatXGBoostJSON, false, "xgboost json"},
		{"not json", "{nope", FormatXGBoostJSON, false, "xgboost json"},
		{"no booster", `{"learner":{}}`, FormatXGBoostJSON, false, "no learner.gradient_booster"},
		{"linear booster", `{"learner":{"gradient_booster":{"name":"gblinear"}}}`, FormatXGBoostJSON, false, "gblinear"},
		{"unknown objective", strings.Replace(bike, `"reg:squarederror"`, `"reg:mystery"`, 1), FormatXGBoostJSON, false, `objective "reg:mystery" is not supported`},
		{"feature out of range", strings.Replace(bike, `"num_class":"0","num_feature":"12"`, `"num_class":"0","num_feature":"2"`, 1), FormatXGBoostJSON, false, "splits on feature"},
		{"bad base score", strings.Replace(bike, `"base_score":"`, `"base_score":"x`, 1), FormatXGBoostJSON, false, "base_score"},
		{"cycle", strings.Replace(bike, `"left_children":[1,`, `"left_children":[0,`, 1), FormatXGBoostJSON, false, "invalid children"},
		{"vector leaves", strings.ReplaceAll(bike, `"size_leaf_vector":"0"}`, `"size_leaf_vector":"3"}`), FormatXGBoostJSON, false, "vector leaves"},
		{"lightgbm garbage", "tree\nversion=v2\n", FormatLightGBM, false, "lightgbm model"},
		{"xgboost binary garbage", "\x01\x02", FormatXGBoostBinary, false, "xgboost binary: byte 0: learner model parameters needs 136 bytes"},
		{"unknown format", "", Format("onnx"), false, "unknown model format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.data), tc.format, Options{Raw: tc.raw})
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestQuoteNonFinite(t *testing.T) {
	cases := []struct{ in, want string }{
		{`[1,2]`, `[1,2]`},
		{`[NaN,-Infinity,Infinity]`, `["NaN","-Infinity","Infinity"]`},
		{`{"NaN":"Infinity \" NaN","v":[NaN]}`, `{"NaN":"Infinity \" NaN","v":["NaN"]}`},
		{`[-1,N]`, `[-1,N]`},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, string(xgbjson.QuoteNonFinite([]byte(tc.in))))
	}
}

func TestLightGBMModelShape(t *testing.T) {
	m, err := Load(readFixture(t, "lightgbm_multiclass", "lgmulticlass.model"), FormatAuto, Options{})
	require.NoError(t, err)
	require.Equal(t, 28, m.NumFeatures())
	require.Equal(t, 5, m.NumOutputs())
	l := m.(*LightGBM)
	require.Equal(t, "lightgbm.gbdt", l.Name())
	require.Equal(t, 0.0, l.AbsentValue())
	require.Equal(t, 10, l.NumTrees())

	x, err := Load(readFixture(t, "xgboost_agaricus", "xgagaricus.model"), FormatAuto, Options{Raw: true})
	require.NoError(t, err)
	require.Equal(t, 1, x.NumOutputs())
	// Legacy (pre-1.0) XGBoost binary models are read by the binary loader.
	require.True(t, math.IsNaN(x.(*XGBoostJSON).AbsentValue()))
	// Softmax outputs sum to one; raw margins do not.
	b := engine.NewBatch(1, 28)
	out := make([]float64, 5)
	require.NoError(t, m.PredictBatch(b, out))
	sum := 0.0
	for _, v := range out {
		sum += v
	}
	require.InDelta(t, 1, sum, 1e-12)
	require.ErrorContains(t, m.PredictBatch(engine.NewBatch(1, 27), out), "expects 28")
}
