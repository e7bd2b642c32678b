package chunks

import (
	"encoding/binary"
	"math"
)

// Mantissa predictors of the bit-packed layout (2 bits).
const (
	predictDelta = 0
	predictDoD   = 1
	predictFirst = 2
)

// appendBitPacked appends the bit-packed body of the samples whose
// mantissas, corrections and exceptions enc.fill computed. Small blocks of
// noisy values are where it wins: zstd must ship a Huffman table per frame,
// a Golomb-coded stream needs one 6-bit parameter.
func (enc *Encoder) appendBitPacked(p []byte, ts []int64, vs []float64) []byte {
	n := len(ts)
	if n >= 2 {
		p = binary.AppendVarint(p, ts[1]-ts[0])
	}
	p = binary.AppendVarint(p, enc.mant[0])
	w := bitWriter{b: p}
	if n >= 3 {
		u := enc.timestampStream(ts)
		writeStream(&w, u, planStream(u))
	}
	if n >= 2 {
		mode, xs, plan := enc.mantissaStream(enc.mant)
		w.write(mode, 2)
		writeStream(&w, xs, plan)
	}
	u := zigzagAll(enc.u1[:0], enc.corr)
	enc.u1 = u
	writeStream(&w, u, planStream(u))
	if len(enc.excIdx) > 0 {
		writeExpGolomb(&w, uint64(len(enc.excIdx)-1), 0)
		prev := -1
		for _, i := range enc.excIdx {
			writeExpGolomb(&w, uint64(i-prev-1), 0)
			w.write(math.Float64bits(vs[i]), 64)
			prev = i
		}
	}
	return w.flush()
}

// timestampStream returns (in enc.u1) the zigzagged delta-of-deltas of the
// intervals of ts after its first, which the block stores as a varint.
func (enc *Encoder) timestampStream(ts []int64) []uint64 {
	u := enc.u1[:0]
	prevD := ts[1] - ts[0]
	for i := 2; i < len(ts); i++ {
		d := ts[i] - ts[i-1]
		u = append(u, zigzag(d-prevD))
		prevD = d
	}
	enc.u1 = u
	return u
}

// mantissaStream codes the mantissas after mant[0] with the cheapest of
// three predictors: the previous value (trends, random walks), the
// previous slope (counters) and the first value (noise around a level,
// where deltas double the variance). The codes live in enc.u1..u3.
func (enc *Encoder) mantissaStream(mant []int64) (mode uint64, xs []uint64, plan streamPlan) {
	delta, dod, off := enc.u1[:0], enc.u2[:0], enc.u3[:0]
	var prevD int64
	for i := 1; i < len(mant); i++ {
		d := mant[i] - mant[i-1]
		delta = append(delta, zigzag(d))
		if i == 1 {
			dod = append(dod, zigzag(d))
		} else {
			dod = append(dod, zigzag(d-prevD))
		}
		off = append(off, zigzag(mant[i]-mant[0]))
		prevD = d
	}
	enc.u1, enc.u2, enc.u3 = delta, dod, off
	mode, xs, plan = predictDelta, delta, planStream(delta)
	if p := planStream(dod); p.cost < plan.cost {
		mode, xs, plan = predictDoD, dod, p
	}
	if p := planStream(off); p.cost < plan.cost {
		mode, xs, plan = predictFirst, off, p
	}
	return mode, xs, plan
}

// zigzagAll appends the zigzagged xs to dst.
func zigzagAll(dst []uint64, xs []int64) []uint64 {
	for _, x := range xs {
		dst = append(dst, zigzag(x))
	}
	return dst
}

// decodeBitPacked fills outT[1:] and outV from a bit-packed body; outT[0]
// is set by the caller. scratch must have room for len(outT) entries.
func decodeBitPacked(body []byte, flags byte, e int, outT []int64, outV []float64, scratch []uint64) bool {
	n := len(outT)
	r := reader{b: body}
	var d1 int64
	if n >= 2 {
		d1 = r.varint()
	}
	m0 := r.varint()
	if r.err != nil {
		return false
	}
	br := newBitReader(r.b)
	if n >= 2 {
		outT[1] = outT[0] + d1
	}
	if n >= 3 {
		u := scratch[:n-2]
		kind := uint(br.read(kindBits))
		if kind == kindZero && !br.err {
			// Regular scrapes: every interval equals the first.
			for i := 2; i < n; i++ {
				outT[i] = outT[i-1] + d1
			}
		} else {
			if !readStreamOf(&br, kind, u) {
				return false
			}
			d := d1
			for i := 2; i < n; i++ {
				d += unzigzag(u[i-2])
				outT[i] = outT[i-1] + d
			}
		}
	}
	mant := scratch[:n]
	mant[0] = uint64(m0)
	if n >= 2 {
		mode := br.read(2)
		u := scratch[1:n]
		if mode > predictFirst || !readStream(&br, u) {
			return false
		}
		predictMantissas(mode, m0, u) // u aliases mant[1:]
	}
	if e < 0 {
		div := pow10[-e]
		for i, m := range mant {
			outV[i] = float64(int64(m)) / div
		}
	} else {
		for i, m := range mant {
			outV[i] = reconstruct(int64(m), e)
		}
	}
	kind := uint(br.read(kindBits))
	if kind != kindZero {
		corr := scratch[:n]
		if !readStreamOf(&br, kind, corr) {
			return false
		}
		for i, c := range corr {
			if c != 0 {
				outV[i] = math.Float64frombits(uint64(int64(math.Float64bits(outV[i])) + unzigzag(c)))
			}
		}
	}
	if flags&flagExceptions != 0 {
		cnt := readExpGolomb(&br, 0) + 1
		if br.err || cnt > uint64(n) {
			return false
		}
		pos := uint64(0)
		for k := uint64(0); k < cnt; k++ {
			gap := readExpGolomb(&br, 0)
			if br.err || gap >= uint64(n)-pos {
				return false
			}
			pos += gap
			outV[pos] = math.Float64frombits(br.read(64))
			pos++
		}
	}
	if br.err {
		return false
	}
	// Only the final byte's padding may remain.
	return (br.limit - br.pos) < 8
}

// predictMantissas turns the zigzagged codes u of the mantissas after m0
// into the mantissas, in place, by the block's predictor: one loop per
// predictor.
func predictMantissas(mode uint64, m0 int64, u []uint64) {
	switch mode {
	case predictFirst:
		for i := range u {
			u[i] = uint64(m0 + unzigzag(u[i]))
		}
	case predictDoD:
		m, d := m0, unzigzag(u[0])
		m += d
		u[0] = uint64(m)
		for i := 1; i < len(u); i++ {
			d += unzigzag(u[i])
			m += d
			u[i] = uint64(m)
		}
	default:
		m := m0
		for i := range u {
			m += unzigzag(u[i])
			u[i] = uint64(m)
		}
	}
}
