package cloudevents

import (
	"strconv"

	"github.com/buger/jsonparser"
)

// Seldon Core v1's own payload (SeldonMessage, as its executor's request
// logger sends it; proto/prediction.proto, JSON by protobuf's mapping):
//
//	{"data":{"names":[…],"ndarray":[[…],…]}}          rows of values, or a 1-D list of one-value rows
//	{"data":{"names":[…],"tensor":{"shape":[…],"values":[…]}}}   row-major, shape[0] the batch
//	{"jsonData":…}                                     one instance of any JSON
//	{"strData":"…"}                                    one text value
//	{"binData":"…"}                                    bytes: refused, no features in them
//
// A request's rows are named by data.names, else by the model's feature
// names (feature_names or its baseline), as a v1 array instance is. A
// response row of one value is the prediction; of several, class scores
// named by data.names (Seldon's "t:0", "t:1", … or the model's class
// names), else by index. A response whose status says FAILURE is a failed
// inference, as KServe's {"error": …} is.

// seldonRequest decodes a SeldonMessage request body; ok is false when the
// body is no SeldonMessage.
func (p *parser) seldonRequest(data []byte) (ok bool) {
	if v, t, _, err := jsonparser.Get(data, "data"); err == nil {
		p.seldonData(v, t, true)
		return true
	}
	if v, t, _, err := jsonparser.Get(data, "jsonData"); err == nil {
		p.instance("jsonData", v, t)
		return true
	}
	if v, t, _, err := jsonparser.Get(data, "strData"); err == nil {
		if t != jsonparser.String {
			p.fail("strData", "must be a string, not a %s", t)
			return true
		}
		if p.numNames() != 1 {
			p.fail("strData", "is one text value but model %q has %d feature names %v (a strData model has exactly one: set feature_names in the collector's cloudevents config)", p.model, p.numNames(), p.featureList())
			return true
		}
		p.positional("strData", 0, v, t)
		p.out.end()
		return true
	}
	if _, _, _, err := jsonparser.Get(data, "binData"); err == nil {
		p.fail("binData", "is binary data (an image or a file): it has no feature values to record; log data.ndarray, data.tensor, jsonData or strData")
		return true
	}
	return false
}

// seldonResponse decodes a SeldonMessage response body; ok is false when
// the body is no SeldonMessage.
func (p *parser) seldonResponse(data []byte) (failed, ok bool) {
	if s, err := jsonparser.GetString(data, "status", "status"); err == nil && s == "FAILURE" {
		return true, true
	}
	if v, t, _, err := jsonparser.Get(data, "data"); err == nil {
		p.seldonData(v, t, false)
		return false, true
	}
	if v, t, _, err := jsonparser.Get(data, "jsonData"); err == nil {
		p.prediction("jsonData", v, t)
		return false, true
	}
	if v, t, _, err := jsonparser.Get(data, "strData"); err == nil {
		if t != jsonparser.String {
			p.fail("strData", "must be a string, not a %s", t)
			return false, true
		}
		p.prediction("strData", v, t)
		return false, true
	}
	if _, _, _, err := jsonparser.Get(data, "binData"); err == nil {
		p.fail("binData", "is binary data (an image or a file): it has no prediction value to record; log data.ndarray, data.tensor, jsonData or strData")
		return false, true
	}
	return false, false
}

func (p *parser) featureList() []string {
	if p.names == nil {
		return nil
	}
	return p.names.list
}

// seldonData decodes a SeldonMessage's data: its rows into p.out, as
// feature rows (request) or predictions (response).
func (p *parser) seldonData(v []byte, t jsonparser.ValueType, request bool) {
	if t != jsonparser.Object {
		p.fail("data", `must be an object {"names", "ndarray" or "tensor"}, not a %s`, t)
		return
	}
	if has(v, "tftensor") {
		p.fail("data.tftensor", "is a TensorFlow TensorProto, which mlectl does not read; log data.ndarray or data.tensor")
		return
	}
	var names [][]byte
	if nv, nt, _, err := jsonparser.Get(v, "names"); err == nil {
		if nt != jsonparser.Array {
			p.fail("data.names", "must be an array of column names, not a %s", nt)
			return
		}
		i := 0
		_, _ = jsonparser.ArrayEach(nv, func(n []byte, t jsonparser.ValueType, _ int, _ error) {
			switch {
			case p.err != nil:
			case t != jsonparser.String:
				p.fail(idx("data.names", i), "must be a column name (a string), not a %s", t)
			case request && !p.names.known(string(n)):
				p.fail(idx("data.names", i), "%q is not a feature of model %q (its features: %v)", n, p.model, p.names.list)
			default:
				names = append(names, n)
			}
			i++
		})
		if p.err != nil {
			return
		}
	}
	// The columns of a request row: data.names, else the model's names.
	var cols [][]byte
	colsFrom := "data.names"
	if request {
		cols = names
		if len(cols) == 0 {
			for _, n := range p.featureList() {
				cols = append(cols, []byte(n))
			}
			colsFrom = "model " + strconv.Quote(p.model) + "'s feature names"
		}
		if len(cols) == 0 {
			p.fail("data.names", "missing, and model %q has no feature names to name the columns (set its feature_names in the collector's cloudevents config, or upload a baseline)", p.model)
			return
		}
	}
	// row emits one row of leaves.
	row := func(path string, leaves []leaf) {
		if request {
			if len(leaves) != len(cols) {
				p.fail(path, "has %d values but %s has %d", len(leaves), colsFrom, len(cols))
				return
			}
			for j, l := range leaves {
				if j > 0 {
					p.out.buf = append(p.out.buf, ',')
				}
				p.out.buf = appendName(p.out.buf, cols[j])
				p.out.buf = appendScalar(p.out.buf, l.raw, l.typ)
			}
			p.out.end()
			return
		}
		if len(leaves) == 1 {
			p.out.buf = appendScalar(p.out.buf, leaves[0].raw, leaves[0].typ)
			p.out.end()
			return
		}
		if len(names) > 0 && len(names) != len(leaves) {
			p.fail("data.names", "has %d names but %s has %d values", len(names), path, len(leaves))
			return
		}
		p.out.buf = append(p.out.buf, '{')
		for j, l := range leaves {
			if l.typ != jsonparser.Number {
				p.fail(idx(path, j), "must be a class score (a number), not a %s", l.typ)
				return
			}
			if j > 0 {
				p.out.buf = append(p.out.buf, ',')
			}
			if len(names) > 0 {
				p.out.buf = appendName(p.out.buf, names[j])
			} else {
				p.out.buf = appendName(p.out.buf, strconv.AppendInt(nil, int64(j), 10))
			}
			p.out.buf = append(p.out.buf, l.raw...)
		}
		p.out.buf = append(p.out.buf, '}')
		p.out.end()
	}

	switch {
	case has(v, "ndarray"):
		p.seldonNDArray(v, row)
	case has(v, "tensor"):
		p.seldonTensor(v, row)
	default:
		p.fail("data", `has neither "ndarray" nor "tensor"`)
	}
}

