package shadow

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/drift"
)

// Task is what a comparison treats the scores as (api.ShadowTask).
type Task = api.ShadowTask

// Tasks. TaskAuto detects: classification when every score of both sides
// lies in [0, 1] and every label (if any) is 0 or 1, regression otherwise.
const (
	TaskAuto           = api.ShadowTaskAuto
	TaskClassification = api.ShadowTaskClassification
	TaskRegression     = api.ShadowTaskRegression
)

// Defaults of Options.
const (
	DefaultThreshold     = 0.5
	DefaultTopN          = 20
	DefaultMaxSamples    = 1 << 20
	DefaultRelTolerance  = 0.05
	MaxTopDisagreements  = 20
	p99                  = 0.99
	defaultReservoirSeed = 0x5eed
)

// Options tune a comparison; the zero value gives the defaults.
type Options struct {
	Task Task
	// Threshold: a classification score >= Threshold is positive. <= 0
	// means DefaultThreshold.
	Threshold float64
	// Tolerance: regressors agree when |diff| <= Tolerance. <= 0 means
	// DefaultRelTolerance times the mean absolute production score.
	Tolerance float64
	// TopN is how many of the most disagreeing pairs are kept: 0 means
	// DefaultTopN, negative none.
	TopN int
	// MaxSamples bounds the pairs kept for the rank and distribution
	// figures; beyond it they come from a uniform reservoir sample.
	MaxSamples int
	// Seed seeds the reservoir, for reproducible sampled figures.
	Seed uint64
}

func (o Options) withDefaults() Options {
	if o.Threshold <= 0 {
		o.Threshold = DefaultThreshold
	}
	if o.TopN == 0 {
		o.TopN = DefaultTopN
	}
	if o.MaxSamples <= 0 {
		o.MaxSamples = DefaultMaxSamples
	}
	if o.Seed == 0 {
		o.Seed = defaultReservoirSeed
	}
	return o
}

// Pair is one request scored by production and by the candidate.
type Pair struct {
	RequestID  string
	TS         int64 // Unix milliseconds
	Production float64
	Candidate  float64
	// Label is the ground truth when Labelled.
	Label    float64
	Labelled bool
}

// Disagreement is one of the most disagreeing pairs (api.Disagreement).
type Disagreement = api.Disagreement

// Quality is one side's quality on the labelled pairs.
type Quality = api.ShadowQuality

// Stats are the figures of a comparison. Figures that cannot be computed
// (no pairs, a constant side for Spearman, one label class for AUC) are NaN.
type Stats struct {
	Pairs int
	// Skipped counts pairs with a non-finite score on either side.
	Skipped   int
	Task      Task
	Threshold float64
	Tolerance float64
	Agreement float64
	// MeanAbsDiff and P99AbsDiff are of |candidate - production|.
	MeanAbsDiff, P99AbsDiff float64
	Spearman, PSI           float64
	// Production and Candidate quality; nil without labelled pairs.
	Production, Candidate *Quality
	// Top are the most disagreeing pairs, largest |diff| first (ties by
	// request id).
	Top []Disagreement
	// Sampled reports that the rank and distribution figures come from a
	// reservoir sample of MaxSamples pairs.
	Sampled bool
}

// Accumulator compares pairs as they come. Mean |diff|, classification
// agreement, agreement at an explicit tolerance, RMSE and the top-N heap are
// exact over every pair in O(1) memory each; P99, Spearman, PSI, AUC and
// agreement at the default tolerance need the scores themselves and use the
// first MaxSamples pairs, then a uniform reservoir sample (Algorithm R) of
// that size: 24 bytes a pair kept, plus 24 bytes a pair of scratch in
// Result. Not safe for concurrent use.
type Accumulator struct {
	opts Options
	n    int
	skip int
	rng  *rand.Rand

	sumAbs, sumAbsProd float64
	agreeClass         int // production and candidate on the same side of Threshold
	agreeTol           int // |diff| <= explicit Tolerance
	unit               bool
	binaryLabels       bool
	nLabelled          int
	sqProd, sqCand     float64

	// Kept samples; lab is NaN for an unlabelled pair.
	prod, cand, lab []float64
	top             topHeap

	// Result scratch.
	idx          []int32
	rankA, rankB []float64
	diffs        []float64
	pos          []bool
	psi          drift.PSIScratch
}

// NewAccumulator returns an empty accumulator.
func NewAccumulator(opts Options) *Accumulator {
	opts = opts.withDefaults()
	a := &Accumulator{opts: opts}
	a.Reset()
	return a
}

