package drift

import (
	"math"
	"slices"
)

const (
	radixBits   = 11
	radixPasses = (64 + radixBits - 1) / radixBits // 6
	radixSize   = 1 << radixBits
)

// sortFloats sorts v (no NaN) ascending with an LSD radix sort on the
// order-preserving bit pattern of each value (6 passes of 11 bits); tmp and
// keys must hold len(v) values. Digit positions on which all keys agree are
// skipped, so integer-valued and narrow-range data sort in fewer passes.
func sortFloats(v []float64, tmp []uint64, keys []uint64) {
	n := len(v)
	if n < 512 {
		slices.Sort(v)
		return
	}
	keys = keys[:n]
	tmp = tmp[:n]
	var counts [radixPasses][radixSize]int
	for i, x := range v {
		k := math.Float64bits(x)
		if k>>63 != 0 {
			k = ^k
		} else {
			k |= 1 << 63
		}
		keys[i] = k
		for p := 0; p < radixPasses; p++ {
			counts[p][(k>>(radixBits*p))&(radixSize-1)]++
		}
	}
	src, dst := keys, tmp
	for p := 0; p < radixPasses; p++ {
		c := &counts[p]
		shift := uint(radixBits * p)
		if c[(src[0]>>shift)&(radixSize-1)] == n {
			continue
		}
		off := 0
		for i := range c {
			cnt := c[i]
			c[i] = off
			off += cnt
		}
		for _, k := range src {
			d := (k >> shift) & (radixSize - 1)
			dst[c[d]] = k
			c[d]++
		}
		src, dst = dst, src
	}
	for i, k := range src {
		if k>>63 != 0 {
			k &^= 1 << 63
		} else {
			k = ^k
		}
		v[i] = math.Float64frombits(k)
	}
}
