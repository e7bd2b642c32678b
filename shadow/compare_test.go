package shadow

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ---- independent reference implementations (written apart from the code) ----

// naiveRanks ranks by counting: rank = #smaller + (#equal+1)/2.
func naiveRanks(v []float64) []float64 {
	r := make([]float64, len(v))
	for i := range v {
		less, eq := 0, 0
		for j := range v {
			switch {
			case v[j] < v[i]:
				less++
			case v[j] == v[i]:
				eq++
			}
		}
		r[i] = float64(less) + float64(eq+1)/2
	}
	return r
}

func naiveSpearman(a, b []float64) float64 {
	ra, rb := naiveRanks(a), naiveRanks(b)
	n := float64(len(a))
	var sa, sb, sab, saa, sbb float64
	for i := range ra {
		sa += ra[i]
		sb += rb[i]
		sab += ra[i] * rb[i]
		saa += ra[i] * ra[i]
		sbb += rb[i] * rb[i]
	}
	cov := sab/n - sa/n*sb/n
	return cov / math.Sqrt((saa/n-sa/n*sa/n)*(sbb/n-sb/n*sb/n))
}

// naiveAUC counts positive/negative pairs ordered right (ties one half).
func naiveAUC(score []float64, pos []bool) float64 {
	var num, den float64
	for i := range score {
		for j := range score {
			if pos[i] && !pos[j] {
				den++
				switch {
				case score[i] > score[j]:
					num++
				case score[i] == score[j]:
					num += 0.5
				}
			}
		}
	}
	return num / den
}

func numpyQuantile(v []float64, q float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	h := (float64(len(s)) - 1) * q
	lo := math.Floor(h)
	hi := math.Min(lo+1, float64(len(s)-1))
	return s[int(lo)] + (h-lo)*(s[int(hi)]-s[int(lo)])
}

// sturgesPSI bins both samples with numpy's sturges edges over their union
// (ceil(log2(N)+1) equal bins from min to max, last closed).
func sturgesPSI(ref, cur []float64) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range append(append([]float64(nil), ref...), cur...) {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	nb := int(math.Ceil(math.Log2(float64(len(ref)+len(cur))) + 1))
	w := (hi - lo) / float64(nb)
	count := func(vs []float64) []float64 {
		c := make([]float64, nb)
		for _, v := range vs {
			b := int((v - lo) / w)
			if b >= nb {
				b = nb - 1
			}
			c[b] += 1 / float64(len(vs))
		}
		return c
	}
	return psiOf(count(ref), count(cur))
}

// psiOf fills zero proportions as Evidently does and sums the index.
func psiOf(r, c []float64) float64 {
	fill := func(p []float64) {
		m := math.Inf(1)
		for _, x := range p {
			if x > 0 {
				m = math.Min(m, x)
			}
		}
		f := 1e-4
		if m <= 1e-4 {
			f = m / 1e6
		}
		for i := range p {
			if p[i] == 0 {
				p[i] = f
			}
		}
	}
	fill(r)
	fill(c)
	s := 0.0
	for i := range r {
		s += (r[i] - c[i]) * math.Log(r[i]/c[i])
	}
	return s
}

// ---- tests ----

func TestCompareTinyByHand(t *testing.T) {
	pairs := []Pair{
		{RequestID: "a", Production: 0.125, Candidate: 0.125, Label: 0, Labelled: true},
		{RequestID: "b", Production: 0.125, Candidate: 0.25, Label: 0, Labelled: true},
		{RequestID: "c", Production: 0.25, Candidate: 0.25},
		{RequestID: "d", Production: 0.375, Candidate: 0.5, Label: 1, Labelled: true},
	}
	s := Compare(pairs, Options{})
	require.Equal(t, 4, s.Pairs)
	assert.Equal(t, TaskClassification, s.Task)
	assert.Equal(t, 0.75, s.Agreement, "d crosses 0.5 (0.375 → 0.5), the rest stay below")
	assert.InDelta(t, (0+0.125+0+0.125)/4, s.MeanAbsDiff, 1e-12)
	// diffs sorted 0,0,0.125,0.125: position 0.99*3 = 2.97 → 0.125
	assert.InDelta(t, 0.125, s.P99AbsDiff, 1e-12)
	// ranks prod: 1.5 1.5 3 4, cand: 1 2.5 2.5 4
	assert.InDelta(t, naiveSpearman([]float64{0.125, 0.125, 0.25, 0.375}, []float64{0.125, 0.25, 0.25, 0.5}), s.Spearman, 1e-12)
	rp := []float64{1.5, 1.5, 3, 4}
	rc := []float64{1, 2.5, 2.5, 4}
	// Pearson of the ranks by hand: means 2.5, 2.5.
	var sxy, sxx, syy float64
	for i := range rp {
		sxy += (rp[i] - 2.5) * (rc[i] - 2.5)
		sxx += (rp[i] - 2.5) * (rp[i] - 2.5)
		syy += (rc[i] - 2.5) * (rc[i] - 2.5)
	}
	assert.InDelta(t, sxy/math.Sqrt(sxx*syy), s.Spearman, 1e-12)
	// PSI: 3 distinct production values (<= 20): one bin per value of the
	// union {0.125,0.25,0.375,0.5}; production .5,.25,.25,0 candidate .25,.5,0,.25;
	// zeros become 1e-4 (the smallest nonzero share is above 1e-4).
	want := (0.5-0.25)*math.Log(0.5/0.25) + (0.25-0.5)*math.Log(0.25/0.5) +
		(0.25-1e-4)*math.Log(0.25/1e-4) + (1e-4-0.25)*math.Log(1e-4/0.25)
	assert.InDelta(t, want, s.PSI, 1e-12)
	// AUC over a, b, d: production 0.125,0.125 | 0.375 → 1; candidate 0.125,0.25 | 0.5 → 1.
	require.NotNil(t, s.Production)
	assert.Equal(t, "auc", s.Production.Metric)
	assert.Equal(t, 3, s.Production.Labelled)
	assert.InDelta(t, 1.0, float64(s.Production.Value), 1e-12)
	assert.InDelta(t, 1.0, float64(s.Candidate.Value), 1e-12)
	require.Len(t, s.Top, 4)
	assert.Equal(t, []string{"b", "d", "a", "c"}, []string{s.Top[0].RequestID, s.Top[1].RequestID, s.Top[2].RequestID, s.Top[3].RequestID},
		"largest |diff| first, ties by request id")
}

func TestCompareAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func(n int, classifier bool, round float64) []Pair {
		ps := make([]Pair, n)
		for i := range ps {
			x := rng.NormFloat64()
			p := x + 0.3*rng.NormFloat64()
			c := x + 0.3*rng.NormFloat64() + 0.1
			lab := x + rng.NormFloat64()
			if classifier {
				p, c = 1/(1+math.Exp(-p)), 1/(1+math.Exp(-c))
				lab = 0
				if rng.Float64() < 1/(1+math.Exp(-2*x)) {
					lab = 1
				}
			} else {
				p, c, lab = 100+20*p, 100+20*c, 100+20*lab
			}
			if round > 0 { // ties
				p, c = math.Round(p/round)*round, math.Round(c/round)*round
			}
			ps[i] = Pair{RequestID: string(rune('a'+i%26)) + string(rune('A'+i/26%26)) + string(rune('0'+i/676)), TS: int64(i),
				Production: p, Candidate: c, Label: lab, Labelled: i%3 != 0}
		}
		return ps
	}
	cases := []struct {
		name       string
		pairs      []Pair
		opts       Options
		task       Task
		threshold  float64
		tolerance  float64
		classifier bool
	}{
		{"classifier", mk(1500, true, 0), Options{}, TaskClassification, 0.5, 0, true},
		{"classifier ties threshold 0.3", mk(1200, true, 0.01), Options{Threshold: 0.3, TopN: 7}, TaskClassification, 0.3, 0, true},
		{"regressor default tolerance", mk(1500, false, 0), Options{}, TaskRegression, 0, -1, false},
		{"regressor ties tolerance 2", mk(1000, false, 1), Options{Tolerance: 2}, TaskRegression, 0, 2, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Compare(tc.pairs, tc.opts)
			n := len(tc.pairs)
			prod, cand, diffs := make([]float64, n), make([]float64, n), make([]float64, n)
			var sumAbs, sumAbsProd float64
			for i, p := range tc.pairs {
				prod[i], cand[i] = p.Production, p.Candidate
				diffs[i] = math.Abs(p.Candidate - p.Production)
				sumAbs += diffs[i]
				sumAbsProd += math.Abs(p.Production)
			}
			require.Equal(t, n, s.Pairs)
			assert.Equal(t, tc.task, s.Task)
			assert.False(t, s.Sampled)
			agree := 0
			tol := tc.tolerance
			if tol < 0 {
				tol = 0.05 * sumAbsProd / float64(n)
				assert.InDelta(t, tol, s.Tolerance, 1e-9)
			}
			for i := range prod {
				if tc.classifier {
					if (prod[i] >= tc.threshold) == (cand[i] >= tc.threshold) {
						agree++
					}
				} else if diffs[i] <= tol {
					agree++
				}
			}
			assert.InDelta(t, float64(agree)/float64(n), s.Agreement, 1e-12)
			assert.InDelta(t, sumAbs/float64(n), s.MeanAbsDiff, 1e-9)
			assert.InDelta(t, numpyQuantile(diffs, 0.99), s.P99AbsDiff, 1e-9)
			assert.InDelta(t, naiveSpearman(prod, cand), s.Spearman, 1e-9)
			distinct := map[float64]bool{}
			for _, v := range prod {
				distinct[v] = true
			}
			require.Greater(t, len(distinct), 20)
			assert.InDelta(t, sturgesPSI(prod, cand), s.PSI, 1e-9)

			var lp, lc []float64
			var pos []bool
			var sqP, sqC float64
			for _, p := range tc.pairs {
				if p.Labelled {
					lp, lc = append(lp, p.Production), append(lc, p.Candidate)
					pos = append(pos, p.Label > 0.5)
					sqP += (p.Production - p.Label) * (p.Production - p.Label)
					sqC += (p.Candidate - p.Label) * (p.Candidate - p.Label)
				}
			}
			require.NotNil(t, s.Production)
			assert.Equal(t, len(lp), s.Production.Labelled)
			if tc.classifier {
				assert.Equal(t, "auc", s.Candidate.Metric)
				assert.InDelta(t, naiveAUC(lp, pos), float64(s.Production.Value), 1e-12)
				assert.InDelta(t, naiveAUC(lc, pos), float64(s.Candidate.Value), 1e-12)
			} else {
				assert.Equal(t, "rmse", s.Candidate.Metric)
				assert.InDelta(t, math.Sqrt(sqP/float64(len(lp))), float64(s.Production.Value), 1e-9)
				assert.InDelta(t, math.Sqrt(sqC/float64(len(lc))), float64(s.Candidate.Value), 1e-9)
			}

			// Top N: a full sort done here.
			sorted := append([]Pair(nil), tc.pairs...)
			sort.SliceStable(sorted, func(i, j int) bool {
				di, dj := math.Abs(sorted[i].Candidate-sorted[i].Production), math.Abs(sorted[j].Candidate-sorted[j].Production)
				if di != dj {
					return di > dj
				}
				return sorted[i].RequestID < sorted[j].RequestID
			})
			topN := tc.opts.TopN
			if topN == 0 {
				topN = 20
			}
			require.Len(t, s.Top, topN)
			for i := range s.Top {
				assert.Equal(t, sorted[i].RequestID, s.Top[i].RequestID, "top %d", i)
				assert.InDelta(t, math.Abs(sorted[i].Candidate-sorted[i].Production), float64(s.Top[i].AbsDiff), 1e-12)
			}
		})
	}
}

