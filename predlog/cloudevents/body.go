package cloudevents

import (
	"bytes"
	"strconv"

	"github.com/buger/jsonparser"

	"github.com/mlectl/mlectl/predlog"
)

// rows is one half's batch: for a request, each row is the inside of a
// record's "features" object ("age":39,"sex":"Male"); for a response, a
// record's "prediction" value. Row i is buf[ends[i-1]:ends[i]].
type rows struct {
	buf  []byte
	ends []int
	// failed marks a response that is the server's error ({"error": "…"},
	// as both protocols answer one): its pair's records have status error
	// and no prediction.
	failed bool
}

func (r *rows) len() int { return len(r.ends) }

func (r *rows) row(i int) []byte {
	start := 0
	if i > 0 {
		start = r.ends[i-1]
	}
	return r.buf[start:r.ends[i]]
}

func (r *rows) end() { r.ends = append(r.ends, len(r.buf)) }

// featureNames is how positional values (an instance given as an array, a
// v2 tensor of several columns) get their names: the model's feature_names
// or its baseline's columns, in order. A nil list means none is known; then
// only named values (object instances, one-column tensors) are accepted.
type featureNames struct {
	list  []string
	index map[string]struct{}
}

func newFeatureNames(list []string) *featureNames {
	f := &featureNames{list: list, index: make(map[string]struct{}, len(list))}
	for _, n := range list {
		f.index[n] = struct{}{}
	}
	return f
}

// known reports whether name may be a feature (always, when no list is known).
func (f *featureNames) known(name string) bool {
	if f == nil || len(f.list) == 0 {
		return true
	}
	_, ok := f.index[name]
	return ok
}

// leaf is one scalar of a tensor's data.
type leaf struct {
	raw []byte
	typ jsonparser.ValueType
}

// parser decodes the bodies of one model; it keeps scratch space between
// calls.
type parser struct {
	model string
	names *featureNames
	out   rows
	err   error
	path  []byte
	// v2 scratch
	tensors []tensor
}

type tensor struct {
	name   string
	shape  []int
	leaves []leaf
}

func (p *parser) fail(where string, format string, a ...any) {
	if p.err == nil {
		p.err = bad(where, format, a...)
	}
}

func appendName(dst []byte, name []byte) []byte {
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}

// appendScalar appends a JSON scalar as it was written (strings keep their
// escapes, numbers their digits).
func appendScalar(dst []byte, raw []byte, t jsonparser.ValueType) []byte {
	if t == jsonparser.String {
		dst = append(dst, '"')
		dst = append(dst, raw...)
		return append(dst, '"')
	}
	return append(dst, raw...)
}

func scalar(t jsonparser.ValueType) bool {
	return t == jsonparser.String || t == jsonparser.Number || t == jsonparser.Boolean || t == jsonparser.Null
}

func idx(prefix string, i int) string { return prefix + "[" + strconv.Itoa(i) + "]" }

// request decodes a request body into feature rows.
func (p *parser) request(data []byte) (*rows, error) {
	p.out, p.err = rows{}, nil
	if v, t, _, err := jsonparser.Get(data, "instances"); err == nil {
		if t != jsonparser.Array {
			return nil, bad("instances", "must be an array of instances, not a %s", t)
		}
		i := 0
		_, _ = jsonparser.ArrayEach(v, func(inst []byte, t jsonparser.ValueType, _ int, _ error) {
			if p.err == nil {
				p.instance(idx("instances", i), inst, t)
			}
			i++
		})
	} else if v, t, _, err := jsonparser.Get(data, "inputs"); err == nil {
		if t != jsonparser.Array {
			return nil, bad("inputs", "must be an array of tensors, not a %s", t)
		}
		p.v2("inputs", v, true)
	} else if !p.seldonRequest(data) {
		return nil, bad("instances", `missing: a v1 request has "instances", an Open Inference Protocol v2 request "inputs", a Seldon Core SeldonMessage "data", "jsonData" or "strData"`)
	}
	if p.err != nil {
		return nil, p.err
	}
	if p.out.len() == 0 {
		return nil, bad("instances", "is empty: the request has no instance")
	}
	out := p.out
	return &out, nil
}

