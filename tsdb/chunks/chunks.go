package chunks

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// ErrCorrupt is returned (wrapped) for any block that cannot be decoded.
var ErrCorrupt = errors.New("corrupt sample block")

// MaxBlockSamples caps the samples in one block (one day at one-second
// resolution fits). The cap is what lets Decode bound its allocations by a
// constant on untrusted input.
const MaxBlockSamples = 1 << 17

const (
	formatV1 = 1

	flagZstd        = 1 << 0 // payload is one zstd frame
	flagMantissaDoD = 1 << 1 // mantissas are delta-of-delta, else delta
	flagCorrections = 1 << 2 // payload holds a ULP-correction stream
	flagExceptions  = 1 << 3 // payload holds raw-bit exceptions
	flagBitPacked   = 1 << 4 // payload is the bit-packed layout, not varints
	flagsKnown      = flagZstd | flagMantissaDoD | flagCorrections | flagExceptions | flagBitPacked

	// maxExp bounds the decimal exponent: 10^22 is the largest power of ten
	// that float64 holds exactly, which keeps reconstruction one correctly
	// rounded operation.
	maxExp = 22

	// maxMantissa: integers up to 2^53 convert to float64 exactly.
	maxMantissa = 1 << 53

	// maxCorrection: a value this many ULPs from its decimal is no short
	// decimal at all; its raw bits keep the correction stream's codes small.
	maxCorrection = 1 << 20

	// maxPayloadPerSample is the most bytes one sample can take in the
	// uncompressed payload: timestamp, mantissa and correction varints plus
	// an exception (index varint and 8 raw bytes).
	maxPayloadPerSample = 3*binary.MaxVarintLen64 + binary.MaxVarintLen64 + 8

	// minZstdSamples: below this a zstd frame's fixed overhead lets it win
	// on so few blocks (1% of 24-sample NAB blocks, saving 0.2% of bytes)
	// that trying it costs more encode time than it is worth.
	minZstdSamples = 64
)

// pow10 holds the exactly representable powers of ten (read-only).
var pow10 = [maxExp + 1]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// reconstruct is the decoder's only float arithmetic: one correctly rounded
// division or multiplication of two exact operands, so every architecture
// yields the same bits (no fused multiply-add can apply).
func reconstruct(m int64, e int) float64 {
	f := float64(m)
	if e < 0 {
		return f / pow10[-e]
	}
	return f * pow10[e]
}

// Encoder encodes sample blocks. It holds reusable scratch space and zstd
// state, so it is not safe for concurrent use; the zero value is not usable,
// use NewEncoder.
type Encoder struct {
	zenc     *zstd.Encoder
	payload  []byte
	mant     []int64
	corr     []int64
	excIdx   []int
	frameBuf []byte
	packed   []byte
	u1, u2   []uint64
	u3, u4   []uint64
	rts      []int64 // timestamps and mantissas newest first (newest-first layout)
	rmant    []int64
}

// NewEncoder returns an Encoder. zstd runs at its default level: on blocks this
// small the best level saves under 0.3% and costs a third of encode speed.
func NewEncoder() *Encoder {
	zenc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false),
		zstd.WithSingleSegment(true),
		zstd.WithZeroFrames(true),
	)
	if err != nil {
		// Only invalid options make NewWriter fail; they are constants here.
		panic(fmt.Sprintf("chunks: zstd encoder options: %v", err))
	}
	return &Encoder{zenc: zenc}
}

// Decoder decodes sample blocks. It is not safe for concurrent use; use
// NewDecoder.
type Decoder struct {
	zdec    *zstd.Decoder
	payload []byte
	scratch []uint64
}

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder {
	zdec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxMemory(MaxBlockSamples*maxPayloadPerSample+64),
		zstd.WithDecodeAllCapLimit(true),
	)
	if err != nil {
		panic(fmt.Sprintf("chunks: zstd decoder options: %v", err))
	}
	return &Decoder{zdec: zdec}
}

// The pools only cache Encoder/Decoder scratch state for the convenience
// functions; nothing observable is shared between calls.
var (
	encoderPool = sync.Pool{New: func() any { return NewEncoder() }}
	decoderPool = sync.Pool{New: func() any { return NewDecoder() }}
)

