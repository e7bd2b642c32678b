package baseline

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// valueSource replays a numerical column's present values: each call
// visits every value exactly once, in batches (the order may differ from
// call to call). An in-memory column replays its slice; a Parquet column
// re-reads its column chunks.
type valueSource func(visit func(batch []float64)) error

// Budgets of one selection pass, independent of the column's length
// (variables so tests can make a short column take many passes).
var (
	// selectCollectKeys bounds the values gathered in one pass (8 B each).
	selectCollectKeys int64 = 1 << 20
	// selectBuckets bounds the histogram buckets of one pass (24 B each:
	// count, lowest and highest key).
	selectBuckets = 1 << 18
)

// selectMaxPasses is a safety stop: a split pass narrows each interval's
// key range by at least 2^4 (at most 10022 wanted ranks share 2^18
// buckets), so 64-bit keys settle in 16 passes.
const selectMaxPasses = 40

// errColumnChanged is a source whose passes disagree (a file rewritten
// while it was read).
var errColumnChanged = errors.New("the column held different values on a second read")

// sortKey maps v to a uint64 whose unsigned order is v's numeric order
// (−0 just before +0).
func sortKey(v float64) uint64 {
	b := math.Float64bits(v)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

func keyValue(k uint64) float64 {
	if k>>63 != 0 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// selInterval is a key range [lo, hi] that holds count values, below of
// the column's values lying under it, and the wanted ranks
// ranks[first:first+nr].
type selInterval struct {
	lo, hi       uint64
	below, count int64
	first, nr    int

	// This pass: gather the keys (collect), or count them into the
	// histogram buckets base… by (key−lo)>>shift.
	collect bool
	keys    []uint64
	shift   uint
	base    int
	nsub    int
}

// selBucket is one histogram bucket: how many keys fell in it and the
// lowest and highest of them (kept together: one cache line per visit).
type selBucket struct {
	count  int64
	lo, hi uint64
}

// orderStatistics returns the values at the given ranks (0-based, sorted,
// distinct, each below n) of the n values src replays — exactly, as
// sorting them would, in memory that does not depend on n: a radix
// selection over the values' order-preserving 64-bit keys.
//
// Each pass reads the column once. An interval of the key space small
// enough is gathered and sorted; a larger one is counted into a histogram
// of up to selectBuckets buckets by the next bits of its keys, recording
// each bucket's lowest and highest key; after the pass only the buckets
// holding a wanted rank become the next intervals, narrowed to the keys
// they were seen to hold (a bucket of one repeated value is settled
// without another pass). A column of at most selectCollectKeys values is
// gathered and sorted in the first pass, as before; a long one takes a few
// passes (three or four for real-valued data), each bounded by
// selectCollectKeys and selectBuckets. firstPass, when not nil, sees every
// batch of the first pass too, so a statistic needing a second read (the
// deviation from a mean) rides along. It returns the values and the
// number of passes.
func orderStatistics(n int64, ranks []int64, src valueSource, firstPass func([]float64)) ([]float64, int, error) {
	out := make([]float64, len(ranks))
	if len(ranks) == 0 {
		if firstPass != nil {
			return out, 1, src(firstPass)
		}
		return out, 0, nil
	}
	for i, r := range ranks {
		if r < 0 || r >= n || (i > 0 && r <= ranks[i-1]) {
			return nil, 0, fmt.Errorf("order statistics: rank %d of %d values is out of order or range", r, n)
		}
	}
	ivs := []*selInterval{{lo: 0, hi: math.MaxUint64, count: n, nr: len(ranks)}}
	var (
		keyBuf  []uint64
		buckets []selBucket
		los     []uint64
		his     []uint64
	)
	passes := 0
	for len(ivs) > 0 {
		if passes == selectMaxPasses {
			return nil, passes, fmt.Errorf("order statistics did not settle in %d passes", passes)
		}
		// Plan: gather the smallest intervals while the budget lasts,
		// split the others, sharing the buckets evenly.
		order := make([]int, len(ivs))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return int(min(max(ivs[a].count-ivs[b].count, -1), 1)) })
		var gathered int64
		split := 0
		for _, i := range order {
			iv := ivs[i]
			iv.collect = gathered+iv.count <= selectCollectKeys
			if iv.collect {
				gathered += iv.count
			} else {
				split++
			}
		}
		if int64(cap(keyBuf)) < gathered {
			keyBuf = make([]uint64, gathered)
		}
		b := 1
		if split > 0 {
			b = max(bits.Len(uint(selectBuckets/split))-1, 1)
		}
		var off int64
		nb := 0
		los, his = los[:0], his[:0]
		for _, iv := range ivs {
			los, his = append(los, iv.lo), append(his, iv.hi)
			if iv.collect {
				iv.keys = keyBuf[off:off:(off + iv.count)]
				off += iv.count
				continue
			}
			w := iv.hi - iv.lo
			iv.shift = 0
			if nb := bits.Len64(w); nb > b {
				iv.shift = uint(nb - b)
			}
			iv.base, iv.nsub = nb, int(w>>iv.shift)+1
			nb += iv.nsub
		}
		if len(buckets) < nb {
			buckets = make([]selBucket, nb)
		}
		clear(buckets[:nb])

		var overflow bool
		visit := func(batch []float64) {
			if passes == 0 && firstPass != nil {
				firstPass(batch)
			}
			for _, v := range batch {
				k := sortKey(v)
				i := 0
				if len(ivs) > 1 {
					// The first interval whose hi is at least k, by a
					// branch-free binary search (a conditional move per
					// step: the keys come in no order a predictor learns).
					base, m := 0, len(his)
					for m > 1 {
						half := m >> 1
						if his[base+half-1] < k {
							base += half
						}
						m -= half
					}
					i = base
				}
				if k < los[i] || k > his[i] {
					continue // in no wanted interval
				}
				iv := ivs[i]
				if iv.collect {
					if int64(len(iv.keys)) == iv.count {
						overflow = true
						continue
					}
					iv.keys = append(iv.keys, k)
					continue
				}
				bk := &buckets[iv.base+int((k-iv.lo)>>iv.shift)]
				if bk.count == 0 {
					bk.lo, bk.hi = k, k
				} else if k < bk.lo {
					bk.lo = k
				} else if k > bk.hi {
					bk.hi = k
				}
				bk.count++
			}
		}
		if err := src(visit); err != nil {
			return nil, passes, err
		}
		passes++
		if overflow {
			return nil, passes, errColumnChanged
		}

		var next []*selInterval
		for _, iv := range ivs {
			if iv.collect {
				if int64(len(iv.keys)) != iv.count {
					return nil, passes, errColumnChanged
				}
				slices.Sort(iv.keys)
				for r := iv.first; r < iv.first+iv.nr; r++ {
					out[r] = keyValue(iv.keys[ranks[r]-iv.below])
				}
				iv.keys = nil
				continue
			}
			below, r, end := iv.below, iv.first, iv.first+iv.nr
			for j := iv.base; j < iv.base+iv.nsub; j++ {
				bk := buckets[j]
				c := bk.count
				if c == 0 {
					continue
				}
				start := r
				for r < end && ranks[r] < below+c {
					r++
				}
				switch {
				case r == start:
				case bk.lo == bk.hi:
					for q := start; q < r; q++ {
						out[q] = keyValue(bk.lo)
					}
				default:
					next = append(next, &selInterval{lo: bk.lo, hi: bk.hi, below: below, count: c, first: start, nr: r - start})
				}
				below += c
			}
			if below-iv.below != iv.count || r != end {
				return nil, passes, errColumnChanged
			}
		}
		ivs = next
	}
	return out, passes, nil
}