// instance appends one v1 instance: an array of positional values, an
// object of named ones, or a lone scalar (a one-feature model).
func (p *parser) instance(path string, v []byte, t jsonparser.ValueType) {
	switch {
	case t == jsonparser.Object:
		n := 0
		err := jsonparser.ObjectEach(v, func(key, val []byte, t jsonparser.ValueType, _ int) error {
			if p.err != nil {
				return nil
			}
			if !p.names.known(string(key)) {
				p.fail(path+"."+string(key), "is not a feature of model %q (its features: %v)", p.model, p.names.list)
				return nil
			}
			if !scalar(t) {
				p.fail(path+"."+string(key), "must be a number, string, boolean or null, not a %s", t)
				return nil
			}
			if n > 0 {
				p.out.buf = append(p.out.buf, ',')
			}
			p.out.buf = appendName(p.out.buf, key)
			p.out.buf = appendScalar(p.out.buf, val, t)
			n++
			return nil
		})
		if err != nil {
			p.fail(path, "is not a valid JSON object: %v", err)
		}
	case t == jsonparser.Array:
		j := 0
		_, _ = jsonparser.ArrayEach(v, func(val []byte, t jsonparser.ValueType, _ int, _ error) {
			if p.err == nil {
				p.positional(path, j, val, t)
			}
			j++
		})
		if p.err == nil && j != p.numNames() {
			p.fail(path, "has %d values but model %q has %d feature names %v", j, p.model, p.numNames(), p.names.list)
		}
	case scalar(t):
		p.positional(path, 0, v, t)
		if p.err == nil && p.numNames() != 1 {
			p.fail(path, "is one value but model %q has %d feature names", p.model, p.numNames())
		}
	default:
		p.fail(path, "must be an array or object of feature values, not a %s", t)
	}
	p.out.end()
}

func (p *parser) numNames() int {
	if p.names == nil {
		return 0
	}
	return len(p.names.list)
}

func (p *parser) positional(path string, j int, val []byte, t jsonparser.ValueType) {
	if p.numNames() == 0 {
		p.fail(path, "is positional but model %q has no feature names (set its feature_names in the collector's cloudevents config, or upload a baseline)", p.model)
		return
	}
	if j >= len(p.names.list) {
		return // counted by the caller
	}
	if !scalar(t) {
		p.fail(idx(path, j), "must be a number, string, boolean or null, not a %s", t)
		return
	}
	if j > 0 {
		p.out.buf = append(p.out.buf, ',')
	}
	p.out.buf = append(p.out.buf, '"')
	p.out.buf = append(p.out.buf, p.names.list[j]...)
	p.out.buf = append(p.out.buf, '"', ':')
	p.out.buf = appendScalar(p.out.buf, val, t)
}

// v2 decodes Open Inference Protocol tensors (inputs or outputs): each
// {"name","shape","datatype","data"}, data row-major (flat or nested),
// the batch the first dimension.
func (p *parser) v2(field string, v []byte, request bool) {
	p.tensors = p.tensors[:0]
	k := 0
	_, _ = jsonparser.ArrayEach(v, func(tv []byte, t jsonparser.ValueType, _ int, _ error) {
		if p.err == nil {
			p.tensor(idx(field, k), tv, t)
		}
		k++
	})
	if p.err != nil {
		return
	}
	if len(p.tensors) == 0 {
		p.fail(field, "is empty")
		return
	}
	if !request {
		p.outputs(field)
		return
	}
	batch := p.tensors[0].shape[0]
	for i := range p.tensors {
		if p.tensors[i].shape[0] != batch {
			p.fail(idx(field, i)+".shape", "has batch size %d but %s has %d (the first dimension is the batch)", p.tensors[i].shape[0], idx(field, 0), batch)
			return
		}
	}
	if len(p.tensors) == 1 && len(p.tensors[0].shape) > 1 {
		tn := &p.tensors[0]
		per := len(tn.leaves) / max(batch, 1)
		names := p.names
		if p.numNames() == 0 && per == 1 {
			names = newFeatureNames([]string{tn.name})
		}
		if names == nil || len(names.list) != per {
			n := 0
			if names != nil {
				n = len(names.list)
			}
			p.fail(idx(field, 0)+".shape", "%v gives %d values per row but model %q has %d feature names (set its feature_names in the collector's cloudevents config, or upload a baseline)", tn.shape, per, p.model, n)
			return
		}
		for r := range batch {
			for j := range per {
				if j > 0 {
					p.out.buf = append(p.out.buf, ',')
				}
				p.out.buf = append(p.out.buf, '"')
				p.out.buf = append(p.out.buf, names.list[j]...)
				p.out.buf = append(p.out.buf, '"', ':')
				l := tn.leaves[r*per+j]
				p.out.buf = appendScalar(p.out.buf, l.raw, l.typ)
			}
			p.out.end()
		}
		return
	}
	// Several tensors (or one of rank 1): each is one named column.
	for i := range p.tensors {
		tn := &p.tensors[i]
		if len(tn.leaves) != batch {
			p.fail(idx(field, i)+".shape", "%v: with several inputs each must be one column ([%d] or [%d,1])", tn.shape, batch, batch)
			return
		}
		if !p.names.known(tn.name) {
			p.fail(idx(field, i)+".name", "%q is not a feature of model %q (its features: %v)", tn.name, p.model, p.names.list)
			return
		}
	}
	for r := range batch {
		for i := range p.tensors {
			if i > 0 {
				p.out.buf = append(p.out.buf, ',')
			}
			p.out.buf = append(p.out.buf, '"')
			p.out.buf = append(p.out.buf, p.tensors[i].name...)
			p.out.buf = append(p.out.buf, '"', ':')
			l := p.tensors[i].leaves[r]
			p.out.buf = appendScalar(p.out.buf, l.raw, l.typ)
		}
		p.out.end()
	}
}