// AppendEncoded encodes the float samples (ts strictly increasing) as one
// sealed block appended to dst and returns the extended slice. Any timestamp
// order round-trips; increasing timestamps are what compress well.
func AppendEncoded(dst []byte, ts []int64, vs []float64) ([]byte, error) {
	e := encoderPool.Get().(*Encoder)
	defer encoderPool.Put(e)
	return e.AppendEncoded(dst, ts, vs)
}

// Decode appends the samples of block src to ts and vs and returns them.
func Decode(src []byte, ts []int64, vs []float64) ([]int64, []float64, error) {
	return DecodeSince(src, math.MinInt64, ts, vs)
}

// DecodeSince appends the samples of block src whose timestamp is at or
// after mint to ts and vs, in the block's order, and returns them. A block
// in the newest-first layout is read only as far as mint: the codes of
// older samples are not decoded, and not checked. Other blocks are decoded
// whole and filtered.
func DecodeSince(src []byte, mint int64, ts []int64, vs []float64) ([]int64, []float64, error) {
	d := decoderPool.Get().(*Decoder)
	defer decoderPool.Put(d)
	return d.DecodeSince(src, mint, ts, vs)
}

// NumSamples returns the number of samples in block src without decoding it.
func NumSamples(src []byte) (int, error) {
	if len(src) < 2 || (src[0] != formatV1 && src[0] != formatV2NewestFirst) {
		return 0, fmt.Errorf("%w: unknown format version", ErrCorrupt)
	}
	n, k := binary.Uvarint(src[2:])
	if k <= 0 || n > MaxBlockSamples {
		return 0, fmt.Errorf("%w: bad sample count", ErrCorrupt)
	}
	return int(n), nil
}

// AppendEncodedZstd is AppendEncoded with the zstd trial up to the
// caller: with tryZstd false the block is what AppendEncoded writes
// whenever zstd does not win, and no zstd encoder runs (a quarter of a
// block's encode time where it would lose). usedZstd reports whether the
// block is a zstd frame, which callers use to decide the next trial.
func AppendEncodedZstd(dst []byte, ts []int64, vs []float64, tryZstd bool) (_ []byte, usedZstd bool, err error) {
	e := encoderPool.Get().(*Encoder)
	defer encoderPool.Put(e)
	return e.appendEncoded(dst, ts, vs, tryZstd)
}

// AppendEncoded is the method form of the package function AppendEncoded.
func (enc *Encoder) AppendEncoded(dst []byte, ts []int64, vs []float64) ([]byte, error) {
	dst, _, err := enc.appendEncoded(dst, ts, vs, true)
	return dst, err
}

func (enc *Encoder) appendEncoded(dst []byte, ts []int64, vs []float64, tryZstd bool) ([]byte, bool, error) {
	n := len(ts)
	if n != len(vs) {
		return dst, false, fmt.Errorf("encode block: %d timestamps but %d values", len(ts), len(vs))
	}
	if n > MaxBlockSamples {
		return dst, false, fmt.Errorf("encode block: %d samples exceed the block limit of %d", n, MaxBlockSamples)
	}
	if n == 0 {
		return append(dst, formatV1, 0, 0), false, nil
	}

	exp, dod := enc.chooseExponent(vs)
	flags := byte(0)
	if dod {
		flags |= flagMantissaDoD
	}
	hasCorr := false
	for _, c := range enc.corr {
		if c != 0 {
			hasCorr = true
			break
		}
	}
	if hasCorr {
		flags |= flagCorrections
	}
	if len(enc.excIdx) > 0 {
		flags |= flagExceptions
	}

	p := enc.appendVarintPayload(enc.payload[:0], ts, vs, dod, hasCorr)
	enc.payload = p

	body := p
	if tryZstd && n >= minZstdSamples {
		enc.frameBuf = enc.zenc.EncodeAll(p, enc.frameBuf[:0])
		if len(enc.frameBuf) < len(p) {
			body = enc.frameBuf
			flags |= flagZstd
		}
	}

	bodyCost := len(body)
	if flags&flagZstd != 0 {
		bodyCost += uvarintLen(uint64(len(p))) // the payload size field
	}
	var newestFirst bool
	enc.packed, newestFirst = enc.appendPacked(enc.packed[:0], ts, vs)
	if packedWins(len(enc.packed), bodyCost, flags&flagZstd != 0, newestFirst) {
		return enc.appendPackedBlock(dst, ts, exp, newestFirst), false, nil
	}
	dst = append(dst, formatV1, flags)
	dst = binary.AppendUvarint(dst, uint64(n))
	dst = binary.AppendVarint(dst, int64(exp))
	dst = binary.AppendVarint(dst, ts[0])
	if flags&flagZstd != 0 {
		dst = binary.AppendUvarint(dst, uint64(len(p)))
	}
	return append(dst, body...), flags&flagZstd != 0, nil
}

