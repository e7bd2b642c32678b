package chunks

import (
	"math"
	"math/bits"
)

// Stream kinds of the bit-packed layout. Every stream of zigzagged
// integers picks the cheapest: real series mix dense noise (Rice), heavy
// tails (Exp-Golomb) and long zero runs (all-zero, sparse).
const (
	kindZero   = 0
	kindRice   = 1
	kindExpGol = 2
	kindSparse = 3

	kindBits = 2
	kBits    = 6
)

type streamPlan struct {
	kind   uint
	k1, k2 uint
	cost   int
}

// candidateKs returns a window of Golomb parameters around the one that
// fits the mean; the true optimum is always within it for geometric-like
// data and the window keeps planning linear in the stream length.
func candidateKs(sum uint64, n int) (lo, hi uint) {
	if n == 0 {
		return 0, 0
	}
	mean := sum / uint64(n)
	k0 := uint(bits.Len64(mean))
	lo = uint(max(int(k0)-4, 0))
	hi = min(k0+2, 63)
	return lo, hi
}

func planStream(xs []uint64) streamPlan {
	var sum uint64
	nz := 0
	for _, x := range xs {
		if x != 0 {
			nz++
			if sum+x < sum {
				sum = math.MaxUint64
			} else {
				sum += x
			}
		}
	}
	if nz == 0 {
		return streamPlan{kind: kindZero, cost: kindBits}
	}
	best := streamPlan{cost: math.MaxInt}
	lo, hi := candidateKs(sum, len(xs))
	for k := lo; k <= hi; k++ {
		cr, ce := kindBits+kBits, kindBits+kBits
		for _, x := range xs {
			cr += riceLen(x, k)
			ce += expGolombLen(x, k)
		}
		if cr < best.cost {
			best = streamPlan{kind: kindRice, k1: k, cost: cr}
		}
		if ce < best.cost {
			best = streamPlan{kind: kindExpGol, k1: k, cost: ce}
		}
	}
	if nz*3 <= len(xs) {
		// Sparse: gaps between non-zero entries and the entries minus one.
		var gapSum uint64
		prev := -1
		for i, x := range xs {
			if x != 0 {
				gapSum += uint64(i - prev - 1)
				prev = i
			}
		}
		bestG, bestV := math.MaxInt, math.MaxInt
		var kg, kv uint
		glo, ghi := candidateKs(gapSum, nz)
		vlo, vhi := candidateKs(sum-uint64(nz), nz)
		for k := glo; k <= ghi; k++ {
			c := 0
			prev := -1
			for i, x := range xs {
				if x != 0 {
					c += expGolombLen(uint64(i-prev-1), k)
					prev = i
				}
			}
			if c < bestG {
				bestG, kg = c, k
			}
		}
		for k := vlo; k <= vhi; k++ {
			c := 0
			for _, x := range xs {
				if x != 0 {
					c += expGolombLen(x-1, k)
				}
			}
			if c < bestV {
				bestV, kv = c, k
			}
		}
		cs := kindBits + 2*kBits + expGolombLen(uint64(nz-1), 0) + bestG + bestV
		if cs < best.cost {
			best = streamPlan{kind: kindSparse, k1: kg, k2: kv, cost: cs}
		}
	}
	return best
}

func writeStream(w *bitWriter, xs []uint64, p streamPlan) {
	w.write(uint64(p.kind), kindBits)
	switch p.kind {
	case kindRice:
		w.write(uint64(p.k1), kBits)
		for _, x := range xs {
			writeRice(w, x, p.k1)
		}
	case kindExpGol:
		w.write(uint64(p.k1), kBits)
		for _, x := range xs {
			writeExpGolomb(w, x, p.k1)
		}
	case kindSparse:
		nz := 0
		for _, x := range xs {
			if x != 0 {
				nz++
			}
		}
		w.write(uint64(p.k1), kBits)
		w.write(uint64(p.k2), kBits)
		writeExpGolomb(w, uint64(nz-1), 0)
		prev := -1
		for i, x := range xs {
			if x != 0 {
				writeExpGolomb(w, uint64(i-prev-1), p.k1)
				writeExpGolomb(w, x-1, p.k2)
				prev = i
			}
		}
	}
}

// readStream fills xs (its length is the stream length); it reports false
// on a truncated or malformed stream.
func readStream(r *bitReader, xs []uint64) bool {
	return readStreamOf(r, uint(r.read(kindBits)), xs)
}

// readStreamOf is readStream after the stream's kind was read.
func readStreamOf(r *bitReader, kind uint, xs []uint64) bool {
	if r.err {
		return false
	}
	switch kind {
	case kindZero:
		clear(xs)
	case kindRice:
		k := uint(r.read(kBits))
		if r.err {
			return false
		}
		return r.readRiceRun(xs, k)
	case kindExpGol:
		k := uint(r.read(kBits))
		for i := range xs {
			xs[i] = readExpGolomb(r, k)
			if r.err {
				return false
			}
		}
	case kindSparse:
		kg := uint(r.read(kBits))
		kv := uint(r.read(kBits))
		nz := readExpGolomb(r, 0) + 1
		if r.err || nz > uint64(len(xs)) {
			return false
		}
		clear(xs)
		pos := uint64(0)
		for j := uint64(0); j < nz; j++ {
			gap := readExpGolomb(r, kg)
			if r.err || gap >= uint64(len(xs))-pos {
				return false
			}
			pos += gap
			xs[pos] = readExpGolomb(r, kv) + 1
			pos++
		}
	}
	return !r.err
}
