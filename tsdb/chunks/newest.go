package chunks

import (
	"encoding/binary"
	"math"
	"slices"
)

// The newest-first layout (format version 2) is the bit-packed layout with
// the samples stored in reverse time order and the value streams' bit
// lengths written ahead of them where a reader may need to skip one. A
// query's window almost always sits at the end of a block (an instant
// query, an alerting rule over the last 5 minutes of a block that holds
// 2 hours), and a stream of Rice or Exp-Golomb codes can only be read from
// its start; newest first, DecodeSince reads the codes of the samples in
// its window and stops. The codes cost what they cost forwards (delta and
// delta-of-delta streams are negated, which zigzag coding does not
// notice); the lengths cost 2-3 bytes in blocks that have a correction
// stream or exceptions, nothing otherwise.
//
// Bits after the header and the d1, m0 varints (t0 and m0 are the newest
// sample's):
//
//	ts stream (head, codes)         delta-of-delta of the n-2 older intervals
//	mode:2 mant head  corr head
//	[mant bits: EG8]                when corr is not all-zero or exceptions exist
//	mant codes
//	[corr bits: EG8]                when corr is not all-zero and exceptions exist
//	corr codes
//	exceptions                      as the forward layout, indexes newest first
//
// Only blocks of at least minNewestFirstSamples samples with strictly
// increasing timestamps use it: smaller blocks decode whole in about the
// time a skip saves, and decreasing reversed timestamps are what lets
// DecodeSince stop at the first sample older than its bound.
const (
	formatV2NewestFirst   = 2
	minNewestFirstSamples = 64
	lengthK               = 8 // Exp-Golomb order of the stream bit lengths
)

func strictlyIncreasing(ts []int64) bool {
	for i := 1; i < len(ts); i++ {
		if ts[i] <= ts[i-1] {
			return false
		}
	}
	return true
}

// appendNewestFirst appends the newest-first body of the samples whose
// mantissas, corrections and exceptions enc.fill computed (in time order).
func (enc *Encoder) appendNewestFirst(p []byte, ts []int64, vs []float64) []byte {
	last := len(ts) - 1
	// Newest-first copies of the timestamps and mantissas.
	enc.rts = append(enc.rts[:0], ts...)
	slices.Reverse(enc.rts)
	enc.rmant = append(enc.rmant[:0], enc.mant...)
	slices.Reverse(enc.rmant)

	p = binary.AppendVarint(p, enc.rts[1]-enc.rts[0])
	p = binary.AppendVarint(p, enc.rmant[0])
	w := bitWriter{b: p}
	u := enc.timestampStream(enc.rts)
	tsPlan := planStream(u)
	writeStreamHead(&w, u, tsPlan)
	writeStreamCodes(&w, u, tsPlan)

	mode, xs, mantPlan := enc.mantissaStream(enc.rmant)
	cs := enc.u4[:0]
	for i := last; i >= 0; i-- {
		cs = append(cs, zigzag(enc.corr[i]))
	}
	enc.u4 = cs
	corrPlan := planStream(cs)
	hasExc := len(enc.excIdx) > 0

	w.write(mode, 2)
	writeStreamHead(&w, xs, mantPlan)
	writeStreamHead(&w, cs, corrPlan)
	if corrPlan.kind != kindZero || hasExc {
		writeExpGolomb(&w, uint64(streamCodesLen(xs, mantPlan)), lengthK)
	}
	writeStreamCodes(&w, xs, mantPlan)
	if corrPlan.kind != kindZero && hasExc {
		writeExpGolomb(&w, uint64(streamCodesLen(cs, corrPlan)), lengthK)
	}
	writeStreamCodes(&w, cs, corrPlan)
	if hasExc {
		writeExpGolomb(&w, uint64(len(enc.excIdx)-1), 0)
		prev := -1
		for j := len(enc.excIdx) - 1; j >= 0; j-- {
			i := last - enc.excIdx[j] // its position newest first
			writeExpGolomb(&w, uint64(i-prev-1), 0)
			w.write(math.Float64bits(vs[enc.excIdx[j]]), 64)
			prev = i
		}
	}
	return w.flush()
}

