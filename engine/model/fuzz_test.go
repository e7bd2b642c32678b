package model

import (
	"encoding/json"
	"testing"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/internal/xgbjson"
)

// FuzzLoadXGBoostJSON feeds arbitrary bytes to the XGBoost JSON loader; a
// model that loads must also score a row of every kind (finite, missing,
// infinite) without panicking.
func FuzzLoadXGBoostJSON(f *testing.F) {
	// Real models cut down to their first trees: the fuzzer mutates small
	// inputs far faster, and the structure stays XGBoost's own.
	for _, dir := range []string{"xgboost_bike_binary_missing", "xgboost_bike_multiclass", "xgboost_bike_categorical"} {
		data := firstTrees(f, readFixture(f, dir, "model.json"), 2)
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add([]byte(`{"learner":{"learner_model_param":{"num_feature":"1","base_score":"5E-1"},"objective":{"name":"reg:squarederror"},` +
		`"gradient_booster":{"name":"gbtree","model":{"tree_info":[0],"trees":[{"left_children":[1,-1,-1],"right_children":[2,-1,-1],` +
		`"split_indices":[0,0,0],"split_conditions":[0.5,1,2],"default_left":[1,0,0]}]}}}}`))
	f.Add([]byte(`{"learner":{"gradient_booster":{"name":"dart","gbtree":{"model":{"tree_info":[],"trees":[]}}}}}`))
	f.Add([]byte(`[NaN, Infinity, "\"", -Infinity]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, raw := range []bool{false, true} {
			if m, err := LoadXGBoostJSON(data, raw); err == nil {
				fuzzScore(t, m)
			}
		}
	})
}

// fuzzScore scores rows of every kind (finite, missing, infinite) through a
// model a fuzz input loaded: loading must leave nothing that fails or
// panics later.
func fuzzScore(t *testing.T, m *XGBoostJSON) {
	nf := m.NumFeatures()
	if nf > 1<<12 {
		return // valid but too wide to score cheaply here
	}
	b := engine.NewBatch(3, nf)
	for j := 0; j < nf; j++ {
		b.Row(0)[j] = float64(j) * 0.25
		b.Row(1)[j] = nanOr(j)
		b.Row(2)[j] = float64(j % 7)
	}
	b.Row(2)[0] = 1e300
	out := make([]float64, 3*m.NumOutputs())
	if err := m.PredictBatch(b, out); err != nil {
		t.Fatalf("loaded model failed to score: %v", err)
	}
	finite := engine.NewBatch(1, nf)
	if err := m.PredictBatch(finite, out[:m.NumOutputs()]); err != nil {
		t.Fatalf("loaded model failed to score: %v", err)
	}
}

// FuzzLoadXGBoostBinary feeds arbitrary bytes to the binary (binf and
// legacy) loader, seeded with files XGBoost 1.7.4 wrote and a pre-1.0 one.
// Every count in the file is checked against the bytes left before it sizes
// an allocation, so no input may make it allocate more than a small
// multiple of its own length.
func FuzzLoadXGBoostBinary(f *testing.F) {
	for _, dir := range []string{"dart_poisson", "multiclass", "binary_missing"} {
		data := readFormatFixture(f, dir, "model.bin")
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	legacy := readFixture(f, "xgboost_agaricus", "xgagaricus.model")
	f.Add(legacy[:min(len(legacy), 4096)])
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, raw := range []bool{false, true} {
			if m, err := LoadXGBoostBinary(data, raw); err == nil {
				fuzzScore(t, m)
			}
		}
	})
}

// FuzzLoadXGBoostUBJSON feeds arbitrary bytes to the UBJSON loader, seeded
// with .ubj files XGBoost 1.7.4 wrote; the transcoded JSON is bounded by
// ubjEmitBudget.
func FuzzLoadXGBoostUBJSON(f *testing.F) {
	for _, dir := range []string{"dart_poisson", "multiclass"} {
		data := readFormatFixture(f, dir, "model.ubj")
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add([]byte("{i\x01a[$d#i\x02\x7f\xc0\x00\x00\x00\x00\x00\x00}"))
	f.Add([]byte("[[[[[[[[]]]]]]]]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, err := UBJSONToJSON(data)
		if err == nil && len(text) > ubjEmitBudget(len(data)) {
			t.Fatalf("%d bytes of UBJSON became %d bytes of JSON", len(data), len(text))
		}
		for _, raw := range []bool{false, true} {
			if m, err := LoadXGBoostUBJSON(data, raw); err == nil {
				fuzzScore(t, m)
			}
		}
	})
}

func nanOr(j int) float64 {
	if j%2 == 0 {
		var zero float64
		return zero / zero
	}
	return -float64(j)
}

// firstTrees re-encodes an XGBoost JSON model keeping only its first n trees.
func firstTrees(tb testing.TB, data []byte, n int) []byte {
	tb.Helper()
	var doc map[string]any
	if err := json.Unmarshal(xgbjson.QuoteNonFinite(data), &doc); err != nil {
		tb.Fatal(err)
	}
	booster := doc["learner"].(map[string]any)["gradient_booster"].(map[string]any)
	model := booster["model"].(map[string]any)
	model["trees"] = model["trees"].([]any)[:n]
	model["tree_info"] = model["tree_info"].([]any)[:n]
	out, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
