package quality

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The expected values below are the ones scikit-learn's documentation prints
// for the same inputs (accuracy_score, precision_recall_fscore_support,
// roc_auc_score's roc_curve example, log_loss, mean_absolute_error,
// root_mean_squared_error, mean_absolute_percentage_error).
func TestMetricsMatchSklearnDocs(t *testing.T) {
	assert.Equal(t, 0.5, Accuracy([]int{0, 1, 2, 3}, []int{0, 2, 1, 3}))

	// y_true = ['cat','dog','pig','cat','dog','pig'], y_pred = ['cat','pig','dog','cat','cat','dog']
	p, r, f := MacroPRF([]int{0, 1, 2, 0, 1, 2}, []int{0, 2, 1, 0, 0, 1})
	assert.InDelta(t, 0.22222222222222221, p, 1e-15)
	assert.InDelta(t, 0.33333333333333331, r, 1e-15)
	assert.InDelta(t, 0.26666666666666666, f, 1e-15)

	// f1_score(y_true=[0,1,0,1], y_pred=[0,1,1,1]) binary: p=2/3, r=1, f1=0.8
	p, r, f = BinaryPRF([]int{0, 1, 0, 1}, []int{0, 1, 1, 1}, 1)
	assert.InDelta(t, 2.0/3, p, 1e-15)
	assert.Equal(t, 1.0, r)
	assert.InDelta(t, 0.8, f, 1e-15)

	// roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
	assert.InDelta(t, 0.75, ROCAUC([]bool{false, false, true, true}, []float64{0.1, 0.4, 0.35, 0.8}), 1e-15)

	// log_loss(["spam","ham","ham","spam"], [[.1,.9],[.9,.1],[.8,.2],[.35,.65]]) == 0.21616...
	// (classes sorted: ham=0, spam=1)
	ll := LogLoss([]int{1, 0, 0, 1}, [][]float64{{.1, .9}, {.9, .1}, {.8, .2}, {.35, .65}})
	assert.InDelta(t, 0.21616187468057912, ll, 1e-12)
	assert.InDelta(t, ll, BinaryLogLoss([]bool{true, false, false, true}, []float64{.9, .1, .2, .65}), 1e-12)

	y, yh := []float64{3, -0.5, 2, 7}, []float64{2.5, 0.0, 2, 8}
	assert.InDelta(t, 0.5, MAE(y, yh), 1e-15)
	assert.InDelta(t, 0.6123724356957945, RMSE(y, yh), 1e-15)
	assert.InDelta(t, 0.3273809523809524, MAPE(y, yh), 1e-15)
	// A zero target divides by eps, as sklearn does.
	assert.InDelta(t, 1/eps/2, MAPE([]float64{0, 1}, []float64{1, 1}), 1)

	assert.True(t, math.IsNaN(ROCAUC([]bool{true, true}, []float64{0.1, 0.2})), "one class: undefined")
	assert.True(t, math.IsNaN(MAE(nil, nil)))
}

// TestROCAUCAgainstPairCounting checks the rank formula against the
// definition: the probability that a random positive outscores a random
// negative, ties counting one half.
func TestROCAUCAgainstPairCounting(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 20 {
		n := 5 + rng.IntN(200)
		pos := make([]bool, n)
		score := make([]float64, n)
		for i := range pos {
			pos[i] = rng.IntN(3) == 0
			score[i] = float64(rng.IntN(20)) / 20 // many ties
		}
		var wins, pairs float64
		for i := range n {
			for j := range n {
				if !pos[i] || pos[j] {
					continue
				}
				pairs++
				switch {
				case score[i] > score[j]:
					wins++
				case score[i] == score[j]:
					wins += 0.5
				}
			}
		}
		got := ROCAUC(pos, score)
		if pairs == 0 {
			assert.True(t, math.IsNaN(got))
			continue
		}
		assert.InDelta(t, wins/pairs, got, 1e-12, "trial %d", trial)
	}
}

func TestMacroOvRAUC(t *testing.T) {
	// Three classes; each one-vs-rest AUC by pair counting:
	// class 0: pos scores {.7,.2} vs neg {.1,.3,.1,.2}: wins 4 + (1.5+... ) computed below.
	yTrue := []int{0, 0, 1, 1, 2, 2}
	probs := [][]float64{{.7, .2, .1}, {.2, .5, .3}, {.1, .8, .1}, {.3, .4, .3}, {.1, .2, .7}, {.2, .3, .5}}
	want := 0.0
	for c := range 3 {
		var wins, pairs float64
		for i := range yTrue {
			for j := range yTrue {
				if yTrue[i] != c || yTrue[j] == c {
					continue
				}
				pairs++
				switch {
				case probs[i][c] > probs[j][c]:
					wins++
				case probs[i][c] == probs[j][c]:
					wins += 0.5
				}
			}
		}
		want += wins / pairs / 3
	}
	assert.InDelta(t, want, MacroOvRAUC(yTrue, probs, 3), 1e-12)
}
