package baseline

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/drift"
)

// MaxSample caps the sampled values kept per numerical feature.
const MaxSample = 10000

// Feature types.
const (
	Numerical   = api.Numerical
	Categorical = api.Categorical
)

// Profile is a training profile of one model version (api.Profile).
type Profile = api.Profile

// Feature profiles one column (api.FeatureProfile).
type Feature = api.FeatureProfile

// Category is one categorical value and how often it occurred.
type Category = api.Category

// FromFrame profiles every column of f; columns named in categorical are
// profiled as categories even when numeric (their text is the category, the
// spelling drift uses: int 1 → "1").
func FromFrame(model, version string, f *drift.Frame, categorical []string, now time.Time) (*Profile, error) {
	if model == "" || version == "" {
		return nil, errors.New("baseline: model and version are required")
	}
	p := &Profile{Model: model, Version: version, Rows: f.Rows, Created: now.UTC()}
	for _, c := range f.Columns {
		fp := Feature{Name: c.Name, Count: c.Len(), Missing: c.Missing}
		switch {
		case c.DType == drift.DTypeObject:
			fp.Type = Categorical
			counts := make([]int, len(c.Labels))
			for _, code := range c.Codes {
				counts[code]++
			}
			for i, l := range c.Labels {
				fp.Categories = append(fp.Categories, Category{Value: l, Count: counts[i]})
			}
		case slices.Contains(categorical, c.Name):
			fp.Type = Categorical
			idx := map[string]int{}
			for _, v := range c.Values {
				s := numberText(v)
				i, ok := idx[s]
				if !ok {
					i = len(fp.Categories)
					idx[s] = i
					fp.Categories = append(fp.Categories, Category{Value: s})
				}
				fp.Categories[i].Count++
			}
		default:
			fp.Type = Numerical
			var sum exactSum
			for _, v := range c.Values {
				sum.add(v)
			}
			if _, err := numeric(&fp, int64(len(c.Values)), &sum, sliceSource(c.Values)); err != nil {
				return nil, fmt.Errorf("baseline: column %q: %w", c.Name, err)
			}
		}
		p.Features = append(p.Features, fp)
	}
	return p, nil
}

func numberText(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%g", v)
}

// numeric profiles a numerical column of n present values, which src
// replays and whose exact sum is sum. The CSV path (FromFrame, values in
// memory) and the Parquet path (ProfileParquet, column chunks re-read)
// both come here, so the same table gives the same profile to the bit:
// the mean is the exact sum rounded once, the standard deviation the
// exact sum of the rounded squared deviations, and the order statistics
// (min, max, numpy's linear deciles, the sample) exact, none depending on
// the order the values arrive in.
func numeric(fp *Feature, n int64, sum *exactSum, src valueSource) (passes int, err error) {
	if n == 0 {
		return 0, nil
	}
	fp.Mean = sum.Float64() / float64(n)
	ranks := []int64{0, n - 1}
	for i := 0; i <= 10; i++ {
		lo, _ := quantilePos(n, float64(i)/10)
		ranks = append(ranks, lo, min(lo+1, n-1))
	}
	sample := min(n, MaxSample)
	for i := range sample {
		ranks = append(ranks, sampleRank(n, i))
	}
	slices.Sort(ranks)
	ranks = slices.Compact(ranks)

	var ss exactSum
	mean := fp.Mean
	vals, passes, err := orderStatistics(n, ranks, src, func(batch []float64) {
		for _, v := range batch {
			d := v - mean
			ss.add(float64(d * d)) // the conversion keeps d*d from fusing into the addition
		}
	})
	if err != nil {
		return passes, err
	}
	at := func(r int64) float64 {
		i, _ := slices.BinarySearch(ranks, r)
		return vals[i]
	}
	fp.Std = math.Sqrt(ss.Float64() / float64(n))
	fp.Min, fp.Max = at(0), at(n-1)
	for i := 0; i <= 10; i++ {
		lo, frac := quantilePos(n, float64(i)/10)
		if lo >= n-1 {
			fp.Quantiles = append(fp.Quantiles, at(n-1))
			continue
		}
		a, b := at(lo), at(lo+1)
		fp.Quantiles = append(fp.Quantiles, a+frac*(b-a))
	}
	fp.Sample = make([]float64, sample)
	for i := range fp.Sample {
		fp.Sample[i] = at(sampleRank(n, int64(i)))
	}
	return passes, nil
}

// quantilePos is where numpy's default (linear) quantile q of n sorted
// values lies: between ranks lo and lo+1, frac of the way.
func quantilePos(n int64, q float64) (lo int64, frac float64) {
	pos := q * float64(n-1)
	lo = int64(math.Floor(pos))
	return lo, pos - float64(lo)
}

// sampleRank is the rank of sample value i: every value when there are at
// most MaxSample, else the midpoint order statistic of each of MaxSample
// equal slices.
func sampleRank(n, i int64) int64 {
	if n <= MaxSample {
		return i
	}
	return int64((float64(i) + 0.5) * float64(n) / MaxSample)
}

// sliceSource replays an in-memory column.
func sliceSource(values []float64) valueSource {
	return func(visit func([]float64)) error {
		visit(values)
		return nil
	}
}

// Sketch builds the drift sketch of a feature's training distribution, the
// reference streaming skew is measured against.
func Sketch(f *Feature, alpha float64) (*drift.Sketch, error) {
	if f.Type == Categorical {
		s := drift.NewCategoricalSketch()
		for _, c := range f.Categories {
			for range c.Count {
				if err := s.AddLabel(c.Value); err != nil {
					return nil, err
				}
			}
		}
		return s, nil
	}
	s, err := drift.NewNumericSketch(alpha)
	if err != nil {
		return nil, err
	}
	for _, v := range f.Sample {
		if err := s.Add(v); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Unmarshal decodes a profile written by Marshal and checks it.
func Unmarshal(b []byte) (*Profile, error) { return api.UnmarshalProfile(b) }