// Reset forgets every pair, keeping the memory.
func (a *Accumulator) Reset() {
	opts := a.opts
	top := a.top.items[:0]
	*a = Accumulator{opts: opts, prod: a.prod[:0], cand: a.cand[:0], lab: a.lab[:0],
		idx: a.idx, rankA: a.rankA, rankB: a.rankB, diffs: a.diffs, pos: a.pos, psi: a.psi}
	a.unit, a.binaryLabels = true, true
	a.rng = rand.New(rand.NewPCG(opts.Seed, 0x5ad0))
	if opts.TopN > 0 {
		a.top = topHeap{max: opts.TopN, items: top}
	}
}

// Len is the number of pairs compared (skipped ones excluded).
func (a *Accumulator) Len() int { return a.n }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Add compares one pair.
func (a *Accumulator) Add(p Pair) {
	if !finite(p.Production) || !finite(p.Candidate) {
		a.skip++
		return
	}
	d := math.Abs(p.Candidate - p.Production)
	a.n++
	a.sumAbs += d
	a.sumAbsProd += math.Abs(p.Production)
	if (p.Production >= a.opts.Threshold) == (p.Candidate >= a.opts.Threshold) {
		a.agreeClass++
	}
	if a.opts.Tolerance > 0 && d <= a.opts.Tolerance {
		a.agreeTol++
	}
	if p.Production < 0 || p.Production > 1 || p.Candidate < 0 || p.Candidate > 1 {
		a.unit = false
	}
	lab := math.NaN()
	if p.Labelled && finite(p.Label) {
		lab = p.Label
		a.nLabelled++
		if p.Label != 0 && p.Label != 1 {
			a.binaryLabels = false
		}
		a.sqProd += (p.Production - p.Label) * (p.Production - p.Label)
		a.sqCand += (p.Candidate - p.Label) * (p.Candidate - p.Label)
	}
	if a.top.max > 0 {
		a.top.offer(p, d)
	}
	if len(a.prod) < a.opts.MaxSamples {
		a.prod = append(a.prod, p.Production)
		a.cand = append(a.cand, p.Candidate)
		a.lab = append(a.lab, lab)
		return
	}
	if j := a.rng.IntN(a.n); j < len(a.prod) {
		a.prod[j], a.cand[j], a.lab[j] = p.Production, p.Candidate, lab
	}
}

// Result computes the figures over every pair added so far. It may be
// called again after more pairs are added.
func (a *Accumulator) Result() Stats {
	nan := math.NaN()
	s := Stats{Pairs: a.n, Skipped: a.skip, Threshold: a.opts.Threshold, Tolerance: a.opts.Tolerance,
		Agreement: nan, MeanAbsDiff: nan, P99AbsDiff: nan, Spearman: nan, PSI: nan,
		Sampled: a.n > len(a.prod)}
	s.Task = a.opts.Task
	if s.Task == TaskAuto {
		s.Task = TaskRegression
		if a.unit && (a.nLabelled == 0 || a.binaryLabels) {
			s.Task = TaskClassification
		}
	}
	s.Top = a.top.sorted()
	if a.n == 0 {
		return s
	}
	n := float64(a.n)
	s.MeanAbsDiff = a.sumAbs / n

	a.diffs = slices.Grow(a.diffs[:0], len(a.prod))
	for i := range a.prod {
		a.diffs = append(a.diffs, math.Abs(a.cand[i]-a.prod[i]))
	}
	switch {
	case s.Task == TaskClassification:
		s.Agreement = float64(a.agreeClass) / n
	case a.opts.Tolerance > 0:
		s.Agreement = float64(a.agreeTol) / n
	default:
		s.Tolerance = DefaultRelTolerance * a.sumAbsProd / n
		k := 0
		for _, d := range a.diffs {
			if d <= s.Tolerance {
				k++
			}
		}
		s.Agreement = float64(k) / float64(len(a.diffs))
	}
	slices.Sort(a.diffs)
	s.P99AbsDiff = quantile(a.diffs, p99)
	a.rankA = rank(a.rankA, a.prod, &a.idx)
	a.rankB = rank(a.rankB, a.cand, &a.idx)
	s.Spearman = pearson(a.rankA, a.rankB)
	s.PSI = a.psi.PSI(a.prod, a.cand)

	if a.nLabelled > 0 {
		s.Production = &Quality{Labelled: a.nLabelled}
		s.Candidate = &Quality{Labelled: a.nLabelled}
		if s.Task == TaskClassification {
			s.Production.Metric, s.Candidate.Metric = "auc", "auc"
			s.Production.Value = Num(a.auc(a.prod))
			s.Candidate.Value = Num(a.auc(a.cand))
		} else {
			s.Production.Metric, s.Candidate.Metric = "rmse", "rmse"
			s.Production.Value = Num(math.Sqrt(a.sqProd / float64(a.nLabelled)))
			s.Candidate.Value = Num(math.Sqrt(a.sqCand / float64(a.nLabelled)))
		}
	}
	return s
}

