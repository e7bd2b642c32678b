package drift

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Sketch is a mergeable summary of one feature over a window, for the
// collector: a log-bucketed histogram with per-bucket min/max for numerical
// features, exact counts for categorical ones. See the package doc for the
// error bounds of the estimators. A Sketch is not safe for concurrent use;
// merge per-goroutine sketches instead.
type Sketch struct {
	kind    Kind
	alpha   float64
	invLogG float64
	buckets map[int64]bucket
	labels  map[string]uint64

	n, missing uint64
	min, max   float64
	// Welford's running mean and sum of squared deviations, merged with
	// Chan's formula: the reference std for wasserstein_normed.
	mean, m2 float64
}

type bucket struct {
	count    uint64
	min, max float64
}

// DefaultSketchAlpha is the relative bucket half-width used by the collector:
// buckets 1% wide, so two-decimal readings near 1 get a bucket each.
const DefaultSketchAlpha = 0.005

// NewNumericSketch returns an empty numerical sketch whose buckets have
// relative half-width alpha (0 < alpha < 1); sketches only merge and
// compare with sketches of the same alpha.
func NewNumericSketch(alpha float64) (*Sketch, error) {
	if !(alpha > 0 && alpha < 1) {
		return nil, fmt.Errorf("sketch alpha %v is outside (0, 1)", alpha)
	}
	gamma := (1 + alpha) / (1 - alpha)
	return &Sketch{kind: Numerical, alpha: alpha, invLogG: 1 / math.Log(gamma),
		buckets: make(map[int64]bucket), min: math.Inf(1), max: math.Inf(-1)}, nil
}

// NewCategoricalSketch returns an empty categorical sketch.
func NewCategoricalSketch() *Sketch {
	return &Sketch{kind: Categorical, labels: make(map[string]uint64)}
}

// Kind reports whether the sketch is numerical or categorical.
func (s *Sketch) Kind() Kind { return s.kind }

// Count is the number of values added (missing ones excluded).
func (s *Sketch) Count() uint64 { return s.n }

// Missing is the number of NaN values (numerical) or AddMissing calls.
func (s *Sketch) Missing() uint64 { return s.missing }

// Buckets is the number of non-empty buckets or labels: the sketch's size.
func (s *Sketch) Buckets() int {
	if s.kind == Categorical {
		return len(s.labels)
	}
	return len(s.buckets)
}

// ErrSketchKind is returned when a sketch is used as the other kind.
var ErrSketchKind = errors.New("sketch kind mismatch")

// minIndexable is the smallest magnitude with its own bucket; smaller
// values share the zero bucket.
const minIndexable = 1e-300

const (
	keyPos  = int64(1) << 40
	keyZero = int64(0)
)

func (s *Sketch) key(v float64) int64 {
	a := math.Abs(v)
	if a < minIndexable {
		return keyZero
	}
	i := int64(math.Ceil(math.Log(a) * s.invLogG))
	if v > 0 {
		return keyPos + i
	}
	return -keyPos - i
}

// Add records one numerical value; NaN counts as missing, infinities are
// rejected.
func (s *Sketch) Add(v float64) error {
	if s.kind != Numerical {
		return ErrSketchKind
	}
	if math.IsNaN(v) {
		s.missing++
		return nil
	}
	if math.IsInf(v, 0) {
		return fmt.Errorf("sketch: infinite value")
	}
	k := s.key(v)
	b, ok := s.buckets[k]
	if !ok {
		b = bucket{min: v, max: v}
	}
	b.count++
	b.min = math.Min(b.min, v)
	b.max = math.Max(b.max, v)
	s.buckets[k] = b
	s.n++
	s.min = math.Min(s.min, v)
	s.max = math.Max(s.max, v)
	d := v - s.mean
	s.mean += d / float64(s.n)
	s.m2 += d * (v - s.mean)
	return nil
}

// AddLabel records one categorical value.
func (s *Sketch) AddLabel(label string) error {
	if s.kind != Categorical {
		return ErrSketchKind
	}
	s.labels[label]++
	s.n++
	return nil
}

// AddMissing records a missing value.
func (s *Sketch) AddMissing() { s.missing++ }