// appendPacked appends the bit-packed body of the samples enc.fill
// prepared: newest first where the block qualifies (see newest.go).
func (enc *Encoder) appendPacked(p []byte, ts []int64, vs []float64) (_ []byte, newestFirst bool) {
	if len(ts) >= minNewestFirstSamples && strictlyIncreasing(ts) {
		return enc.appendNewestFirst(p, ts, vs), true
	}
	return enc.appendBitPacked(p, ts, vs), false
}

// appendPackedBlock appends the block whose body appendPacked left in
// enc.packed.
func (enc *Encoder) appendPackedBlock(dst []byte, ts []int64, exp int, newestFirst bool) []byte {
	version, t0 := byte(formatV1), ts[0]
	if newestFirst {
		version, t0 = formatV2NewestFirst, ts[len(ts)-1]
	}
	flags := byte(flagBitPacked)
	if len(enc.excIdx) > 0 {
		flags |= flagExceptions
	}
	dst = append(dst, version, flags)
	dst = binary.AppendUvarint(dst, uint64(len(ts)))
	dst = binary.AppendVarint(dst, int64(exp))
	dst = binary.AppendVarint(dst, t0)
	return append(dst, enc.packed...)
}

// packedWins decides between a bit-packed body of packedLen bytes and the
// varint or zstd body costing otherCost. Against zstd a newest-first body
// wins unless zstd saves more than a tenth: a zstd frame decodes whole,
// and a query over a block's last minutes then decodes hours. On the scale
// benchmark's fleet that keeps zstd on 2.5% of 480-sample blocks instead
// of 9.4% for 0.11% more bytes, and 23% of 2,048-sample ones instead of
// 38% for 0.49% more.
func packedWins(packedLen, otherCost int, zstd, newestFirst bool) bool {
	if zstd && newestFirst {
		return 10*otherCost >= 9*packedLen
	}
	return packedLen < otherCost
}

// appendVarintPayload appends the varint layout's streams, the input of
// zstd.
func (enc *Encoder) appendVarintPayload(p []byte, ts []int64, vs []float64, dod, hasCorr bool) []byte {
	n := len(ts)
	// Timestamps: first delta, then delta-of-deltas. Wrapping arithmetic
	// keeps any int64 sequence lossless.
	if n >= 2 {
		prevD := ts[1] - ts[0]
		p = binary.AppendVarint(p, prevD)
		for i := 2; i < n; i++ {
			d := ts[i] - ts[i-1]
			p = binary.AppendVarint(p, d-prevD)
			prevD = d
		}
	}
	p = appendMantissas(p, enc.mant, dod)
	if hasCorr {
		for _, c := range enc.corr {
			p = binary.AppendVarint(p, c)
		}
	}
	if len(enc.excIdx) > 0 {
		p = binary.AppendUvarint(p, uint64(len(enc.excIdx)))
		prev := 0
		for _, i := range enc.excIdx {
			p = binary.AppendUvarint(p, uint64(i-prev))
			prev = i
			p = binary.LittleEndian.AppendUint64(p, math.Float64bits(vs[i]))
		}
	}
	return p
}

func appendMantissas(p []byte, mant []int64, dod bool) []byte {
	p = binary.AppendVarint(p, mant[0])
	if len(mant) < 2 {
		return p
	}
	prevD := mant[1] - mant[0]
	p = binary.AppendVarint(p, prevD)
	for i := 2; i < len(mant); i++ {
		d := mant[i] - mant[i-1]
		if dod {
			p = binary.AppendVarint(p, d-prevD)
		} else {
			p = binary.AppendVarint(p, d)
		}
		prevD = d
	}
	return p
}

