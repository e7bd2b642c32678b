package baseline

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
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
	// One sort buffer serves every numerical column: a training set of
	// many columns then costs one column's copy, not one per column
	// waiting for the collector.
	var scratch []float64
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
			scratch = numeric(&fp, c.Values, scratch)
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

// numeric profiles values, sorting a copy in scratch, which it returns
// for the next column; the profile keeps nothing of scratch.
func numeric(fp *Feature, values, scratch []float64) []float64 {
	if len(values) == 0 {
		return scratch
	}
	s := append(scratch[:0], values...)
	sort.Float64s(s)
	fp.Min, fp.Max = s[0], s[len(s)-1]
	var sum float64
	for _, v := range s {
		sum += v
	}
	fp.Mean = sum / float64(len(s))
	var ss float64
	for _, v := range s {
		ss += (v - fp.Mean) * (v - fp.Mean)
	}
	fp.Std = math.Sqrt(ss / float64(len(s)))
	for i := 0; i <= 10; i++ {
		fp.Quantiles = append(fp.Quantiles, quantile(s, float64(i)/10))
	}
	if len(s) <= MaxSample {
		fp.Sample = slices.Clone(s)
		return s
	}
	fp.Sample = make([]float64, MaxSample)
	for i := range fp.Sample {
		// The midpoint order statistic of each of MaxSample equal slices.
		fp.Sample[i] = s[int((float64(i)+0.5)*float64(len(s))/MaxSample)]
	}
	return s
}

// quantile is numpy's default (linear) quantile of sorted s.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	frac := pos - float64(lo)
	return s[lo] + frac*(s[lo+1]-s[lo])
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