// Merge adds o into s. Merging is exact: the result is the sketch of the
// concatenated streams, whatever the order.
func (s *Sketch) Merge(o *Sketch) error {
	if s.kind != o.kind {
		return ErrSketchKind
	}
	if s.kind == Categorical {
		for l, c := range o.labels {
			s.labels[l] += c
		}
		s.n += o.n
		s.missing += o.missing
		return nil
	}
	if s.alpha != o.alpha {
		return fmt.Errorf("sketch alphas differ: %v and %v", s.alpha, o.alpha)
	}
	for k, ob := range o.buckets {
		b, ok := s.buckets[k]
		if !ok {
			s.buckets[k] = ob
			continue
		}
		b.count += ob.count
		b.min = math.Min(b.min, ob.min)
		b.max = math.Max(b.max, ob.max)
		s.buckets[k] = b
	}
	if o.n > 0 {
		n := s.n + o.n
		d := o.mean - s.mean
		s.m2 += o.m2 + d*d*float64(s.n)*float64(o.n)/float64(n)
		s.mean += d * float64(o.n) / float64(n)
		s.n = n
	}
	s.missing += o.missing
	s.min = math.Min(s.min, o.min)
	s.max = math.Max(s.max, o.max)
	return nil
}

// Std is the population standard deviation of the values.
func (s *Sketch) Std() float64 {
	if s.n == 0 {
		return math.NaN()
	}
	return math.Sqrt(s.m2 / float64(s.n))
}

// Estimate is a statistic estimated from sketches: the exact value lies in
// [Lo, Hi]; Value is the midpoint.
type Estimate struct {
	Value, Lo, Hi float64
}

// Bound is the largest possible error of Value.
func (e Estimate) Bound() float64 { return (e.Hi - e.Lo) / 2 }

func newEstimate(lo, hi float64) Estimate { return Estimate{Value: (lo + hi) / 2, Lo: lo, Hi: hi} }

// cell is one bucket position seen by either sketch, in value order.
type cell struct {
	r, c   bucket
	lo, hi float64
}