// chooseExponent picks the decimal exponent (and delta vs delta-of-delta)
// with the smallest estimated payload and leaves that candidate's mantissas,
// corrections and exception indexes in enc. Candidates run from one digit
// for the largest magnitude down to the 16 digits float64 can carry. Each
// extra digit grows the mantissas and can only save corrections, so the
// search stops at the first exponent that needs no correction, or once the
// mantissas alone cost more than the best candidate so far.
func (enc *Encoder) chooseExponent(vs []float64) (exp int, dod bool) {
	maxAbs := 0.0
	for _, v := range vs {
		if a := math.Abs(v); a > maxAbs && !math.IsInf(a, 0) {
			maxAbs = a
		}
	}
	hi := 0
	if maxAbs > 0 {
		hi = int(math.Floor(math.Log10(maxAbs)))
	}
	hi = min(max(hi, -maxExp), maxExp)
	lo := max(hi-16, -maxExp)

	bestCost := math.MaxInt
	for e := hi; e >= lo; e-- {
		t := enc.tryExponent(vs, e, bestCost)
		if cost := min(t.delta, t.dod); cost < bestCost {
			bestCost, exp, dod = cost, e, t.dod < t.delta
		}
		if t.clean || t.hopeless {
			break
		}
	}
	enc.fill(vs, exp)
	return exp, dod
}

// split computes mantissa and ULP correction of v at exponent e; ok is
// false when v must be stored as raw bits, with c != 0 when only the
// correction was out of range.
func split(v float64, e int) (m, c int64, ok bool) {
	var x float64
	if e < 0 {
		x = v * pow10[-e]
	} else {
		x = v / pow10[e]
	}
	x = math.Round(x)
	if !(math.Abs(x) < maxMantissa) { // also catches NaN and ±Inf
		return 0, 0, false
	}
	m = int64(x)
	c = int64(math.Float64bits(v)) - int64(math.Float64bits(reconstruct(m, e)))
	if c > maxCorrection || c < -maxCorrection {
		return 0, 1, false
	}
	return m, c, true
}

// trial is the estimated payload of the value streams at one exponent.
type trial struct {
	delta, dod int  // bytes with delta and with delta-of-delta mantissas
	clean      bool // no value needed a correction or exception
	hopeless   bool // mantissas and exceptions alone exceed the limit
}

// tryExponent estimates the payload bytes of the value streams at exponent
// e; it gives up once both estimates exceed limit.
func (enc *Encoder) tryExponent(vs []float64, e, limit int) trial {
	t := trial{clean: true}
	corr := 0
	var prevM, prevD int64
	for i, v := range vs {
		m, c, ok := split(v, e)
		if !ok {
			// An exception: more digits cannot help when the mantissa
			// overflows (or v is not finite), but can when the correction
			// was too large, so only the latter counts as savable.
			if c == 0 {
				t.delta += 10
				t.dod += 10
			} else {
				corr += 10
			}
			t.clean = false
			m = prevM
		} else if c != 0 {
			// A zero correction nearly vanishes under entropy coding; a
			// non-zero one costs its varint plus breaking the zero run.
			corr += varintLen(c) + 1
			t.clean = false
		}
		d := m - prevM
		t.delta += varintLen(d)
		if i >= 2 {
			t.dod += varintLen(d - prevD)
		} else {
			t.dod += varintLen(d)
		}
		prevM, prevD = m, d
		if min(t.delta, t.dod) > limit {
			return trial{delta: math.MaxInt, dod: math.MaxInt, hopeless: true}
		}
		if min(t.delta, t.dod)+corr > limit {
			return trial{delta: math.MaxInt, dod: math.MaxInt}
		}
	}
	t.delta += corr
	t.dod += corr
	return t
}

func (enc *Encoder) fill(vs []float64, e int) {
	enc.mant = enc.mant[:0]
	enc.corr = enc.corr[:0]
	enc.excIdx = enc.excIdx[:0]
	var prevM int64
	for i, v := range vs {
		m, c, ok := split(v, e)
		if !ok {
			// Repeat the previous mantissa so the delta stream stays quiet.
			m, c = prevM, 0
			enc.excIdx = append(enc.excIdx, i)
		}
		enc.mant = append(enc.mant, m)
		enc.corr = append(enc.corr, c)
		prevM = m
	}
}

