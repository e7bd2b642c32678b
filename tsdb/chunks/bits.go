package chunks

import (
	"encoding/binary"
	"math/bits"
)

// bitWriter appends bits MSB-first to a byte slice.
type bitWriter struct {
	b     []byte
	acc   uint64 // pending bits, right-aligned
	nbits uint   // number of pending bits (< 8 after flush)
}

func (w *bitWriter) write(v uint64, n uint) {
	for n > 0 {
		take := min(n, 56-w.nbits)
		n -= take
		w.acc = w.acc<<take | (v>>n)&(1<<take-1)
		w.nbits += take
		for w.nbits >= 8 {
			w.nbits -= 8
			w.b = append(w.b, byte(w.acc>>w.nbits))
		}
		w.acc &= 1<<w.nbits - 1
	}
}

func (w *bitWriter) flush() []byte {
	if w.nbits > 0 {
		w.b = append(w.b, byte(w.acc<<(8-w.nbits)))
		w.nbits, w.acc = 0, 0
	}
	return w.b
}

// bitReader reads what bitWriter wrote. Reading past the end sets err and
// yields zeros, so decode loops need only check err once per stream.
type bitReader struct {
	b     []byte
	pos   uint // next bit
	limit uint
	err   bool
}

func newBitReader(b []byte) bitReader {
	return bitReader{b: b, limit: uint(len(b)) * 8}
}

// peek returns the next 64 bits, zero-padded past the end.
func (r *bitReader) peek() uint64 {
	byteIdx := r.pos >> 3
	var v uint64
	if byteIdx+8 <= uint(len(r.b)) {
		v = binary.BigEndian.Uint64(r.b[byteIdx:])
	} else {
		for i := uint(0); i < 8; i++ {
			v <<= 8
			if byteIdx+i < uint(len(r.b)) {
				v |= uint64(r.b[byteIdx+i])
			}
		}
	}
	off := r.pos & 7
	if off == 0 {
		return v
	}
	// Bring in the low bits from the ninth byte.
	v <<= off
	if byteIdx+8 < uint(len(r.b)) {
		v |= uint64(r.b[byteIdx+8]) >> (8 - off)
	}
	return v
}

func (r *bitReader) read(n uint) uint64 {
	if n == 0 {
		return 0
	}
	if n > 64 || r.pos+n > r.limit {
		r.err = true
		r.pos = r.limit
		return 0
	}
	v := r.peek() >> (64 - n)
	r.pos += n
	return v
}

// readUnary counts one-bits up to a terminating zero, at most max (< 64)
// ones; the zero is consumed unless max ones were read.
func (r *bitReader) readUnary(max uint) uint {
	q := uint(bits.LeadingZeros64(^r.peek()))
	if q >= max {
		q = max
		r.pos += q
	} else {
		r.pos += q + 1
	}
	if r.pos > r.limit {
		r.err = true
		r.pos = r.limit
	}
	return q
}

// Codes for one stream of unsigned integers. riceEscape bounds a Rice
// quotient so an outlier costs O(log) bits instead of O(value).
const riceEscape = 24

func riceLen(x uint64, k uint) int {
	q := x >> k
	if q < riceEscape {
		return int(q) + 1 + int(k)
	}
	return riceEscape + expGolombLen(q-riceEscape, 0) + int(k)
}

func writeRice(w *bitWriter, x uint64, k uint) {
	q := x >> k
	if q < riceEscape {
		w.write(1<<(q+1)-2, uint(q)+1) // q ones then a zero
	} else {
		w.write(1<<riceEscape-1, riceEscape)
		writeExpGolomb(w, q-riceEscape, 0)
	}
	w.write(x, k)
}

func readRice(r *bitReader, k uint) uint64 {
	// Fast path: the whole code lies in one 64-bit window.
	v := r.peek()
	if q := uint(bits.LeadingZeros64(^v)); q < riceEscape && q+1+k <= 64 && r.pos+q+1+k <= r.limit {
		r.pos += q + 1 + k
		return uint64(q)<<k | v<<(q+1)>>(64-k)
	}
	q := uint64(r.readUnary(riceEscape))
	if q == riceEscape {
		q += readExpGolomb(r, 0)
	}
	return q<<k | r.read(k)
}

// readRiceRun fills xs with order-k Rice codes. It is readRice unrolled
// over a stream: each code whose bits lie in the eight bytes at the read
// position decodes from one load with no call, which is what a sealed
// query spends its time on (a mantissa stream per series); an escaped or
// long code, or one near the end of the buffer, takes readRice's path.
func (r *bitReader) readRiceRun(xs []uint64, k uint) bool {
	b := r.b
	for i := range xs {
		pos := r.pos
		if byteIdx := pos >> 3; byteIdx+8 <= uint(len(b)) {
			off := pos & 7
			// The top 64-off bits (at least 57) are the stream's next bits.
			v := binary.BigEndian.Uint64(b[byteIdx:]) << off
			q := uint(bits.LeadingZeros64(^v))
			if q < riceEscape && q+1+k <= 64-off {
				r.pos = pos + q + 1 + k
				xs[i] = uint64(q)<<k | v<<(q+1)>>(64-k)
				continue
			}
		}
		xs[i] = readRice(r, k)
		if r.err {
			return false
		}
	}
	return true
}

// expGolombLen is the length of the order-k Exp-Golomb code of x.
func expGolombLen(x uint64, k uint) int {
	q := x>>k + 1
	if q == 0 { // x>>k == MaxUint64 cannot happen for k >= 1; k == 0 only
		return 129
	}
	return 2*(bits.Len64(q)-1) + 1 + int(k)
}

func writeExpGolomb(w *bitWriter, x uint64, k uint) {
	q := x>>k + 1
	if q == 0 { // x == MaxUint64 with k == 0: 64 zeros, a one, 64 bits of x
		w.write(0, 64)
		w.write(1, 1)
		w.write(x, 64)
		return
	}
	n := uint(bits.Len64(q))
	w.write(0, n-1)
	w.write(q, n)
	w.write(x, k)
}

func readExpGolomb(r *bitReader, k uint) uint64 {
	zeros := uint(bits.LeadingZeros64(r.peek()))
	if zeros == 64 {
		// Either the 2^64-1 escape or a run past the end of the stream.
		r.pos += 64
		if r.pos >= r.limit || r.read(1) != 1 {
			r.err = true
			r.pos = r.limit
			return 0
		}
		return r.read(64)
	}
	if n := 2*zeros + 1 + k; n <= 64 && r.pos+n <= r.limit {
		// Fast path: the whole code lies in one 64-bit window.
		v := r.peek() << zeros
		r.pos += n
		return (v>>(64-(zeros+1))-1)<<k | v<<(zeros+1)>>(64-k)
	}
	r.pos += zeros
	q := r.read(zeros + 1)
	return (q-1)<<k | r.read(k)
}

func zigzag(x int64) uint64   { return uint64(x<<1) ^ uint64(x>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }
