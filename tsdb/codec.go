package tsdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/mlectl/mlectl/tsdb/chunks"
)

// errCorrupt is wrapped by every decoder in this package.
var errCorrupt = errors.New("corrupt tsdb data")

const dayMillis = int64(24 * 60 * 60 * 1000)

// Key prefixes in badger.
const (
	prefixBlock  = 'b' // b | day u32 | ref u64 | minT | maxT | seq u64 | count u32  -> block value
	prefixSeries = 's' // s | ref u64 -> encoded labels
)

const blockKeyLen = 1 + 4 + 8 + 8 + 8 + 8 + 4

// Block kinds: the first byte of every block value.
const (
	blockFloat      byte = 0 // payload: chunks codec
	blockFloatST    byte = 1 // payload: uvarint len, chunks codec, then n varint start timestamps
	blockHistogram  byte = 2 // payload: sample records with integer histograms
	blockFloatHisto byte = 3 // payload: sample records with float histograms
)

// dayOf returns the UTC day number holding timestamp t (ms).
func dayOf(t int64) int32 {
	d := t / dayMillis
	if t%dayMillis < 0 {
		d--
	}
	return int32(d)
}

func flipInt64(v int64) uint64   { return uint64(v) ^ (1 << 63) }
func unflipInt64(u uint64) int64 { return int64(u ^ (1 << 63)) }

// blockMeta describes one sealed block of one series.
type blockMeta struct {
	minT, maxT int64
	seq        uint64
	day        int32
	count      uint32
	bytes      uint32 // key + value size
}

func appendDayPrefix(dst []byte, day int32) []byte {
	dst = append(dst, prefixBlock)
	return binary.BigEndian.AppendUint32(dst, uint32(day)^(1<<31))
}

func appendBlockKey(dst []byte, ref uint64, m blockMeta) []byte {
	dst = appendDayPrefix(dst, m.day)
	dst = binary.BigEndian.AppendUint64(dst, ref)
	dst = binary.BigEndian.AppendUint64(dst, flipInt64(m.minT))
	dst = binary.BigEndian.AppendUint64(dst, flipInt64(m.maxT))
	dst = binary.BigEndian.AppendUint64(dst, m.seq)
	return binary.BigEndian.AppendUint32(dst, m.count)
}

func parseBlockKey(k []byte) (ref uint64, m blockMeta, err error) {
	if len(k) != blockKeyLen || k[0] != prefixBlock {
		return 0, m, fmt.Errorf("%w: block key of %d bytes", errCorrupt, len(k))
	}
	m.day = int32(binary.BigEndian.Uint32(k[1:]) ^ (1 << 31))
	ref = binary.BigEndian.Uint64(k[5:])
	m.minT = unflipInt64(binary.BigEndian.Uint64(k[13:]))
	m.maxT = unflipInt64(binary.BigEndian.Uint64(k[21:]))
	m.seq = binary.BigEndian.Uint64(k[29:])
	m.count = binary.BigEndian.Uint32(k[37:])
	if m.maxT < m.minT || dayOf(m.minT) != m.day {
		return 0, m, fmt.Errorf("%w: block key time range [%d,%d] day %d", errCorrupt, m.minT, m.maxT, m.day)
	}
	return ref, m, nil
}

func appendSeriesKey(dst []byte, ref uint64) []byte {
	dst = append(dst, prefixSeries)
	return binary.BigEndian.AppendUint64(dst, ref)
}

// appendLabels encodes a label set as uvarint count then uvarint-length-prefixed names and values.
func appendLabels(dst []byte, ls labels.Labels) []byte {
	dst = binary.AppendUvarint(dst, uint64(ls.Len()))
	ls.Range(func(l labels.Label) {
		dst = binary.AppendUvarint(dst, uint64(len(l.Name)))
		dst = append(dst, l.Name...)
		dst = binary.AppendUvarint(dst, uint64(len(l.Value)))
		dst = append(dst, l.Value...)
	})
	return dst
}

// decoder reads the primitive encodings; the first failure sticks in err.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated or invalid %s", errCorrupt, what)
	}
	d.b = nil
}