func varintLen(x int64) int { return uvarintLen(zigzag(x)) }

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// Decode is the method form of the package function Decode. On error ts and
// vs are returned unchanged.
func (dec *Decoder) Decode(src []byte, ts []int64, vs []float64) ([]int64, []float64, error) {
	return dec.DecodeSince(src, math.MinInt64, ts, vs)
}

// DecodeSince is the method form of the package function DecodeSince.
func (dec *Decoder) DecodeSince(src []byte, mint int64, ts []int64, vs []float64) ([]int64, []float64, error) {
	if len(src) < 3 {
		return ts, vs, fmt.Errorf("%w: %d bytes is shorter than a block header", ErrCorrupt, len(src))
	}
	version := src[0]
	if version != formatV1 && version != formatV2NewestFirst {
		return ts, vs, fmt.Errorf("%w: unknown format version %d", ErrCorrupt, src[0])
	}
	flags := src[1]
	if flags&^flagsKnown != 0 {
		return ts, vs, fmt.Errorf("%w: unknown flags %#x", ErrCorrupt, flags)
	}
	r := reader{b: src[2:]}
	n64 := r.uvarint()
	if r.err != nil || n64 > MaxBlockSamples {
		return ts, vs, fmt.Errorf("%w: bad sample count", ErrCorrupt)
	}
	n := int(n64)
	if n == 0 {
		if len(r.b) != 0 || flags != 0 {
			return ts, vs, fmt.Errorf("%w: trailing bytes after empty block", ErrCorrupt)
		}
		return ts, vs, nil
	}
	exp := r.varint()
	t0 := r.varint()
	if r.err != nil || exp < -maxExp || exp > maxExp {
		return ts, vs, fmt.Errorf("%w: bad block header", ErrCorrupt)
	}
	if version == formatV2NewestFirst && flags&flagBitPacked == 0 {
		return ts, vs, fmt.Errorf("%w: newest-first block without the bit-packed layout", ErrCorrupt)
	}
	if flags&flagBitPacked != 0 {
		if flags&^(flagBitPacked|flagExceptions) != 0 {
			return ts, vs, fmt.Errorf("%w: flags %#x mix layouts", ErrCorrupt, flags)
		}
		if cap(dec.scratch) < n {
			dec.scratch = make([]uint64, n)
		}
		ts0, vs0 := len(ts), len(vs)
		ts, vs = grow(ts, n), growF(vs, n)
		outT, outV := ts[ts0:ts0+n], vs[vs0:vs0+n]
		if version == formatV2NewestFirst {
			k, ok := decodeNewestFirst(r.b, flags, int(exp), t0, mint, outT, outV, dec.scratch[:n])
			if !ok {
				return ts[:ts0], vs[:vs0], fmt.Errorf("%w: malformed newest-first streams", ErrCorrupt)
			}
			return ts[:ts0+k], vs[:vs0+k], nil
		}
		outT[0] = t0
		if !decodeBitPacked(r.b, flags, int(exp), outT, outV, dec.scratch[:n]) {
			return ts[:ts0], vs[:vs0], fmt.Errorf("%w: malformed bit-packed streams", ErrCorrupt)
		}
		ts, vs = keepSince(ts, vs, ts0, mint)
		return ts, vs, nil
	}
	payload := r.b
	if flags&flagZstd != 0 {
		size := r.uvarint()
		// Every sample has at least one mantissa byte, and at most
		// maxPayloadPerSample bytes, so size bounds the allocation.
		if r.err != nil || size < uint64(n) || size > uint64(n)*maxPayloadPerSample {
			return ts, vs, fmt.Errorf("%w: bad payload size", ErrCorrupt)
		}
		if uint64(cap(dec.payload)) < size {
			dec.payload = make([]byte, 0, size)
		}
		var err error
		dec.payload, err = dec.zdec.DecodeAll(r.b, dec.payload[:0:size])
		if err != nil {
			return ts, vs, fmt.Errorf("%w: zstd: %w", ErrCorrupt, err)
		}
		if uint64(len(dec.payload)) != size {
			return ts, vs, fmt.Errorf("%w: payload is %d bytes, header says %d", ErrCorrupt, len(dec.payload), size)
		}
		payload = dec.payload
	}
	if len(payload) < n {
		return ts, vs, fmt.Errorf("%w: %d samples need more than %d payload bytes", ErrCorrupt, n, len(payload))
	}

	ts0, vs0 := len(ts), len(vs)
	ts, vs = grow(ts, n), growF(vs, n)
	fail := func(what string) ([]int64, []float64, error) {
		return ts[:ts0], vs[:vs0], fmt.Errorf("%w: %s", ErrCorrupt, what)
	}

	p := reader{b: payload}
	outT := ts[ts0 : ts0+n]
	outT[0] = t0
	if n >= 2 {
		d := p.varint()
		t := t0 + d
		outT[1] = t
		for i := 2; i < n; i++ {
			d += p.varint()
			t += d
			outT[i] = t
		}
	}
	if p.err != nil {
		return fail("truncated timestamps")
	}

	outV := vs[vs0 : vs0+n]
	// Mantissas go through the int64 bits of outV until reconstruction.
	m := p.varint()
	outV[0] = math.Float64frombits(uint64(m))
	if n >= 2 {
		d := p.varint()
		m += d
		outV[1] = math.Float64frombits(uint64(m))
		dod := flags&flagMantissaDoD != 0
		for i := 2; i < n; i++ {
			x := p.varint()
			if dod {
				d += x
			} else {
				d = x
			}
			m += d
			outV[i] = math.Float64frombits(uint64(m))
		}
	}
	if p.err != nil {
		return fail("truncated mantissas")
	}
	e := int(exp)
	if flags&flagCorrections != 0 {
		for i := range outV {
			c := p.varint()
			outV[i] = math.Float64frombits(uint64(int64(math.Float64bits(reconstruct(int64(math.Float64bits(outV[i])), e))) + c))
		}
		if p.err != nil {
			return fail("truncated corrections")
		}
	} else {
		for i := range outV {
			outV[i] = reconstruct(int64(math.Float64bits(outV[i])), e)
		}
	}
	if flags&flagExceptions != 0 {
		cnt := p.uvarint()
		if p.err != nil || cnt == 0 || cnt > uint64(n) {
			return fail("bad exception count")
		}
		idx := -1
		for k := uint64(0); k < cnt; k++ {
			gap := p.uvarint()
			if p.err != nil || (gap == 0 && idx >= 0) || gap >= uint64(n-max(idx, 0)) {
				return fail("bad exception index")
			}
			idx = max(idx, 0) + int(gap)
			bits := p.uint64()
			if p.err != nil {
				return fail("truncated exception")
			}
			outV[idx] = math.Float64frombits(bits)
		}
	}
	if len(p.b) != 0 {
		return fail(fmt.Sprintf("%d trailing payload bytes", len(p.b)))
	}
	ts, vs = keepSince(ts, vs, ts0, mint)
	return ts, vs, nil
}

