package drift

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// SketchHistogram is a numerical sketch's counts over caller-given bin
// edges (numpy.histogram's bins: [e_i, e_i+1), the last one closed), with
// the values outside the edges counted apart.
//
// A sketch bucket whose [min, max] lies in one bin is counted exactly; one
// straddling an edge is split between the bins it overlaps by linear
// interpolation, and its count is added to Uncertain. So the L1 distance
// between Counts (with Below and Above) and the exact counts is at most
// 2*Uncertain, and the histogram is exact when Uncertain is 0. Buckets are
// about 2*alpha*|x| wide and a bucket that saw one distinct value never
// straddles, so data on a grid (integers, readings to 0.01 near 1 and above)
// are binned exactly.
type SketchHistogram struct {
	Counts       []float64
	Below, Above float64
	Uncertain    float64
}

// Histogram bins a numerical sketch's values over edges (at least two,
// strictly increasing, finite).
func (s *Sketch) Histogram(edges []float64) (SketchHistogram, error) {
	if s.kind != Numerical {
		return SketchHistogram{}, ErrSketchKind
	}
	if len(edges) < 2 {
		return SketchHistogram{}, errors.New("histogram: need at least two bin edges")
	}
	for i, e := range edges {
		if math.IsNaN(e) || math.IsInf(e, 0) {
			return SketchHistogram{}, fmt.Errorf("histogram: bin edge %d is %v", i, e)
		}
		if i > 0 && !(e > edges[i-1]) {
			return SketchHistogram{}, fmt.Errorf("histogram: bin edges must increase, edge %d (%v) is not above %v", i, e, edges[i-1])
		}
	}
	h := SketchHistogram{Counts: make([]float64, len(edges)-1)}
	lo, hi := edges[0], edges[len(edges)-1]
	// slot is the bin of v: -1 below the edges, len(Counts) above.
	slot := func(v float64) int {
		switch {
		case v < lo:
			return -1
		case v > hi:
			return len(h.Counts)
		}
		return binOf(edges, v)
	}
	addTo := func(i int, c float64) {
		switch {
		case i < 0:
			h.Below += c
		case i >= len(h.Counts):
			h.Above += c
		default:
			h.Counts[i] += c
		}
	}
	keys := make([]int64, 0, len(s.buckets))
	for k := range s.buckets {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a fixed order of float sums: the same sketch gives the same bits
	for _, k := range keys {
		b := s.buckets[k]
		first, last := slot(b.min), slot(b.max)
		if first == last {
			addTo(first, float64(b.count))
			continue
		}
		h.Uncertain += float64(b.count)
		width := b.max - b.min
		for i := first; i <= last; i++ {
			lower, upper := math.Inf(-1), lo
			switch {
			case i >= len(h.Counts):
				lower, upper = hi, math.Inf(1)
			case i >= 0:
				lower, upper = edges[i], edges[i+1]
			}
			if l, r := math.Max(b.min, lower), math.Min(b.max, upper); r > l {
				addTo(i, float64(b.count)*(r-l)/width)
			}
		}
	}
	return h, nil
}

// LabelCount is one category of a categorical sketch.
type LabelCount struct {
	Label string
	Count uint64
}

// Labels returns a categorical sketch's exact counts, largest first (ties
// by label).
func (s *Sketch) Labels() ([]LabelCount, error) {
	if s.kind != Categorical {
		return nil, ErrSketchKind
	}
	out := make([]LabelCount, 0, len(s.labels))
	for l, c := range s.labels {
		out = append(out, LabelCount{l, c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Label < out[j].Label
	})
	return out, nil
}

// Range is the smallest and largest value of a numerical sketch (+Inf and
// -Inf when it holds none); exact.
func (s *Sketch) Range() (lo, hi float64) { return s.min, s.max }