func alignedCells(ref, cur *Sketch) ([]cell, error) {
	if ref.kind != Numerical || cur.kind != Numerical {
		return nil, ErrSketchKind
	}
	if ref.alpha != cur.alpha {
		return nil, fmt.Errorf("sketch alphas differ: %v and %v", ref.alpha, cur.alpha)
	}
	if ref.n == 0 || cur.n == 0 {
		return nil, errors.New("sketch: no values")
	}
	keys := make([]int64, 0, len(ref.buckets)+len(cur.buckets))
	for k := range ref.buckets {
		keys = append(keys, k)
	}
	for k := range cur.buckets {
		if _, ok := ref.buckets[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	cells := make([]cell, len(keys))
	for i, k := range keys {
		r, rok := ref.buckets[k]
		c, cok := cur.buckets[k]
		ce := cell{r: r, c: c, lo: math.Inf(1), hi: math.Inf(-1)}
		if rok {
			ce.lo, ce.hi = r.min, r.max
		}
		if cok {
			ce.lo, ce.hi = math.Min(ce.lo, c.min), math.Max(ce.hi, c.max)
		}
		cells[i] = ce
	}
	return cells, nil
}

// EstimateKS estimates the two-sample KS statistic. The ECDFs are exact at
// the largest value of every bucket; inside a bucket holding more than one
// distinct value they can move by at most the bucket's mass.
func EstimateKS(ref, cur *Sketch) (Estimate, error) {
	cells, err := alignedCells(ref, cur)
	if err != nil {
		return Estimate{}, err
	}
	n1, n2 := float64(ref.n), float64(cur.n)
	var fr, fc uint64
	lo, hi := 0.0, 0.0
	for _, ce := range cells {
		pr, pc := float64(fr)/n1, float64(fc)/n2
		fr += ce.r.count
		fc += ce.c.count
		er, ec := float64(fr)/n1, float64(fc)/n2
		lo = math.Max(lo, math.Abs(er-ec))
		if ce.lo < ce.hi {
			hi = math.Max(hi, math.Max(er-pc, ec-pr))
		}
	}
	return newEstimate(lo, math.Max(lo, hi)), nil
}

// EstimateWasserstein estimates scipy's wasserstein_distance and, divided
// by max(std(ref), 0.001), wasserstein_normed. Between buckets both ECDFs
// are constant, so only the span of multi-valued buckets is uncertain.
func EstimateWasserstein(ref, cur *Sketch) (w, normed Estimate, err error) {
	cells, err := alignedCells(ref, cur)
	if err != nil {
		return Estimate{}, Estimate{}, err
	}
	n1, n2 := float64(ref.n), float64(cur.n)
	var fr, fc uint64
	var lo, hi float64
	prevHi := math.NaN()
	for _, ce := range cells {
		pr, pc := float64(fr)/n1, float64(fc)/n2
		if !math.IsNaN(prevHi) {
			gap := (ce.lo - prevHi) * math.Abs(pr-pc)
			lo += gap
			hi += gap
		}
		fr += ce.r.count
		fc += ce.c.count
		er, ec := float64(fr)/n1, float64(fc)/n2
		if width := ce.hi - ce.lo; width > 0 {
			// |Fr - Fc| inside lies between the distance of the two ECDF
			// ranges [pr, er], [pc, ec] and their widest spread.
			minD := math.Max(0, math.Max(pc-er, pr-ec))
			maxD := math.Max(math.Abs(er-pc), math.Abs(ec-pr))
			lo += width * minD
			hi += width * maxD
		}
		prevHi = ce.hi
	}
	std := math.Max(ref.Std(), 0.001)
	return newEstimate(lo, hi), newEstimate(lo/std, hi/std), nil
}

// BinnedEstimate holds the histogram statistics estimated from sketches and
// UncertainMass, the largest share of either sample whose bin could not be
// told (buckets straddling a bin edge, split by linear interpolation).
type BinnedEstimate struct {
	PSI, JensenShannon, LInfinity, Hellinger float64
	UncertainMass                            float64
}

// EstimateBinned computes PSI, Jensen-Shannon, L-infinity and Hellinger on
// the same bins as the batch comparison: value counts for categorical
// sketches (exact), numpy sturges edges over both samples otherwise (the
// edges need only the exact min, max and counts the sketch keeps).
func EstimateBinned(ref, cur *Sketch) (BinnedEstimate, error) {
	if ref.kind != cur.kind {
		return BinnedEstimate{}, ErrSketchKind
	}
	if ref.n == 0 || cur.n == 0 {
		return BinnedEstimate{}, errors.New("sketch: no values")
	}
	var r, c []float64
	var uncertain float64
	if ref.kind == Categorical {
		keys := make([]string, 0, len(ref.labels)+len(cur.labels))
		for l := range ref.labels {
			keys = append(keys, l)
		}
		for l := range cur.labels {
			if _, ok := ref.labels[l]; !ok {
				keys = append(keys, l)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			r = append(r, float64(ref.labels[k])/float64(ref.n))
			c = append(c, float64(cur.labels[k])/float64(cur.n))
		}
	} else {
		cells, err := alignedCells(ref, cur)
		if err != nil {
			return BinnedEstimate{}, err
		}
		refCells, refExact := 0, true
		for _, ce := range cells {
			if ce.r.count > 0 {
				refCells++
				refExact = refExact && ce.r.min == ce.r.max
			}
		}
		if refExact && refCells <= 20 {
			// <= 20 reference values: value counts over the union; a
			// current bucket with several values is charged to its min.
			for _, ce := range cells {
				r = append(r, float64(ce.r.count)/float64(ref.n))
				c = append(c, float64(ce.c.count)/float64(cur.n))
				if ce.c.min < ce.c.max {
					uncertain = math.Max(uncertain, float64(ce.c.count)/float64(cur.n))
				}
			}
		} else {
			edges := sturgesEdges(nil, int(ref.n+cur.n), math.Min(ref.min, cur.min), math.Max(ref.max, cur.max))
			nb := len(edges) - 1
			r, c = make([]float64, nb), make([]float64, nb)
			var ur, uc float64
			for _, ce := range cells {
				ur += spread(r, edges, ce.r)
				uc += spread(c, edges, ce.c)
			}
			for i := range r {
				r[i] /= float64(ref.n)
				c[i] /= float64(cur.n)
			}
			uncertain = math.Max(ur/float64(ref.n), uc/float64(cur.n))
		}
	}
	bs := binnedStats(r, c, make([]float64, 2*len(r)))
	return BinnedEstimate{PSI: bs.psi, JensenShannon: bs.js, LInfinity: bs.linf, Hellinger: bs.hellinger,
		UncertainMass: uncertain}, nil
}

// spread adds a bucket's count to the bins it overlaps, in proportion to
// the overlap of [min, max] with each bin, and returns the count that may
// sit in another bin than assigned (0 when the bucket falls in one bin).
func spread(counts []float64, edges []float64, b bucket) float64 {
	if b.count == 0 {
		return 0
	}
	first := binOf(edges, b.min)
	last := binOf(edges, b.max)
	if first == last {
		counts[first] += float64(b.count)
		return 0
	}
	width := b.max - b.min
	for i := first; i <= last; i++ {
		lo, hi := math.Max(edges[i], b.min), math.Min(edges[i+1], b.max)
		counts[i] += float64(b.count) * (hi - lo) / width
	}
	return float64(b.count)
}

// binOf is numpy.histogram's bin for v: [e_i, e_i+1), last bin closed.
func binOf(edges []float64, v float64) int {
	i := sort.Search(len(edges), func(i int) bool { return edges[i] > v }) - 1
	return max(0, min(i, len(edges)-2))
}