// tensor reads one v2 tensor and checks its shape and datatype against its data.
func (p *parser) tensor(path string, v []byte, t jsonparser.ValueType) {
	if t != jsonparser.Object {
		p.fail(path, "must be a tensor object {name, shape, datatype, data}, not a %s", t)
		return
	}
	var tn tensor
	if len(p.tensors) < cap(p.tensors) {
		tn = p.tensors[:len(p.tensors)+1][len(p.tensors)]
		tn.shape, tn.leaves = tn.shape[:0], tn.leaves[:0]
	}
	name, err := jsonparser.GetString(v, "name")
	if err != nil || name == "" {
		p.fail(path+".name", "missing (a tensor is {name, shape, datatype, data})")
		return
	}
	tn.name = name
	var size int
	if tn.shape, size = p.shape(v, path, tn.shape); p.err != nil {
		return
	}
	dtype, err := jsonparser.GetString(v, "datatype")
	if err != nil {
		p.fail(path+".datatype", "missing")
		return
	}
	var want jsonparser.ValueType
	switch dtype {
	case "BOOL":
		want = jsonparser.Boolean
	case "BYTES":
		want = jsonparser.String
	case "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BF16":
		want = jsonparser.Number
	default:
		p.fail(path+".datatype", "%q is not an Open Inference Protocol datatype (BOOL, INT8…INT64, UINT8…UINT64, FP16, FP32, FP64, BYTES)", dtype)
		return
	}
	data, dt, _, err := jsonparser.Get(v, "data")
	if err != nil || dt != jsonparser.Array {
		p.fail(path+".data", "missing or not an array")
		return
	}
	tn.leaves = p.flatten(path+".data", data, want, tn.leaves)
	if p.err != nil {
		return
	}
	if len(tn.leaves) != size {
		if size < 0 {
			p.fail(path+".shape", "%v holds more values than any request may carry; data has %d", tn.shape, len(tn.leaves))
			return
		}
		p.fail(path+".shape", "%v holds %d values but data has %d", tn.shape, size, len(tn.leaves))
		return
	}
	p.tensors = append(p.tensors, tn)
}

// flatten appends data's scalars in row-major order (data may be flat or
// nested as the shape).
func (p *parser) flatten(path string, data []byte, want jsonparser.ValueType, dst []leaf) []leaf {
	i := 0
	_, _ = jsonparser.ArrayEach(data, func(v []byte, t jsonparser.ValueType, _ int, _ error) {
		if p.err != nil {
			return
		}
		switch {
		case t == jsonparser.Array:
			dst = p.flatten(idx(path, i), v, want, dst)
		case t != want:
			p.fail(idx(path, i), "is a %s but the datatype wants a %s", t, want)
		default:
			dst = append(dst, leaf{raw: v, typ: t})
		}
		i++
	})
	return dst
}

// response decodes a response body into prediction values, one per row.
func (p *parser) response(data []byte) (*rows, error) {
	p.out, p.err = rows{}, nil
	if v, t, _, err := jsonparser.Get(data, "predictions"); err == nil {
		if t != jsonparser.Array {
			return nil, bad("predictions", "must be an array, one prediction per instance, not a %s", t)
		}
		i := 0
		_, _ = jsonparser.ArrayEach(v, func(pv []byte, t jsonparser.ValueType, _ int, _ error) {
			if p.err == nil {
				p.prediction(idx("predictions", i), pv, t)
			}
			i++
		})
	} else if v, t, _, err := jsonparser.Get(data, "outputs"); err == nil {
		if t != jsonparser.Array {
			return nil, bad("outputs", "must be an array of tensors, not a %s", t)
		}
		p.v2("outputs", v, false)
	} else if _, t, _, err := jsonparser.Get(data, "error"); err == nil && t == jsonparser.String {
		return &rows{failed: true}, nil
	} else if failed, ok := p.seldonResponse(data); failed {
		return &rows{failed: true}, nil
	} else if !ok {
		return nil, bad("predictions", `missing: a v1 response has "predictions", an Open Inference Protocol v2 response "outputs", a Seldon Core SeldonMessage "data", "jsonData" or "strData", a failed one "error"`)
	}
	if p.err != nil {
		return nil, p.err
	}
	out := p.out
	return &out, nil
}

