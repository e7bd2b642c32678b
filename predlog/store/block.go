package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/mlectl/mlectl/predlog"
)

// Block formats: 1 has no explanation or feature-time columns; 2 adds
// them after the feature columns (names in the header). Blocks whose
// records carry neither are still written as 1, so old readers and old
// blocks stay as they were.
const (
	blockFormat       = 1
	blockFormatExtras = 2
)

// Flag bits of a record beyond role (bits 0-1), error (4), injected (8)
// and scores (16).
const (
	flagExplanations = 32 // the record carried an explanations object
	flagFeatureTS    = 64 // the record carried a feature_ts object
)

// Value tags in a value column's tag stream.
const (
	tagAbsent byte = iota
	tagNull
	tagDecimal
	tagFloat
	tagString
	tagFalse
	tagTrue
)

var roles = []string{predlog.RoleProduction, predlog.RoleShadow, predlog.RoleCanary}

// colWriter accumulates one value column's streams.
type colWriter struct {
	tags, mants, exps, floats, strs []byte
	dict                            map[string]uint32
}

func (c *colWriter) reset() {
	c.tags, c.mants, c.exps, c.floats, c.strs = c.tags[:0], c.mants[:0], c.exps[:0], c.floats[:0], c.strs[:0]
	clear(c.dict)
}

func (c *colWriter) add(v predlog.Value) {
	switch v.Kind {
	case predlog.KindAbsent:
		c.tags = append(c.tags, tagAbsent)
	case predlog.KindNull:
		c.tags = append(c.tags, tagNull)
	case predlog.KindNumber:
		if v.Exact {
			c.tags = append(c.tags, tagDecimal)
			c.mants = binary.AppendVarint(c.mants, v.Mant)
			c.exps = binary.AppendVarint(c.exps, int64(v.Exp))
		} else {
			c.tags = append(c.tags, tagFloat)
			c.floats = binary.LittleEndian.AppendUint64(c.floats, math.Float64bits(v.Num))
		}
	case predlog.KindString:
		c.tags = append(c.tags, tagString)
		if c.dict == nil {
			c.dict = make(map[string]uint32)
		}
		code, ok := c.dict[v.Str]
		if !ok {
			code = uint32(len(c.dict))
			c.dict[v.Str] = code
		}
		c.strs = binary.AppendUvarint(c.strs, uint64(code))
		if !ok {
			c.strs = binary.AppendUvarint(c.strs, uint64(len(v.Str)))
			c.strs = append(c.strs, v.Str...)
		}
	case predlog.KindBool:
		if v.IsTrue() {
			c.tags = append(c.tags, tagTrue)
		} else {
			c.tags = append(c.tags, tagFalse)
		}
	}
}

