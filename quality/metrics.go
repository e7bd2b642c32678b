package quality

import (
	"math"
	"sort"
)

// eps is numpy's float64 machine epsilon, the clipping scikit-learn uses in
// log_loss and the floor of the denominator in mean_absolute_percentage_error.
const eps = 2.220446049250313e-16

// Accuracy is the share of equal pairs (sklearn accuracy_score).
func Accuracy(yTrue, yPred []int) float64 {
	if len(yTrue) == 0 {
		return math.NaN()
	}
	ok := 0
	for i := range yTrue {
		if yTrue[i] == yPred[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(yTrue))
}

// BinaryPRF is precision, recall and F1 of class pos (sklearn
// average="binary"); an undefined ratio (0/0) is 0, sklearn's zero_division
// default after its warning.
func BinaryPRF(yTrue, yPred []int, pos int) (precision, recall, f1 float64) {
	var tp, fp, fn float64
	for i := range yTrue {
		switch {
		case yPred[i] == pos && yTrue[i] == pos:
			tp++
		case yPred[i] == pos:
			fp++
		case yTrue[i] == pos:
			fn++
		}
	}
	return prf(tp, fp, fn)
}

func prf(tp, fp, fn float64) (p, r, f float64) {
	if tp+fp > 0 {
		p = tp / (tp + fp)
	}
	if tp+fn > 0 {
		r = tp / (tp + fn)
	}
	if 2*tp+fp+fn > 0 {
		f = 2 * tp / (2*tp + fp + fn)
	}
	return p, r, f
}

// MacroPRF averages per-class precision, recall and F1 over the classes that
// occur in yTrue or yPred (sklearn average="macro").
func MacroPRF(yTrue, yPred []int) (precision, recall, f1 float64) {
	classes := map[int]bool{}
	for i := range yTrue {
		classes[yTrue[i]] = true
		classes[yPred[i]] = true
	}
	if len(classes) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	for c := range classes {
		p, r, f := BinaryPRF(yTrue, yPred, c)
		precision += p
		recall += r
		f1 += f
	}
	n := float64(len(classes))
	return precision / n, recall / n, f1 / n
}

// ROCAUC is the area under the ROC curve of scores for the positive labels
// (sklearn roc_auc_score), computed as the Mann-Whitney statistic with tied
// scores counted one half. It is NaN when only one class is present.
func ROCAUC(positive []bool, score []float64) float64 {
	n := len(score)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	var nPos, rankSum float64
	for i := 0; i < n; {
		j := i
		for j < n && score[idx[j]] == score[idx[i]] {
			j++
		}
		// Ranks i+1..j share their mean.
		mean := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			if positive[idx[k]] {
				nPos++
				rankSum += mean
			}
		}
		i = j
	}
	nNeg := float64(n) - nPos
	if nPos == 0 || nNeg == 0 {
		return math.NaN()
	}
	return (rankSum - nPos*(nPos+1)/2) / (nPos * nNeg)
}

// MacroOvRAUC is the one-vs-rest ROC AUC averaged over classes (sklearn
// roc_auc_score(multi_class="ovr", average="macro")); probs[i][c] is the score
// of class c for sample i. Classes absent from yTrue make it NaN, as sklearn
// refuses them.
func MacroOvRAUC(yTrue []int, probs [][]float64, nClasses int) float64 {
	var sum float64
	pos := make([]bool, len(yTrue))
	col := make([]float64, len(yTrue))
	for c := 0; c < nClasses; c++ {
		for i := range yTrue {
			pos[i] = yTrue[i] == c
			col[i] = probs[i][c]
		}
		a := ROCAUC(pos, col)
		if math.IsNaN(a) {
			return math.NaN()
		}
		sum += a
	}
	return sum / float64(nClasses)
}

// BinaryLogLoss is the mean negative log-likelihood of p (the probability of
// the positive class), clipped to [eps, 1-eps] (sklearn log_loss).
func BinaryLogLoss(positive []bool, p []float64) float64 {
	if len(p) == 0 {
		return math.NaN()
	}
	var s float64
	for i := range p {
		q := min(max(p[i], eps), 1-eps)
		if positive[i] {
			s -= math.Log(q)
		} else {
			s -= math.Log(1 - q)
		}
	}
	return s / float64(len(p))
}

// LogLoss is the multi-class log loss: each row of probs is normalised to sum
// to one, the true class's probability clipped to [eps, 1-eps] (sklearn
// log_loss).
func LogLoss(yTrue []int, probs [][]float64) float64 {
	if len(yTrue) == 0 {
		return math.NaN()
	}
	var s float64
	for i, row := range probs {
		var sum float64
		for _, v := range row {
			sum += min(max(v, eps), 1-eps)
		}
		q := min(max(row[yTrue[i]], eps), 1-eps) / sum
		s -= math.Log(q)
	}
	return s / float64(len(yTrue))
}

// MAE is the mean absolute error.
func MAE(y, yHat []float64) float64 {
	if len(y) == 0 {
		return math.NaN()
	}
	var s float64
	for i := range y {
		s += math.Abs(y[i] - yHat[i])
	}
	return s / float64(len(y))
}

// RMSE is the root mean squared error.
func RMSE(y, yHat []float64) float64 {
	if len(y) == 0 {
		return math.NaN()
	}
	var s float64
	for i := range y {
		d := y[i] - yHat[i]
		s += d * d
	}
	return math.Sqrt(s / float64(len(y)))
}

// MAPE is the mean absolute percentage error as a fraction, with the
// denominator floored at eps (sklearn mean_absolute_percentage_error).
func MAPE(y, yHat []float64) float64 {
	if len(y) == 0 {
		return math.NaN()
	}
	var s float64
	for i := range y {
		s += math.Abs(y[i]-yHat[i]) / max(math.Abs(y[i]), eps)
	}
	return s / float64(len(y))
}