func has(v []byte, key string) bool {
	_, _, _, err := jsonparser.Get(v, key)
	return err == nil
}

// seldonNDArray walks data.ndarray: an array of rows (arrays of values),
// or of values, each then a row of one value (Seldon's request logger
// reads a 1-D ndarray as a batch the same way).
func (p *parser) seldonNDArray(v []byte, row func(string, []leaf)) {
	const path = "data.ndarray"
	nd, t, _, _ := jsonparser.Get(v, "ndarray")
	if t != jsonparser.Array {
		p.fail(path, "must be an array (one element per row), not a %s", t)
		return
	}
	rank := 0
	i := 0
	var leaves []leaf
	_, _ = jsonparser.ArrayEach(nd, func(el []byte, et jsonparser.ValueType, _ int, _ error) {
		defer func() { i++ }()
		if p.err != nil {
			return
		}
		rowPath := idx(path, i)
		switch {
		case et == jsonparser.Array:
			if rank == 1 {
				p.fail(rowPath, "is a row but %s is a value: rows and values cannot mix", idx(path, 0))
				return
			}
			rank = 2
			leaves = leaves[:0]
			j := 0
			_, _ = jsonparser.ArrayEach(el, func(x []byte, xt jsonparser.ValueType, _ int, _ error) {
				if p.err == nil && !scalar(xt) {
					p.fail(idx(rowPath, j), "must be a number, string, boolean or null, not a %s", xt)
				}
				leaves = append(leaves, leaf{raw: x, typ: xt})
				j++
			})
			if p.err == nil {
				row(rowPath, leaves)
			}
		case scalar(et):
			if rank == 2 {
				p.fail(rowPath, "is a value but %s is a row: rows and values cannot mix", idx(path, 0))
				return
			}
			rank = 1
			row(rowPath, []leaf{{raw: el, typ: et}})
		default:
			p.fail(rowPath, "must be a row (an array of values) or a value, not a %s", et)
		}
	})
	if p.err == nil && i == 0 {
		p.fail(path, "is empty")
	}
}

// seldonTensor walks data.tensor {"shape":[batch, …], "values":[…]}: the
// values row-major, each row the product of the other dimensions.
func (p *parser) seldonTensor(v []byte, row func(string, []leaf)) {
	const path = "data.tensor"
	tv, t, _, _ := jsonparser.Get(v, "tensor")
	if t != jsonparser.Object {
		p.fail(path, `must be an object {"shape", "values"}, not a %s`, t)
		return
	}
	shape, size := p.shape(tv, path, nil)
	if p.err != nil {
		return
	}
	vv, vt, _, err := jsonparser.Get(tv, "values")
	if err != nil || vt != jsonparser.Array {
		p.fail(path+".values", "missing or not an array of numbers")
		return
	}
	var leaves []leaf
	i := 0
	_, _ = jsonparser.ArrayEach(vv, func(x []byte, xt jsonparser.ValueType, _ int, _ error) {
		if p.err == nil && xt != jsonparser.Number {
			p.fail(idx(path+".values", i), "must be a number (a tensor holds doubles), not a %s", xt)
		}
		leaves = append(leaves, leaf{raw: x, typ: xt})
		i++
	})
	if p.err != nil {
		return
	}
	if size < 0 || len(leaves) != size {
		p.fail(path+".shape", "%v holds %d values but values has %d", shape, size, len(leaves))
		return
	}
	batch := shape[0]
	if batch == 0 {
		p.fail(path+".shape", "%v has no rows", shape)
		return
	}
	per := size / batch
	for r := range batch {
		row(idx(path+".values", r*per), leaves[r*per:(r+1)*per])
		if p.err != nil {
			return
		}
	}
}