func appendStream(dst, s []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func (c *colWriter) appendTo(dst []byte) []byte {
	for _, s := range [][]byte{c.tags, c.mants, c.exps, c.floats, c.strs} {
		dst = appendStream(dst, s)
	}
	return dst
}

// blockEncoder turns records of one model/version into a block payload. It
// is reused across blocks to keep its buffers.
type blockEncoder struct {
	names    []string
	index    map[string]int
	cols     []colWriter
	latency  colWriter
	pred     colWriter
	classes  colWriter
	scoreN   []byte
	ts       []byte
	flags    []byte
	idLens   []byte
	idBytes  []byte
	featCols []colWriter
	payload  []byte
	// explanation and feature-time columns of a format-2 block
	xNames, tNames []string
	xCols, tCols   []colWriter
}

// extraNames lists, in first-seen order, the names of one kind of extra
// column (explanations or feature times) across recs.
func extraNames(dst []string, recs []predlog.Record, names func(r *predlog.Record, fn func(string))) []string {
	dst = dst[:0]
	seen := map[string]bool{}
	for i := range recs {
		names(&recs[i], func(n string) {
			if !seen[n] {
				seen[n] = true
				dst = append(dst, n)
			}
		})
	}
	return dst
}

func resetCols(cols []colWriter, n int) []colWriter {
	for len(cols) < n {
		cols = append(cols, colWriter{})
	}
	for i := range cols[:n] {
		cols[i].reset()
	}
	return cols
}

// encode writes the header into hdr and the uncompressed columns into
// e.payload; recs must be non-empty.
func (e *blockEncoder) encode(hdr []byte, recs []predlog.Record) ([]byte, error) {
	if e.index == nil {
		e.index = make(map[string]int)
	}
	e.names = e.names[:0]
	clear(e.index)
	for i := range recs {
		for _, f := range recs[i].Features {
			if _, ok := e.index[f.Name]; !ok {
				e.index[f.Name] = len(e.names)
				e.names = append(e.names, f.Name)
			}
		}
	}
	for len(e.featCols) < len(e.names) {
		e.featCols = append(e.featCols, colWriter{})
	}
	cols := e.featCols[:len(e.names)]
	for i := range cols {
		cols[i].reset()
	}
	e.latency.reset()
	e.pred.reset()
	e.classes.reset()
	e.scoreN, e.ts, e.flags, e.idLens, e.idBytes = e.scoreN[:0], e.ts[:0], e.flags[:0], e.idLens[:0], e.idBytes[:0]
	e.xNames = extraNames(e.xNames, recs, func(r *predlog.Record, fn func(string)) {
		for _, x := range r.Explanations {
			fn(x.Name)
		}
	})
	e.tNames = extraNames(e.tNames, recs, func(r *predlog.Record, fn func(string)) {
		for _, x := range r.FeatureTS {
			fn(x.Name)
		}
	})
	extras := false
	for i := range recs {
		if recs[i].Explanations != nil || recs[i].FeatureTS != nil {
			extras = true
			break
		}
	}
	e.xCols = resetCols(e.xCols, len(e.xNames))
	e.tCols = resetCols(e.tCols, len(e.tNames))

	prev := recs[0].TS
	for i := range recs {
		r := &recs[i]
		e.ts = binary.AppendVarint(e.ts, r.TS-prev)
		prev = r.TS
		var fl byte
		switch r.Role {
		case predlog.RoleShadow:
			fl = 1
		case predlog.RoleCanary:
			fl = 2
		case predlog.RoleProduction:
		default:
			return nil, fmt.Errorf("record %d: unknown role %q", i, r.Role)
		}
		if r.Status == predlog.StatusError {
			fl |= 4
		}
		if r.Injected {
			fl |= 8
		}
		if r.Prediction.Scores != nil {
			fl |= 16
		}
		if r.Explanations != nil {
			fl |= flagExplanations
		}
		if r.FeatureTS != nil {
			fl |= flagFeatureTS
		}
		e.flags = append(e.flags, fl)
		if extras {
			for j, name := range e.xNames {
				v := predlog.Value{}
				for _, x := range r.Explanations {
					if x.Name == name {
						v = x.Value
						break
					}
				}
				e.xCols[j].add(v)
			}
			// Feature times are kept as their age at prediction time
			// (small varints), not as absolute milliseconds.
			for j, name := range e.tNames {
				v := predlog.Value{}
				for _, x := range r.FeatureTS {
					if x.Name == name {
						v = predlog.Number(r.TS-x.TS, 0)
						break
					}
				}
				e.tCols[j].add(v)
			}
		}
		e.idLens = binary.AppendUvarint(e.idLens, uint64(len(r.RequestID)))
		e.idBytes = append(e.idBytes, r.RequestID...)
		e.latency.add(r.LatencyMS)
		if r.Prediction.Scores != nil {
			e.scoreN = binary.AppendUvarint(e.scoreN, uint64(len(r.Prediction.Scores)))
			for _, s := range r.Prediction.Scores {
				e.classes.add(predlog.String(s.Class))
				e.pred.add(s.Value)
			}
		} else {
			e.pred.add(r.Prediction.Value)
		}
		// Features are written column by column in block order; a record
		// lacking one gets an absent tag.
		fs := r.Features
		if len(fs) == len(cols) && sameOrder(fs, e.names) {
			for j := range fs {
				cols[j].add(fs[j].Value)
			}
			continue
		}
		for j, name := range e.names {
			cols[j].add(r.Feature(name))
		}
	}

	appendNames := func(hdr []byte, names []string) []byte {
		hdr = binary.AppendUvarint(hdr, uint64(len(names)))
		for _, n := range names {
			hdr = binary.AppendUvarint(hdr, uint64(len(n)))
			hdr = append(hdr, n...)
		}
		return hdr
	}
	if extras {
		hdr = append(hdr, blockFormatExtras)
	} else {
		hdr = append(hdr, blockFormat)
	}
	hdr = binary.AppendUvarint(hdr, uint64(len(recs)))
	hdr = appendNames(hdr, e.names)
	if extras {
		hdr = appendNames(hdr, e.xNames)
		hdr = appendNames(hdr, e.tNames)
	}

	p := e.payload[:0]
	for _, s := range [][]byte{e.ts, e.flags, e.idLens, e.idBytes, e.scoreN} {
		p = appendStream(p, s)
	}
	p = e.latency.appendTo(p)
	p = e.pred.appendTo(p)
	p = e.classes.appendTo(p)
	for i := range cols {
		p = cols[i].appendTo(p)
	}
	if extras {
		for i := range e.xNames {
			p = e.xCols[i].appendTo(p)
		}
		for i := range e.tNames {
			p = e.tCols[i].appendTo(p)
		}
	}
	e.payload = p
	return hdr, nil
}

func sameOrder(fs []predlog.Feature, names []string) bool {
	for i := range fs {
		if fs[i].Name != names[i] {
			return false
		}
	}
	return true
}

var errCorrupt = errors.New("corrupt prediction-log block")

// blockHeader is the uncompressed prefix of a block value.
type blockHeader struct {
	n        int
	features []string
	// explanations and featureTS name the extra columns of a format-2
	// block (nil in format 1).
	explanations, featureTS []string
}

func decodeHeader(v []byte) (blockHeader, []byte, error) {
	var h blockHeader
	if len(v) == 0 || (v[0] != blockFormat && v[0] != blockFormatExtras) {
		return h, nil, fmt.Errorf("%w: unknown format", errCorrupt)
	}
	r := reader{b: v[1:]}
	// Compare before converting: a huge uvarint turns negative as an int.
	n := r.uvarint()
	if r.err != nil || n > 1<<24 {
		return h, nil, fmt.Errorf("%w: bad header", errCorrupt)
	}
	h.n = int(n)
	names := func() []string {
		nf := r.uvarint()
		if r.err != nil || nf > uint64(len(r.b)) {
			r.fail()
			return nil
		}
		out := make([]string, nf)
		for i := range out {
			out[i] = string(r.bytes(int(r.uvarint())))
		}
		return out
	}
	h.features = names()
	if v[0] == blockFormatExtras {
		h.explanations = names()
		h.featureTS = names()
	}
	if r.err != nil {
		return h, nil, fmt.Errorf("%w: bad header", errCorrupt)
	}
	return h, r.b, nil
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.fail()
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errCorrupt
	}
	r.b = nil
}

