package drift

import (
	"math"
	"slices"
)

// dist is a sample as its sorted distinct values with cumulative counts:
// cum[i] values are <= vals[i]. Every statistic here works on this form, so
// a low-cardinality column of a million rows costs a few thousand steps.
type dist struct {
	vals []float64
	cum  []int
}

func (d *dist) n() int {
	if len(d.cum) == 0 {
		return 0
	}
	return d.cum[len(d.cum)-1]
}

// below is the number of values < x; atMost the number <= x.
func (d *dist) below(x float64) int {
	i, _ := slices.BinarySearch(d.vals, x) // first index with vals[i] >= x
	if i == 0 {
		return 0
	}
	return d.cum[i-1]
}

func (d *dist) atMost(x float64) int {
	i, found := slices.BinarySearch(d.vals, x)
	if found {
		return d.cum[i]
	}
	if i == 0 {
		return 0
	}
	return d.cum[i-1]
}

// distBuilder builds dists, reusing its memory between columns.
type distBuilder struct {
	sorted    []float64
	keys, tmp []uint64
	table     []uint64 // open addressing on value bits, 0 = empty
	counts    []int
	pairs     []valCount
}

type valCount struct {
	v float64
	c int
}

const maxHashedDistinct = 1 << 12

// build fills d from values (any order, no NaN) without modifying them.
// Columns with few distinct values are counted in a hash table (one pass);
// the rest are radix sorted and run-length encoded.
func (b *distBuilder) build(d *dist, values []float64) {
	d.vals, d.cum = d.vals[:0], d.cum[:0]
	if b.buildHashed(d, values) {
		return
	}
	n := len(values)
	b.sorted = grow(b.sorted, n)
	copy(b.sorted, values)
	b.keys, b.tmp = grow(b.keys, n), grow(b.tmp, n)
	sortFloats(b.sorted, b.tmp, b.keys)
	for i, v := range b.sorted {
		if i > 0 && v == b.sorted[i-1] {
			d.cum[len(d.cum)-1]++
			continue
		}
		d.vals = append(d.vals, v)
		d.cum = append(d.cum, i+1)
	}
}

func (b *distBuilder) buildHashed(d *dist, values []float64) bool {
	const size = 4 * maxHashedDistinct // load factor <= 1/4
	if cap(b.table) < size {
		b.table = make([]uint64, size)
		b.counts = make([]int, size)
	}
	table, counts := b.table[:size], b.counts[:size]
	clear(table)
	clear(counts)
	distinct := 0
	hasZero := 0 // +0.0 has all bits zero, the empty marker: counted apart
	for _, v := range values {
		if v == 0 {
			hasZero++ // -0.0 and +0.0 are one value
			continue
		}
		k := math.Float64bits(v)
		h := (k * 0x9E3779B97F4A7C15) >> (64 - 14)
		for {
			if table[h] == k {
				counts[h]++
				break
			}
			if table[h] == 0 {
				if distinct == maxHashedDistinct {
					return false
				}
				distinct++
				table[h] = k
				counts[h] = 1
				break
			}
			h = (h + 1) & (size - 1)
		}
	}
	b.pairs = b.pairs[:0]
	for h, k := range table {
		if k != 0 {
			b.pairs = append(b.pairs, valCount{math.Float64frombits(k), counts[h]})
		}
	}
	if hasZero > 0 {
		b.pairs = append(b.pairs, valCount{0, hasZero})
	}
	slices.SortFunc(b.pairs, func(x, y valCount) int {
		switch {
		case x.v < y.v:
			return -1
		case x.v > y.v:
			return 1
		}
		return 0
	})
	total := 0
	for _, p := range b.pairs {
		total += p.c
		d.vals = append(d.vals, p.v)
		d.cum = append(d.cum, total)
	}
	return true
}

// mergeDists calls fn for every distinct value of the union, in order, with
// the number of values <= v on each side.
func mergeDists(a, b *dist, fn func(v float64, cumA, cumB int)) {
	i, j := 0, 0
	ca, cb := 0, 0
	for i < len(a.vals) || j < len(b.vals) {
		var v float64
		if j >= len(b.vals) || (i < len(a.vals) && a.vals[i] <= b.vals[j]) {
			v = a.vals[i]
		} else {
			v = b.vals[j]
		}
		if i < len(a.vals) && a.vals[i] == v {
			ca = a.cum[i]
			i++
		}
		if j < len(b.vals) && b.vals[j] == v {
			cb = b.cum[j]
			j++
		}
		fn(v, ca, cb)
	}
}
