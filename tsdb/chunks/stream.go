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

// streamHead is what precedes a stream's codes: its kind and parameters,
// and for a sparse stream the count of its non-zero entries.
type streamHead struct {
	kind   uint
	k1, k2 uint
	nz     uint64
}

func writeStream(w *bitWriter, xs []uint64, p streamPlan) {
	writeStreamHead(w, xs, p)
	writeStreamCodes(w, xs, p)
}

func writeStreamHead(w *bitWriter, xs []uint64, p streamPlan) {
	w.write(uint64(p.kind), kindBits)
	switch p.kind {
	case kindRice, kindExpGol:
		w.write(uint64(p.k1), kBits)
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
	}
}

func writeStreamCodes(w *bitWriter, xs []uint64, p streamPlan) {
	switch p.kind {
	case kindRice:
		for _, x := range xs {
			writeRice(w, x, p.k1)
		}
	case kindExpGol:
		for _, x := range xs {
			writeExpGolomb(w, x, p.k1)
		}
	case kindSparse:
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

// streamCodesLen is the bit length of what writeStreamCodes writes.
func streamCodesLen(xs []uint64, p streamPlan) int {
	n := 0
	switch p.kind {
	case kindRice:
		for _, x := range xs {
			n += riceLen(x, p.k1)
		}
	case kindExpGol:
		for _, x := range xs {
			n += expGolombLen(x, p.k1)
		}
	case kindSparse:
		prev := -1
		for i, x := range xs {
			if x != 0 {
				n += expGolombLen(uint64(i-prev-1), p.k1) + expGolombLen(x-1, p.k2)
				prev = i
			}
		}
	}
	return n
}

// readStream fills xs (its length is the stream length); it reports false
// on a truncated or malformed stream.
func readStream(r *bitReader, xs []uint64) bool {
	return readStreamOf(r, uint(r.read(kindBits)), xs)
}

// readStreamOf is readStream after the stream's kind was read.
func readStreamOf(r *bitReader, kind uint, xs []uint64) bool {
	h, ok := readStreamParams(r, kind, len(xs))
	return ok && readStreamCodes(r, h, xs, len(xs))
}

// readStreamHead reads the head of a stream of total entries.
func readStreamHead(r *bitReader, total int) (streamHead, bool) {
	return readStreamParams(r, uint(r.read(kindBits)), total)
}

func readStreamParams(r *bitReader, kind uint, total int) (streamHead, bool) {
	h := streamHead{kind: kind}
	switch kind {
	case kindRice, kindExpGol:
		h.k1 = uint(r.read(kBits))
	case kindSparse:
		h.k1 = uint(r.read(kBits))
		h.k2 = uint(r.read(kBits))
		h.nz = readExpGolomb(r, 0) + 1
		if h.nz > uint64(total) {
			return h, false
		}
	}
	return h, !r.err
}

// readStreamCodes fills xs with the first len(xs) entries of a stream of
// total entries with head h. Reading a prefix of a sparse stream stops at
// the first gap that reaches past it, in the middle of the stream.
func readStreamCodes(r *bitReader, h streamHead, xs []uint64, total int) bool {
	if r.err {
		return false
	}
	switch h.kind {
	case kindZero:
		clear(xs)
	case kindRice:
		return r.readRiceRun(xs, h.k1)
	case kindExpGol:
		for i := range xs {
			xs[i] = readExpGolomb(r, h.k1)
			if r.err {
				return false
			}
		}
	case kindSparse:
		clear(xs)
		pos := uint64(0)
		for j := uint64(0); j < h.nz; j++ {
			gap := readExpGolomb(r, h.k1)
			if r.err || gap >= uint64(total)-pos {
				return false
			}
			pos += gap
			if pos >= uint64(len(xs)) {
				break // this entry and the rest lie past the prefix
			}
			xs[pos] = readExpGolomb(r, h.k2) + 1
			pos++
		}
	}
	return !r.err
}