func TestCompareEdgeCases(t *testing.T) {
	cases := []struct {
		name  string
		pairs []Pair
		check func(t *testing.T, s Stats)
	}{
		{"empty", nil, func(t *testing.T, s Stats) {
			assert.Equal(t, 0, s.Pairs)
			assert.True(t, math.IsNaN(s.Agreement))
			assert.True(t, math.IsNaN(s.Spearman))
			assert.Empty(t, s.Top)
			assert.Nil(t, s.Production)
		}},
		{"non-finite skipped", []Pair{{Production: math.NaN(), Candidate: 1}, {Production: 0.2, Candidate: math.Inf(1)}, {Production: 0.2, Candidate: 0.3}},
			func(t *testing.T, s Stats) {
				assert.Equal(t, 1, s.Pairs)
				assert.Equal(t, 2, s.Skipped)
				assert.True(t, math.IsNaN(s.Spearman), "one pair has no rank correlation")
			}},
		{"constant side", []Pair{{Production: 0.5, Candidate: 0.1}, {Production: 0.5, Candidate: 0.2}, {Production: 0.5, Candidate: 0.3}},
			func(t *testing.T, s Stats) {
				assert.True(t, math.IsNaN(s.Spearman))
				assert.InDelta(t, 0.0, s.Agreement, 1e-12, "0.5 is positive, the rest negative")
			}},
		{"one label class", []Pair{{Production: 0.5, Candidate: 0.1, Labelled: true, Label: 1}, {Production: 0.4, Candidate: 0.2, Labelled: true, Label: 1}},
			func(t *testing.T, s Stats) {
				require.NotNil(t, s.Candidate)
				assert.True(t, math.IsNaN(float64(s.Candidate.Value)))
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, Compare(tc.pairs, Options{})) })
	}
}

func TestAccumulatorReservoirAndReset(t *testing.T) {
	a := NewAccumulator(Options{MaxSamples: 1000, TopN: 3})
	var sumAbs float64
	for i := 0; i < 50000; i++ {
		p := float64(i%997) / 997
		c := math.Min(1, p+float64(i%7)/100)
		sumAbs += math.Abs(c - p)
		a.Add(Pair{RequestID: "r", Production: p, Candidate: c})
	}
	s := a.Result()
	assert.True(t, s.Sampled)
	assert.Equal(t, 50000, s.Pairs)
	assert.InDelta(t, sumAbs/50000, s.MeanAbsDiff, 1e-12, "the mean stays exact beyond the sample")
	assert.InDelta(t, 1, s.Spearman, 0.02, "the sample keeps the rank structure")
	assert.Len(t, s.Top, 3)
	a.Reset()
	assert.Equal(t, 0, a.Result().Pairs)
}

func TestReportJSONNullsForNaN(t *testing.T) {
	var r Report
	Fill(&r, Compare(nil, Options{}))
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"spearman":null`)
	assert.Contains(t, string(b), `"top_disagreements":[]`)
	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, math.IsNaN(float64(back.Spearman)))
}

func BenchmarkAccumulatorAdd(b *testing.B) {
	a := NewAccumulator(Options{})
	rng := rand.New(rand.NewPCG(1, 1))
	ps := make([]Pair, 4096)
	for i := range ps {
		ps[i] = Pair{RequestID: "r", Production: rng.Float64(), Candidate: rng.Float64()}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a.Add(ps[i%len(ps)])
	}
}