func (r *reader) stream() reader { return reader{b: r.bytes(int(r.uvarint()))} }

// colReader reads one value column.
type colReader struct {
	tags, mants, exps, floats, strs reader
	dict                            []string
}

func (r *reader) column() colReader {
	return colReader{tags: r.stream(), mants: r.stream(), exps: r.stream(), floats: r.stream(), strs: r.stream()}
}

func (c *colReader) next() (predlog.Value, error) {
	var v predlog.Value
	switch c.tags.byte() {
	case tagAbsent:
	case tagNull:
		v = predlog.Null
	case tagDecimal:
		m := c.mants.varint()
		e := c.exps.varint()
		if e < math.MinInt16 || e > math.MaxInt16 {
			return v, errCorrupt
		}
		v = predlog.Number(m, int16(e))
	case tagFloat:
		b := c.floats.bytes(8)
		if b != nil {
			v = predlog.Value{Kind: predlog.KindNumber, Num: math.Float64frombits(binary.LittleEndian.Uint64(b))}
		}
	case tagString:
		code := c.strs.uvarint()
		switch {
		case code < uint64(len(c.dict)):
			v = predlog.String(c.dict[code])
		case code == uint64(len(c.dict)):
			s := string(c.strs.bytes(int(c.strs.uvarint())))
			c.dict = append(c.dict, s)
			v = predlog.String(s)
		default:
			return v, errCorrupt
		}
	case tagFalse:
		v = predlog.Bool(false)
	case tagTrue:
		v = predlog.Bool(true)
	default:
		return v, errCorrupt
	}
	if c.tags.err != nil || c.mants.err != nil || c.exps.err != nil || c.floats.err != nil || c.strs.err != nil {
		return v, errCorrupt
	}
	return v, nil
}