func (d *decoder) uvarint(what string) uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint(what string) int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) float(what string) float64 {
	if len(d.b) < 8 {
		d.fail(what)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *decoder) byte1(what string) byte {
	if len(d.b) < 1 {
		d.fail(what)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// count reads a length that must be plausible given minSize bytes per element.
func (d *decoder) count(what string, minSize int) int {
	n := d.uvarint(what)
	if d.err != nil {
		return 0
	}
	if minSize < 1 {
		minSize = 1
	}
	if n > uint64(len(d.b)/minSize) {
		d.fail(what)
		return 0
	}
	return int(n)
}

func (d *decoder) bytes(what string) []byte {
	n := d.count(what, 1)
	if d.err != nil {
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) labels(sb *labels.ScratchBuilder) labels.Labels {
	n := d.count("label count", 2)
	sb.Reset()
	for i := 0; i < n && d.err == nil; i++ {
		name := d.bytes("label name")
		value := d.bytes("label value")
		if d.err != nil {
			break
		}
		sb.Add(string(name), string(value))
	}
	if d.err != nil {
		return labels.EmptyLabels()
	}
	sb.Sort()
	return sb.Labels()
}

func decodeLabels(b []byte) (labels.Labels, error) {
	d := decoder{b: b}
	sb := labels.NewScratchBuilder(8)
	ls := d.labels(&sb)
	if d.err == nil && len(d.b) != 0 {
		d.fail("labels trailer")
	}
	return ls, d.err
}

func appendSpans(dst []byte, spans []histogram.Span) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(spans)))
	for _, s := range spans {
		dst = binary.AppendVarint(dst, int64(s.Offset))
		dst = binary.AppendUvarint(dst, uint64(s.Length))
	}
	return dst
}

func (d *decoder) spans() []histogram.Span {
	n := d.count("histogram span count", 2)
	if n == 0 {
		return nil
	}
	spans := make([]histogram.Span, n)
	for i := range spans {
		off := d.varint("span offset")
		l := d.uvarint("span length")
		if off < math.MinInt32 || off > math.MaxInt32 || l > math.MaxUint32 {
			d.fail("span")
		}
		spans[i] = histogram.Span{Offset: int32(off), Length: uint32(l)}
	}
	return spans
}

func appendFloat(dst []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
}

func appendHistogram(dst []byte, h *histogram.Histogram) []byte {
	dst = append(dst, byte(h.CounterResetHint))
	dst = binary.AppendVarint(dst, int64(h.Schema))
	dst = appendFloat(dst, h.ZeroThreshold)
	dst = binary.AppendUvarint(dst, h.ZeroCount)
	dst = binary.AppendUvarint(dst, h.Count)
	dst = appendFloat(dst, h.Sum)
	dst = appendSpans(dst, h.PositiveSpans)
	dst = appendVarints(dst, h.PositiveBuckets)
	dst = appendSpans(dst, h.NegativeSpans)
	dst = appendVarints(dst, h.NegativeBuckets)
	return appendFloats(dst, h.CustomValues)
}

func (d *decoder) histogram() *histogram.Histogram {
	h := &histogram.Histogram{}
	h.CounterResetHint = histogram.CounterResetHint(d.byte1("histogram hint"))
	schema := d.varint("histogram schema")
	if schema < math.MinInt32 || schema > math.MaxInt32 {
		d.fail("histogram schema")
	}
	h.Schema = int32(schema)
	h.ZeroThreshold = d.float("zero threshold")
	h.ZeroCount = d.uvarint("zero count")
	h.Count = d.uvarint("count")
	h.Sum = d.float("sum")
	h.PositiveSpans = d.spans()
	h.PositiveBuckets = d.varints("positive buckets")
	h.NegativeSpans = d.spans()
	h.NegativeBuckets = d.varints("negative buckets")
	h.CustomValues = d.floats("custom values")
	return h
}

func appendFloatHistogram(dst []byte, h *histogram.FloatHistogram) []byte {
	dst = append(dst, byte(h.CounterResetHint))
	dst = binary.AppendVarint(dst, int64(h.Schema))
	dst = appendFloat(dst, h.ZeroThreshold)
	dst = appendFloat(dst, h.ZeroCount)
	dst = appendFloat(dst, h.Count)
	dst = appendFloat(dst, h.Sum)
	dst = appendSpans(dst, h.PositiveSpans)
	dst = appendFloats(dst, h.PositiveBuckets)
	dst = appendSpans(dst, h.NegativeSpans)
	dst = appendFloats(dst, h.NegativeBuckets)
	return appendFloats(dst, h.CustomValues)
}

func (d *decoder) floatHistogram() *histogram.FloatHistogram {
	h := &histogram.FloatHistogram{}
	h.CounterResetHint = histogram.CounterResetHint(d.byte1("histogram hint"))
	schema := d.varint("histogram schema")
	if schema < math.MinInt32 || schema > math.MaxInt32 {
		d.fail("histogram schema")
	}
	h.Schema = int32(schema)
	h.ZeroThreshold = d.float("zero threshold")
	h.ZeroCount = d.float("zero count")
	h.Count = d.float("count")
	h.Sum = d.float("sum")
	h.PositiveSpans = d.spans()
	h.PositiveBuckets = d.floats("positive buckets")
	h.NegativeSpans = d.spans()
	h.NegativeBuckets = d.floats("negative buckets")
	h.CustomValues = d.floats("custom values")
	return h
}

// sample is one stored point: a float, an integer histogram or a float histogram.
// st is the start timestamp (0 = unknown).
type sample struct {
	t, st int64
	v     float64
	h     *histogram.Histogram
	fh    *histogram.FloatHistogram
}

func (s *sample) kind() byte {
	switch {
	case s.h != nil:
		return blockHistogram
	case s.fh != nil:
		return blockFloatHisto
	default:
		return blockFloat
	}
}

// appendBlock encodes samples (sorted, unique t, all of one kind) as a block value.
// tsBuf and vsBuf are scratch space and are returned for reuse.
func appendBlock(dst []byte, samples []sample, tsBuf []int64, vsBuf []float64) ([]byte, []int64, []float64, error) {
	if len(samples) == 0 {
		return dst, tsBuf, vsBuf, fmt.Errorf("encode block: no samples")
	}
	kind := samples[0].kind()
	switch kind {
	case blockFloat:
		tsBuf, vsBuf = tsBuf[:0], vsBuf[:0]
		hasST := false
		for i := range samples {
			tsBuf = append(tsBuf, samples[i].t)
			vsBuf = append(vsBuf, samples[i].v)
			hasST = hasST || samples[i].st != 0
		}
		if !hasST {
			dst = append(dst, blockFloat)
			var err error
			dst, err = chunks.AppendEncoded(dst, tsBuf, vsBuf)
			return dst, tsBuf, vsBuf, err
		}
		enc, err := chunks.AppendEncoded(nil, tsBuf, vsBuf)
		if err != nil {
			return dst, tsBuf, vsBuf, err
		}
		dst = append(dst, blockFloatST)
		dst = binary.AppendUvarint(dst, uint64(len(enc)))
		dst = append(dst, enc...)
		for i := range samples {
			dst = binary.AppendVarint(dst, samples[i].t-samples[i].st)
		}
		return dst, tsBuf, vsBuf, nil
	default:
		dst = append(dst, kind)
		dst = binary.AppendUvarint(dst, uint64(len(samples)))
		prev := int64(0)
		for i := range samples {
			s := &samples[i]
			dst = binary.AppendVarint(dst, s.t-prev)
			prev = s.t
			dst = binary.AppendVarint(dst, s.st)
			if kind == blockHistogram {
				dst = appendHistogram(dst, s.h)
			} else {
				dst = appendFloatHistogram(dst, s.fh)
			}
		}
		return dst, tsBuf, vsBuf, nil
	}
}

// decodeBlock appends the samples of block value src to dst.
func decodeBlock(dst []sample, src []byte, tsBuf []int64, vsBuf []float64) ([]sample, []int64, []float64, error) {
	return decodeBlockRange(dst, src, tsBuf, vsBuf, minInt64, maxInt64)
}

// decodeBlockRange appends the samples of block value src to dst, only
// those in [mint, maxt] for float blocks (histogram blocks come whole: the
// samples around a range give its counter-reset hints their context).
func decodeBlockRange(dst []sample, src []byte, tsBuf []int64, vsBuf []float64, mint, maxt int64) ([]sample, []int64, []float64, error) {
	d := decoder{b: src}
	kind := d.byte1("block kind")
	if d.err != nil {
		return dst, tsBuf, vsBuf, d.err
	}
	switch kind {
	case blockFloat, blockFloatST:
		payload := d.b
		if kind == blockFloatST {
			payload = d.bytes("float block")
			if d.err != nil {
				return dst, tsBuf, vsBuf, d.err
			}
		}
		// A plain float block is read only as far back as mint (the
		// newest-first layout stops there); start timestamps follow the
		// block sample by sample, so that kind decodes whole.
		since := int64(minInt64)
		if kind == blockFloat {
			since = mint
		}
		var err error
		tsBuf, vsBuf, err = chunks.DecodeSince(payload, since, tsBuf[:0], vsBuf[:0])
		if err != nil {
			return dst, tsBuf, vsBuf, fmt.Errorf("%w: %w", errCorrupt, err)
		}
		if len(tsBuf) != len(vsBuf) {
			return dst, tsBuf, vsBuf, fmt.Errorf("%w: float block length mismatch", errCorrupt)
		}
		if kind == blockFloat {
			// Timestamps are strictly increasing within a block: the
			// range is one contiguous run, found by binary search.
			lo, hi := 0, len(tsBuf)
			if len(tsBuf) > 0 && tsBuf[0] < mint {
				lo = sort.Search(len(tsBuf), func(i int) bool { return tsBuf[i] >= mint })
			}
			if len(tsBuf) > 0 && tsBuf[len(tsBuf)-1] > maxt {
				hi = sort.Search(len(tsBuf), func(i int) bool { return tsBuf[i] > maxt })
			}
			if lo < hi {
				n := len(dst)
				dst = slices.Grow(dst, hi-lo)[:n+hi-lo]
				out := dst[n:]
				for i := range out {
					out[i] = sample{t: tsBuf[lo+i], v: vsBuf[lo+i]}
				}
			}
			return dst, tsBuf, vsBuf, nil
		}
		for i := range tsBuf {
			s := sample{t: tsBuf[i], v: vsBuf[i]}
			s.st = s.t - d.varint("start timestamp")
			if s.t >= mint && s.t <= maxt {
				dst = append(dst, s)
			}
		}
		if d.err == nil && len(d.b) != 0 {
			d.fail("block trailer")
		}
		return dst, tsBuf, vsBuf, d.err
	case blockHistogram, blockFloatHisto:
		n := d.count("histogram block count", 3)
		prev := int64(0)
		for i := 0; i < n && d.err == nil; i++ {
			s := sample{}
			s.t = prev + d.varint("timestamp")
			prev = s.t
			s.st = d.varint("start timestamp")
			if kind == blockHistogram {
				s.h = d.histogram()
			} else {
				s.fh = d.floatHistogram()
			}
			if d.err == nil {
				dst = append(dst, s)
			}
		}
		if d.err == nil && len(d.b) != 0 {
			d.fail("block trailer")
		}
		return dst, tsBuf, vsBuf, d.err
	default:
		return dst, tsBuf, vsBuf, fmt.Errorf("%w: unknown block kind %d", errCorrupt, kind)
	}
}

func appendVarints(dst []byte, vs []int64) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(vs)))
	for _, v := range vs {
		dst = binary.AppendVarint(dst, v)
	}
	return dst
}

func appendFloats(dst []byte, vs []float64) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(vs)))
	for _, v := range vs {
		dst = appendFloat(dst, v)
	}
	return dst
}

// varints reads a counted list of varints (at least one byte each); nil when empty.
func (d *decoder) varints(what string) []int64 {
	n := d.count(what, 1)
	if n == 0 {
		return nil
	}
	vs := make([]int64, n)
	for i := range vs {
		vs[i] = d.varint(what)
	}
	return vs
}

// floats reads a counted list of 8-byte floats; nil when empty.
func (d *decoder) floats(what string) []float64 {
	n := d.count(what, 8)
	if n == 0 {
		return nil
	}
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = d.float(what)
	}
	return vs
}
