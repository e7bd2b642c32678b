package drift

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Sketch wire format (version 1), canonical so equal sketches encode to
// equal bytes: "MLSK", version, kind, then
//
//	numerical:   alpha f64 | n, missing uvarint | min, max, mean, m2 f64 |
//	             buckets uvarint | per bucket in key order:
//	             key delta varint, count uvarint, min f64, max f64
//	categorical: n, missing uvarint | labels uvarint | per label in byte
//	             order: length uvarint, bytes, count uvarint
//
// f64 are little-endian IEEE 754 bits.
const (
	sketchMagic   = "MLSK"
	sketchVersion = 1
)

// MarshalBinary encodes the sketch.
func (s *Sketch) MarshalBinary() ([]byte, error) {
	b := append([]byte(sketchMagic), sketchVersion, byte(s.kind))
	f64 := func(v float64) { b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v)) }
	if s.kind == Categorical {
		b = binary.AppendUvarint(b, s.n)
		b = binary.AppendUvarint(b, s.missing)
		labels := make([]string, 0, len(s.labels))
		for l := range s.labels {
			labels = append(labels, l)
		}
		slices.Sort(labels)
		b = binary.AppendUvarint(b, uint64(len(labels)))
		for _, l := range labels {
			b = binary.AppendUvarint(b, uint64(len(l)))
			b = append(b, l...)
			b = binary.AppendUvarint(b, s.labels[l])
		}
		return b, nil
	}
	f64(s.alpha)
	b = binary.AppendUvarint(b, s.n)
	b = binary.AppendUvarint(b, s.missing)
	f64(s.min)
	f64(s.max)
	f64(s.mean)
	f64(s.m2)
	keys := make([]int64, 0, len(s.buckets))
	for k := range s.buckets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	prev := int64(0)
	for _, k := range keys {
		bk := s.buckets[k]
		b = binary.AppendVarint(b, k-prev)
		prev = k
		b = binary.AppendUvarint(b, bk.count)
		f64(bk.min)
		f64(bk.max)
	}
	return b, nil
}

// ErrBadSketch wraps every decoding failure.
var ErrBadSketch = errors.New("bad sketch encoding")

type sketchReader struct {
	b   []byte
	err error
}

func (r *sketchReader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrBadSketch, fmt.Sprintf(format, a...))
	}
}

func (r *sketchReader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("truncated or overlong %s", what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sketchReader) varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("truncated or overlong %s", what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sketchReader) f64(what string) float64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.fail("truncated %s", what)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	if math.IsNaN(v) {
		r.fail("%s is NaN", what)
	}
	return v
}

// UnmarshalBinary decodes a sketch written by MarshalBinary, checking that
// it is internally consistent (counts add up, every bucket's values belong
// to it), so a corrupt sketch is rejected rather than merged.
func (s *Sketch) UnmarshalBinary(data []byte) error {
	if len(data) < len(sketchMagic)+2 || string(data[:len(sketchMagic)]) != sketchMagic {
		return fmt.Errorf("%w: missing %q header", ErrBadSketch, sketchMagic)
	}
	if v := data[len(sketchMagic)]; v != sketchVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrBadSketch, v, sketchVersion)
	}
	kind := Kind(data[len(sketchMagic)+1])
	r := &sketchReader{b: data[len(sketchMagic)+2:]}
	switch kind {
	case Categorical:
		out := NewCategoricalSketch()
		out.n = r.uvarint("count")
		out.missing = r.uvarint("missing count")
		nl := r.uvarint("label count")
		if nl > uint64(len(r.b)) {
			r.fail("%d labels in %d bytes", nl, len(r.b))
		}
		var total uint64
		prev := ""
		for i := uint64(0); i < nl && r.err == nil; i++ {
			ln := r.uvarint("label length")
			if ln > uint64(len(r.b)) {
				r.fail("label length %d past the end", ln)
				break
			}
			l := string(r.b[:ln])
			r.b = r.b[ln:]
			if i > 0 && l <= prev {
				r.fail("labels not in strict order at %q", l)
			}
			prev = l
			c := r.uvarint("label count")
			if c == 0 {
				r.fail("label %q has count 0", l)
			}
			out.labels[l] = c
			total += c
		}
		if r.err == nil && total != out.n {
			r.fail("label counts add to %d, header says %d", total, out.n)
		}
		if r.err == nil && len(r.b) != 0 {
			r.fail("%d trailing bytes", len(r.b))
		}
		if r.err != nil {
			return r.err
		}
		*s = *out
		return nil
	case Numerical:
	default:
		return fmt.Errorf("%w: unknown kind %d", ErrBadSketch, kind)
	}
	alpha := r.f64("alpha")
	if r.err != nil {
		return r.err
	}
	out, err := NewNumericSketch(alpha)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSketch, err)
	}
	out.n = r.uvarint("count")
	out.missing = r.uvarint("missing count")
	out.min, out.max = r.f64("min"), r.f64("max")
	out.mean, out.m2 = r.f64("mean"), r.f64("m2")
	nb := r.uvarint("bucket count")
	if nb > uint64(len(r.b))/18 { // a bucket takes at least 18 bytes
		r.fail("%d buckets in %d bytes", nb, len(r.b))
	}
	var total uint64
	key := int64(0)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := uint64(0); i < nb && r.err == nil; i++ {
		d := r.varint("bucket key")
		if i > 0 && d <= 0 {
			r.fail("bucket keys not in strict order")
		}
		key += d
		bk := bucket{count: r.uvarint("bucket count"), min: r.f64("bucket min"), max: r.f64("bucket max")}
		if r.err != nil {
			break
		}
		if bk.count == 0 || bk.min > bk.max || math.IsInf(bk.min, 0) || math.IsInf(bk.max, 0) ||
			out.key(bk.min) != key || out.key(bk.max) != key {
			r.fail("bucket %d (count %d, [%v, %v]) does not fit its key", key, bk.count, bk.min, bk.max)
			break
		}
		out.buckets[key] = bk
		total += bk.count
		lo, hi = math.Min(lo, bk.min), math.Max(hi, bk.max)
	}
	if r.err == nil && total != out.n {
		r.fail("bucket counts add to %d, header says %d", total, out.n)
	}
	if r.err == nil && out.n > 0 && (lo != out.min || hi != out.max) {
		r.fail("min/max %v/%v disagree with the buckets %v/%v", out.min, out.max, lo, hi)
	}
	if r.err == nil && out.n == 0 && (!math.IsInf(out.min, 1) || !math.IsInf(out.max, -1) || out.mean != 0 || out.m2 != 0) {
		r.fail("empty sketch with a min, max or moments")
	}
	if r.err == nil && (out.m2 < 0 || math.IsInf(out.mean, 0) || math.IsInf(out.m2, 0)) {
		r.fail("moments out of range")
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return r.err
	}
	*s = *out
	return nil
}