// decodeNewestFirst decodes the samples of a newest-first body at or after
// mint into outT and outV (room for all n samples), oldest first, and
// returns how many there are. With mint at or below the oldest sample it
// reads and checks the whole body; otherwise it reads the codes of the
// samples it returns (all of the timestamp stream) and stops. scratch
// needs room for n entries.
func decodeNewestFirst(body []byte, flags byte, e int, t0 int64, mint int64, outT []int64, outV []float64, scratch []uint64) (int, bool) {
	n := len(outT)
	r := reader{b: body}
	d1 := r.varint()
	m0 := r.varint()
	if r.err != nil || n < 3 || d1 >= 0 {
		return 0, false
	}
	br := newBitReader(r.b)

	// Timestamps, newest first, strictly decreasing; they go to outT
	// oldest first. k counts those at or after mint: the samples to return.
	tsHead, ok := readStreamHead(&br, n-2)
	if !ok {
		return 0, false
	}
	var k int
	if tsHead.kind == kindZero {
		// A regular interval: count, then write, only the samples needed.
		for t := t0; k < n && t >= mint; k++ {
			next := t + d1
			if next >= t && k < n-1 {
				return 0, false // wrapped past the smallest int64
			}
			t = next
		}
		t := t0
		for i := k - 1; i >= 0; i-- {
			outT[i] = t
			t += d1
		}
	} else {
		u := scratch[:n-2]
		if !readStreamCodes(&br, tsHead, u, n-2) {
			return 0, false
		}
		outT[0], outT[1] = t0, t0+d1
		d := d1
		for i := 2; i < n; i++ {
			d += unzigzag(u[i-2])
			outT[i] = outT[i-1] + d
			if d >= 0 || outT[i] >= outT[i-1] {
				return 0, false
			}
		}
		if outT[1] >= outT[0] {
			return 0, false
		}
		for k < n && outT[k] >= mint {
			k++
		}
		slices.Reverse(outT[:k])
	}
	whole := k == n

	mode := br.read(2)
	mantHead, ok1 := readStreamHead(&br, n-1)
	corrHead, ok2 := readStreamHead(&br, n)
	if !ok1 || !ok2 || mode > predictFirst {
		return 0, false
	}
	hasExc := flags&flagExceptions != 0
	var mantLen, corrLen uint64
	if corrHead.kind != kindZero || hasExc {
		mantLen = readExpGolomb(&br, lengthK)
	}
	if br.err || mantLen > uint64(br.limit-br.pos) {
		return 0, false
	}
	if k == 0 {
		return 0, true
	}
	mantEnd := br.pos + uint(mantLen)

	mant := scratch[:k]
	mant[0] = uint64(m0)
	if k >= 2 {
		u := scratch[1:k]
		if !readStreamCodes(&br, mantHead, u, n-1) {
			return 0, false
		}
		predictMantissas(mode, m0, u)
	}
	if corrHead.kind != kindZero || hasExc {
		if whole && br.pos != mantEnd {
			return 0, false
		}
		br.pos = mantEnd
	}
	// Values go to outV oldest first: newest-first index i is k-1-i.
	out := outV[:k]
	if e < 0 {
		div := pow10[-e]
		for i, m := range mant {
			out[k-1-i] = float64(int64(m)) / div
		}
	} else {
		for i, m := range mant {
			out[k-1-i] = reconstruct(int64(m), e)
		}
	}

	if corrHead.kind != kindZero {
		if hasExc {
			corrLen = readExpGolomb(&br, lengthK)
			if br.err || corrLen > uint64(br.limit-br.pos) {
				return 0, false
			}
		}
		corrEnd := br.pos + uint(corrLen)
		corr := scratch[:k]
		if !readStreamCodes(&br, corrHead, corr, n) {
			return 0, false
		}
		for i, c := range corr {
			if c != 0 {
				out[k-1-i] = math.Float64frombits(uint64(int64(math.Float64bits(out[k-1-i])) + unzigzag(c)))
			}
		}
		if hasExc {
			if whole && br.pos != corrEnd {
				return 0, false
			}
			br.pos = corrEnd
		}
	}
	if hasExc {
		cnt := readExpGolomb(&br, 0) + 1
		if br.err || cnt > uint64(n) {
			return 0, false
		}
		pos := uint64(0)
		for j := uint64(0); j < cnt; j++ {
			gap := readExpGolomb(&br, 0)
			if br.err || gap >= uint64(n)-pos {
				return 0, false
			}
			pos += gap
			if pos >= uint64(k) {
				break // older than mint, like every exception after it
			}
			out[k-1-int(pos)] = math.Float64frombits(br.read(64))
			pos++
		}
	}
	if br.err {
		return 0, false
	}
	if whole && br.limit-br.pos >= 8 {
		return 0, false // more than the final byte's padding remains
	}
	return k, true
}
