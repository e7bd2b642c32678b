package model

import (
	"encoding/json"
	"testing"

	"github.com/mlectl/mlectl/engine"
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
			m, err := LoadXGBoostJSON(data, raw)
			if err != nil {
				continue
			}
			nf := m.NumFeatures()
			if nf > 1<<12 {
				continue // valid but too wide to score cheaply here
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
	if err := json.Unmarshal(quoteNonFinite(data), &doc); err != nil {
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