// prediction appends one v1 prediction: a scalar (score, label, class),
// an array of class scores (classes named by index) or an object of them.
func (p *parser) prediction(path string, v []byte, t jsonparser.ValueType) {
	switch {
	case scalar(t):
		p.out.buf = appendScalar(p.out.buf, v, t)
	case t == jsonparser.Object:
		p.out.buf = append(p.out.buf, v...) // the decoder checks the scores
	case t == jsonparser.Array:
		p.out.buf = append(p.out.buf, '{')
		j := 0
		_, _ = jsonparser.ArrayEach(v, func(sv []byte, st jsonparser.ValueType, _ int, _ error) {
			if st != jsonparser.Number {
				p.fail(idx(path, j), "must be a class score (a number), not a %s", st)
			}
			if j > 0 {
				p.out.buf = append(p.out.buf, ',')
			}
			p.out.buf = appendName(p.out.buf, strconv.AppendInt(nil, int64(j), 10))
			p.out.buf = append(p.out.buf, sv...)
			j++
		})
		p.out.buf = append(p.out.buf, '}')
	default:
		p.fail(path, "must be a value, an array of class scores or an object of them, not a %s", t)
	}
	p.out.end()
}

// outputs turns the first output tensor into one prediction per row: its
// value when a row has one, else class scores named by index.
func (p *parser) outputs(field string) {
	tn := &p.tensors[0]
	batch := tn.shape[0]
	if batch == 0 {
		return
	}
	per := len(tn.leaves) / batch
	for r := range batch {
		if per == 1 {
			l := tn.leaves[r]
			p.out.buf = appendScalar(p.out.buf, l.raw, l.typ)
			p.out.end()
			continue
		}
		p.out.buf = append(p.out.buf, '{')
		for j := range per {
			l := tn.leaves[r*per+j]
			if l.typ != jsonparser.Number {
				p.fail(idx(field, 0)+".data", "has %d values per row: class scores must be numbers", per)
				return
			}
			if j > 0 {
				p.out.buf = append(p.out.buf, ',')
			}
			p.out.buf = appendName(p.out.buf, strconv.AppendInt(nil, int64(j), 10))
			p.out.buf = append(p.out.buf, l.raw...)
		}
		p.out.buf = append(p.out.buf, '}')
		p.out.end()
	}
}

// record writes the NDJSON line of one joined row and decodes it as the
// NDJSON endpoint would.
func appendLine(dst []byte, model, version, role, requestID string, ts int64, latencyMS float64, features, prediction []byte) []byte {
	dst = append(dst, `{"model":`...)
	dst = predlog.AppendQuoted(dst, model)
	dst = append(dst, `,"version":`...)
	dst = predlog.AppendQuoted(dst, version)
	dst = append(dst, `,"role":`...)
	dst = predlog.AppendQuoted(dst, role)
	dst = append(dst, `,"request_id":`...)
	dst = predlog.AppendQuoted(dst, requestID)
	dst = append(dst, `,"ts":`...)
	dst = strconv.AppendInt(dst, ts, 10)
	if latencyMS >= 0 {
		dst = append(dst, `,"latency_ms":`...)
		dst = strconv.AppendFloat(dst, latencyMS, 'f', -1, 64)
	}
	dst = append(dst, `,"features":{`...)
	dst = append(dst, features...)
	if prediction == nil {
		return append(dst, `},"status":"error"}`...)
	}
	dst = append(dst, `},"prediction":`...)
	dst = append(dst, bytes.TrimSpace(prediction)...)
	return append(dst, `,"status":"ok"}`...)
}

// shape reads the "shape" array of the tensor object v at path into dst:
// the dimensions, and the number of values they hold (-1 when more than
// any body within the size limit could carry). It fails p on a missing,
// malformed or empty shape (the first dimension is the batch size).
func (p *parser) shape(v []byte, path string, dst []int) ([]int, int) {
	sv, st, _, err := jsonparser.Get(v, "shape")
	if err != nil || st != jsonparser.Array {
		p.fail(path+".shape", "missing or not an array of sizes")
		return dst, 0
	}
	size := 1
	d := 0
	_, _ = jsonparser.ArrayEach(sv, func(dv []byte, dt jsonparser.ValueType, _ int, _ error) {
		n, err := strconv.Atoi(string(dv))
		if p.err == nil && (dt != jsonparser.Number || err != nil || n < 0) {
			p.fail(idx(path+".shape", d), "must be a size (a whole number ≥ 0), not %s", dv)
		}
		dst = append(dst, n)
		switch {
		case size < 0:
		case n > 0 && size > (1<<40)/n:
			size = -1 // more values than any body within the limit holds
		default:
			size *= n
		}
		d++
	})
	if p.err == nil && len(dst) == 0 {
		p.fail(path+".shape", "is empty: the first dimension is the batch size")
	}
	return dst, size
}