// keepSince drops the samples from index from on whose timestamp is
// before mint, keeping the order of the rest.
func keepSince(ts []int64, vs []float64, from int, mint int64) ([]int64, []float64) {
	if mint == math.MinInt64 {
		return ts, vs
	}
	j := from
	for i := from; i < len(ts); i++ {
		if ts[i] >= mint {
			ts[j], vs[j] = ts[i], vs[i]
			j++
		}
	}
	return ts[:j], vs[:j]
}

func grow(s []int64, n int) []int64 {
	if cap(s)-len(s) < n {
		ns := make([]int64, len(s), len(s)+n)
		copy(ns, s)
		s = ns
	}
	return s[:len(s)+n]
}

func growF(s []float64, n int) []float64 {
	if cap(s)-len(s) < n {
		ns := make([]float64, len(s), len(s)+n)
		copy(ns, s)
		s = ns
	}
	return s[:len(s)+n]
}

// reader consumes varints and records the first error instead of
// returning it at every call, which keeps the stream loops branch-light.
type reader struct {
	b   []byte
	err error
}

var errShort = errors.New("short stream")

func (r *reader) uvarint() uint64 {
	x, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[k:]
	return x
}

func (r *reader) varint() int64 {
	x, k := binary.Varint(r.b)
	if k <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[k:]
	return x
}

func (r *reader) uint64() uint64 {
	if len(r.b) < 8 {
		r.fail()
		return 0
	}
	x := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return x
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errShort
	}
	r.b = nil
}