// decodeBlock decodes the uncompressed columns of a block into records.
func decodeBlock(model, version string, h blockHeader, minTS int64, payload []byte) ([]predlog.Record, error) {
	r := reader{b: payload}
	ts, flags, idLens, idBytes, scoreN := r.stream(), r.stream(), r.stream(), r.stream(), r.stream()
	lat, pred, classes := r.column(), r.column(), r.column()
	cols := make([]colReader, len(h.features))
	for i := range cols {
		cols[i] = r.column()
	}
	xCols := make([]colReader, len(h.explanations))
	for i := range xCols {
		xCols[i] = r.column()
	}
	tCols := make([]colReader, len(h.featureTS))
	for i := range tCols {
		tCols[i] = r.column()
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: truncated columns", errCorrupt)
	}
	if h.n > len(flags.b) {
		return nil, fmt.Errorf("%w: record count", errCorrupt)
	}
	recs := make([]predlog.Record, h.n)
	arena := make([]predlog.Feature, 0, h.n*len(cols))
	t := minTS
	var err error
	for i := range recs {
		rec := &recs[i]
		rec.Model, rec.Version = model, version
		t += ts.varint()
		rec.TS = t
		fl := flags.byte()
		if fl&3 > 2 {
			return nil, fmt.Errorf("%w: role", errCorrupt)
		}
		rec.Role = roles[fl&3]
		rec.Status = predlog.StatusOK
		if fl&4 != 0 {
			rec.Status = predlog.StatusError
		}
		rec.Injected = fl&8 != 0
		rec.RequestID = string(idBytes.bytes(int(idLens.uvarint())))
		if rec.LatencyMS, err = lat.next(); err != nil {
			return nil, err
		}
		if fl&16 != 0 {
			n := scoreN.uvarint()
			if n > uint64(len(pred.tags.b)) {
				return nil, fmt.Errorf("%w: score count", errCorrupt)
			}
			rec.Prediction.Scores = make([]predlog.Score, n)
			for j := range rec.Prediction.Scores {
				c, err := classes.next()
				if err != nil {
					return nil, err
				}
				v, err := pred.next()
				if err != nil {
					return nil, err
				}
				rec.Prediction.Scores[j] = predlog.Score{Class: c.Str, Value: v}
			}
		} else if rec.Prediction.Value, err = pred.next(); err != nil {
			return nil, err
		}
		start := len(arena)
		for j := range cols {
			v, err := cols[j].next()
			if err != nil {
				return nil, err
			}
			if v.Kind != predlog.KindAbsent {
				arena = append(arena, predlog.Feature{Name: h.features[j], Value: v})
			}
		}
		rec.Features = arena[start:len(arena):len(arena)]
		if err := decodeExtras(rec, fl, h, xCols, tCols); err != nil {
			return nil, err
		}
		if ts.err != nil || flags.err != nil || idLens.err != nil || idBytes.err != nil || scoreN.err != nil {
			return nil, fmt.Errorf("%w: record %d", errCorrupt, i)
		}
	}
	return recs, nil
}

// decodeExtras reads one record's explanation and feature-time cells of a
// format-2 block (a format-1 block has no such columns).
func decodeExtras(rec *predlog.Record, fl byte, h blockHeader, xCols, tCols []colReader) error {
	if fl&flagExplanations != 0 {
		rec.Explanations = []predlog.Feature{}
	}
	for j := range xCols {
		v, err := xCols[j].next()
		if err != nil {
			return err
		}
		if v.Kind == predlog.KindNumber && rec.Explanations != nil {
			rec.Explanations = append(rec.Explanations, predlog.Feature{Name: h.explanations[j], Value: v})
		}
	}
	if fl&flagFeatureTS != 0 {
		rec.FeatureTS = []predlog.FeatureTime{}
	}
	for j := range tCols {
		v, err := tCols[j].next()
		if err != nil {
			return err
		}
		if v.Kind == predlog.KindNumber && rec.FeatureTS != nil {
			rec.FeatureTS = append(rec.FeatureTS, predlog.FeatureTime{Name: h.featureTS[j], TS: rec.TS - int64(v.Num)})
		}
	}
	return nil
}