// auc is the ROC AUC of the kept labelled scores (Mann-Whitney with tied
// scores counted one half; a label > 0.5 is positive).
func (a *Accumulator) auc(scores []float64) float64 {
	a.diffs = a.diffs[:0] // reuse as the labelled scores
	a.pos = a.pos[:0]
	for i, l := range a.lab {
		if !math.IsNaN(l) {
			a.diffs = append(a.diffs, scores[i])
			a.pos = append(a.pos, l > 0.5)
		}
	}
	a.rankA = rank(a.rankA, a.diffs, &a.idx)
	var nPos, sum float64
	for i, p := range a.pos {
		if p {
			nPos++
			sum += a.rankA[i]
		}
	}
	nNeg := float64(len(a.pos)) - nPos
	if nPos == 0 || nNeg == 0 {
		return math.NaN()
	}
	return (sum - nPos*(nPos+1)/2) / (nPos * nNeg)
}

// Compare compares pairs in one call.
func Compare(pairs []Pair, opts Options) Stats {
	a := NewAccumulator(opts)
	for _, p := range pairs {
		a.Add(p)
	}
	return a.Result()
}

// quantile is numpy's default (linear) quantile of sorted values.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (sorted[lo+1]-sorted[lo])*(pos-float64(lo))
}

// rank writes the 1-based ranks of vs into dst, ties getting the mean of
// their ranks (scipy.stats.rankdata "average").
func rank(dst, vs []float64, idxp *[]int32) []float64 {
	n := len(vs)
	idx := slices.Grow((*idxp)[:0], n)[:n]
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(x, y int32) int { return cmp.Compare(vs[x], vs[y]) })
	dst = slices.Grow(dst[:0], n)[:n]
	for i := 0; i < n; {
		j := i + 1
		for j < n && vs[idx[j]] == vs[idx[i]] {
			j++
		}
		r := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			dst[idx[k]] = r
		}
		i = j
	}
	*idxp = idx
	return dst
}

// pearson is the correlation coefficient of x and y (NaN when either is
// constant or empty).
func pearson(x, y []float64) float64 {
	n := float64(len(x))
	if n == 0 {
		return math.NaN()
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	r := sxy / math.Sqrt(sxx*syy)
	return max(-1, min(1, r))
}

// topHeap keeps the max most disagreeing pairs: a min-heap on |diff| whose
// root is the least disagreeing pair kept, replaced when a larger one comes.
type topHeap struct {
	max   int
	items []topItem
}

type topItem struct {
	p Pair
	d float64
}

// less orders the heap: smaller |diff| first; among equal ones the larger
// request id goes first (is evicted first).
func (t *topHeap) less(i, j int) bool {
	a, b := &t.items[i], &t.items[j]
	if a.d != b.d {
		return a.d < b.d
	}
	return a.p.RequestID > b.p.RequestID
}

func (t *topHeap) offer(p Pair, d float64) {
	if len(t.items) < t.max {
		t.items = append(t.items, topItem{p, d})
		for i := len(t.items) - 1; i > 0; {
			parent := (i - 1) / 2
			if !t.less(i, parent) {
				break
			}
			t.items[i], t.items[parent] = t.items[parent], t.items[i]
			i = parent
		}
		return
	}
	root := &t.items[0]
	if d < root.d || (d == root.d && p.RequestID >= root.p.RequestID) {
		return
	}
	t.items[0] = topItem{p, d}
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(t.items) && t.less(l, m) {
			m = l
		}
		if r < len(t.items) && t.less(r, m) {
			m = r
		}
		if m == i {
			return
		}
		t.items[i], t.items[m] = t.items[m], t.items[i]
		i = m
	}
}

func (t *topHeap) sorted() []Disagreement {
	out := make([]Disagreement, len(t.items))
	s := slices.Clone(t.items)
	slices.SortFunc(s, func(a, b topItem) int {
		if c := cmp.Compare(b.d, a.d); c != 0 {
			return c
		}
		return cmp.Compare(a.p.RequestID, b.p.RequestID)
	})
	for i, it := range s {
		out[i] = Disagreement{RequestID: it.p.RequestID, TS: time.UnixMilli(it.p.TS).UTC(),
			Production: Num(it.p.Production), Candidate: Num(it.p.Candidate), AbsDiff: Num(it.d)}
	}
	return out
}