// AppendWithZstdTrial appends to dst the block AppendEncoded writes for
// ts and vs, given block: what AppendEncodedZstd wrote for the same
// samples with tryZstd false (ts and vs are its decoded samples). That is
// block itself unless zstd wins, which it finds without re-running the
// exponent search or the bit-packed layout's planning — most of an
// encode, and the part the trial does not change. usedZstd reports that
// the result is a zstd frame.
func AppendWithZstdTrial(dst, block []byte, ts []int64, vs []float64) (_ []byte, usedZstd bool, err error) {
	e := encoderPool.Get().(*Encoder)
	defer encoderPool.Put(e)
	return e.appendWithZstdTrial(dst, block, ts, vs)
}

func (enc *Encoder) appendWithZstdTrial(dst, block []byte, ts []int64, vs []float64) ([]byte, bool, error) {
	n := len(ts)
	if n != len(vs) {
		return dst, false, fmt.Errorf("zstd trial: %d timestamps but %d values", len(ts), len(vs))
	}
	if len(block) < 3 || (block[0] != formatV1 && block[0] != formatV2NewestFirst) {
		return dst, false, fmt.Errorf("%w: not a block", ErrCorrupt)
	}
	flags := block[1]
	r := reader{b: block[2:]}
	bn := r.uvarint()
	exp := r.varint()
	t0 := r.varint()
	first := 0
	if block[0] == formatV2NewestFirst {
		first = n - 1 // the header holds the newest sample's time
	}
	if r.err != nil || bn != uint64(n) || exp < -maxExp || exp > maxExp || (n > 0 && t0 != ts[first]) {
		return dst, false, fmt.Errorf("%w: block header does not match its %d samples", ErrCorrupt, n)
	}
	if n < minZstdSamples || flags&flagZstd != 0 {
		return append(dst, block...), flags&flagZstd != 0, nil
	}
	body := r.b
	// The encode that wrote block chose exp and, at exp, delta or
	// delta-of-delta mantissas by the same estimate tryExponent makes.
	e := int(exp)
	t := enc.tryExponent(vs, e, math.MaxInt)
	dod := t.dod < t.delta
	enc.fill(vs, e)
	hasCorr := false
	for _, c := range enc.corr {
		if c != 0 {
			hasCorr = true
			break
		}
	}
	p := enc.appendVarintPayload(enc.payload[:0], ts, vs, dod, hasCorr)
	enc.payload = p
	if flags&flagBitPacked == 0 && string(body) != string(p) {
		// Not the block this encoder writes for these samples: encode
		// from scratch rather than guess.
		return enc.appendEncoded(dst, ts, vs, true)
	}
	enc.frameBuf = enc.zenc.EncodeAll(p, enc.frameBuf[:0])
	if len(enc.frameBuf) >= len(p) {
		return append(dst, block...), false, nil
	}
	zstdCost := len(enc.frameBuf) + uvarintLen(uint64(len(p)))
	// An encode compares the zstd body with the bit-packed one: block's
	// own body, or, when block is in the varint layout (its bit-packed
	// body lost to the plain varints), that body encoded again here.
	packedLen, newestFirst := len(body), block[0] == formatV2NewestFirst
	if flags&flagBitPacked == 0 {
		enc.packed, newestFirst = enc.appendPacked(enc.packed[:0], ts, vs)
		packedLen = len(enc.packed)
	}
	if packedWins(packedLen, zstdCost, true, newestFirst) {
		if flags&flagBitPacked != 0 {
			return append(dst, block...), false, nil
		}
		return enc.appendPackedBlock(dst, ts, e, newestFirst), false, nil
	}
	zflags := byte(flagZstd)
	if dod {
		zflags |= flagMantissaDoD
	}
	if hasCorr {
		zflags |= flagCorrections
	}
	if len(enc.excIdx) > 0 {
		zflags |= flagExceptions
	}
	dst = append(dst, formatV1, zflags)
	dst = binary.AppendUvarint(dst, uint64(n))
	dst = binary.AppendVarint(dst, exp)
	dst = binary.AppendVarint(dst, ts[0])
	dst = binary.AppendUvarint(dst, uint64(len(p)))
	return append(dst, enc.frameBuf...), true, nil
}
