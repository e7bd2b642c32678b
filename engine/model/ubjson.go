package model

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// XGBoost's UBJSON model format (.ubj, the default of save_model from 2.0)
// is the JSON model document in Universal Binary JSON (ubjson.org, draft 12):
// big-endian numbers, strings as a length then bytes, and the node arrays as
// strongly typed containers ([$d#L<count> then count float32s). It is
// transcoded here to JSON text, which the JSON loader decodes into the same
// structures, so both formats share one schema and one set of checks.

// maxUBJSONDepth bounds container nesting; XGBoost's document is 6 deep.
const maxUBJSONDepth = 64

// ubjEmitBudget bounds the JSON produced: every element of a container
// consumes at least one input byte (see container), and no one-byte value
// becomes more than a few dozen characters.
func ubjEmitBudget(n int) int { return 24*n + 1024 }

type ubjDecoder struct {
	data  []byte
	off   int
	out   []byte
	limit int
}

func (d *ubjDecoder) fail(at int, format string, args ...any) error {
	return fmt.Errorf("byte %d: %s", at, fmt.Sprintf(format, args...))
}

// ubjSize is the payload size of a fixed-size UBJSON value type.
func ubjSize(t byte) int {
	switch t {
	case 'i', 'U', 'C':
		return 1
	case 'I':
		return 2
	case 'l', 'd':
		return 4
	case 'L', 'D':
		return 8
	case 'Z', 'N', 'T', 'F':
		return 0
	}
	return -1
}

// UBJSONToJSON transcodes a UBJSON document to JSON text. Non-finite floats
// become the NaN/Infinity tokens XGBoost's own JSON writer uses. Errors name
// the byte offset in the UBJSON input.
func UBJSONToJSON(data []byte) ([]byte, error) {
	d := &ubjDecoder{data: data, limit: ubjEmitBudget(len(data))}
	d.out = make([]byte, 0, min(d.limit, 2*len(data)+16))
	if len(data) == 0 {
		return nil, d.fail(0, "empty file")
	}
	t, err := d.marker()
	if err != nil {
		return nil, err
	}
	if err := d.value(t, 0); err != nil {
		return nil, err
	}
	for d.off < len(d.data) && d.data[d.off] == 'N' { // no-op padding
		d.off++
	}
	if d.off != len(d.data) {
		return nil, d.fail(d.off, "%d bytes after the end of the document", len(d.data)-d.off)
	}
	return d.out, nil
}

func (d *ubjDecoder) take(n int, what string) ([]byte, error) {
	if n < 0 || n > len(d.data)-d.off {
		return nil, d.fail(d.off, "%s needs %d bytes, the file has %d left (truncated?)", what, n, len(d.data)-d.off)
	}
	b := d.data[d.off : d.off+n]
	d.off += n
	return b, nil
}

// marker reads a type marker, skipping no-ops.
func (d *ubjDecoder) marker() (byte, error) {
	for {
		b, err := d.take(1, "type marker")
		if err != nil {
			return 0, err
		}
		if b[0] != 'N' {
			return b[0], nil
		}
	}
}

func (d *ubjDecoder) emit(b ...byte) error {
	if len(d.out)+len(b) > d.limit {
		return d.fail(d.off, "document expands beyond %d bytes of JSON (hostile file?)", d.limit)
	}
	d.out = append(d.out, b...)
	return nil
}

func (d *ubjDecoder) emitString(s string) error { return d.emit([]byte(s)...) }

// integer reads an integer of type t (used for lengths and counts too).
func (d *ubjDecoder) integer(t byte) (int64, error) {
	at := d.off
	switch t {
	case 'i', 'U', 'I', 'l', 'L':
	default:
		return 0, d.fail(at-1, "expected an integer type, found marker %q", t)
	}
	b, err := d.take(ubjSize(t), "integer of type "+string(t))
	if err != nil {
		return 0, err
	}
	switch t {
	case 'i':
		return int64(int8(b[0])), nil
	case 'U':
		return int64(b[0]), nil
	case 'I':
		return int64(int16(binary.BigEndian.Uint16(b))), nil
	case 'l':
		return int64(int32(binary.BigEndian.Uint32(b))), nil
	default:
		return int64(binary.BigEndian.Uint64(b)), nil
	}
}

// length reads a length or count: an integer marker and its value, which
// must be non-negative and, with elemSize bytes per element, fit in what is
// left of the file.
func (d *ubjDecoder) length(what string, elemSize int) (int, error) {
	at := d.off
	t, err := d.take(1, what)
	if err != nil {
		return 0, err
	}
	n, err := d.integer(t[0])
	if err != nil {
		return 0, err
	}
	left := len(d.data) - d.off
	if n < 0 || n > int64(left/max(elemSize, 1)) {
		return 0, d.fail(at, "%s %d does not fit in the %d bytes left", what, n, left)
	}
	return int(n), nil
}

func (d *ubjDecoder) float(f float64, bits int) error {
	switch {
	case math.IsNaN(f):
		return d.emitString("NaN")
	case math.IsInf(f, 1):
		return d.emitString("Infinity")
	case math.IsInf(f, -1):
		return d.emitString("-Infinity")
	}
	return d.emit(strconv.AppendFloat(nil, f, 'g', -1, bits)...)
}

func (d *ubjDecoder) str(n int) error {
	b, err := d.take(n, "string")
	if err != nil {
		return err
	}
	return d.emit(appendJSONString(nil, b)...)
}

// appendJSONString quotes s as a JSON string. Bytes that are not valid
// UTF-8 pass through; encoding/json replaces them when it decodes.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// value transcodes one value whose marker t was just read.
func (d *ubjDecoder) value(t byte, depth int) error {
	at := d.off - 1
	switch t {
	case 'Z':
		return d.emitString("null")
	case 'T':
		return d.emitString("true")
	case 'F':
		return d.emitString("false")
	case 'i', 'U', 'I', 'l', 'L':
		v, err := d.integer(t)
		if err != nil {
			return err
		}
		return d.emit(strconv.AppendInt(nil, v, 10)...)
	case 'd':
		b, err := d.take(4, "float32")
		if err != nil {
			return err
		}
		return d.float(float64(math.Float32frombits(binary.BigEndian.Uint32(b))), 32)
	case 'D':
		b, err := d.take(8, "float64")
		if err != nil {
			return err
		}
		return d.float(math.Float64frombits(binary.BigEndian.Uint64(b)), 64)
	case 'C':
		b, err := d.take(1, "char")
		if err != nil {
			return err
		}
		return d.emit(appendJSONString(nil, b)...)
	case 'S':
		n, err := d.length("string length", 1)
		if err != nil {
			return err
		}
		return d.str(n)
	case 'H':
		n, err := d.length("high-precision number length", 1)
		if err != nil {
			return err
		}
		b, _ := d.take(n, "high-precision number")
		if _, err := strconv.ParseFloat(string(b), 64); err != nil {
			return d.fail(at, "high-precision number %q is not a number", b)
		}
		return d.emit(b...)
	case '[', '{':
		if depth >= maxUBJSONDepth {
			return d.fail(at, "containers nested deeper than %d levels", maxUBJSONDepth)
		}
		return d.container(t == '{', depth+1)
	}
	return d.fail(at, "unknown type marker %q", t)
}

// container transcodes an array or object after its opening marker, in any
// of UBJSON's three forms: open-ended (closed by ] or }), counted (#), or
// strongly typed and counted ($type#count).
func (d *ubjDecoder) container(object bool, depth int) error {
	open, closer := byte('['), byte(']')
	if object {
		open, closer = '{', '}'
	}
	if err := d.emit(open); err != nil {
		return err
	}
	var elemType byte
	count := -1
	if d.off < len(d.data) && d.data[d.off] == '$' {
		d.off++
		b, err := d.take(1, "container element type")
		if err != nil {
			return err
		}
		elemType = b[0]
		if ubjSize(elemType) < 0 && elemType != 'S' && elemType != 'H' && elemType != '[' && elemType != '{' {
			return d.fail(d.off-1, "unknown container element type %q", elemType)
		}
		if d.off >= len(d.data) || d.data[d.off] != '#' {
			return d.fail(d.off, "typed container without a count")
		}
	}
	if d.off < len(d.data) && d.data[d.off] == '#' {
		d.off++
		// Every element (object entry: key) takes at least one byte, so a
		// count beyond the bytes left is a lie; typed fixed-size elements
		// take their size.
		elem := 1
		if s := ubjSize(elemType); s > 0 && !object {
			elem = s
		}
		n, err := d.length("container count", elem)
		if err != nil {
			return err
		}
		count = n
	}
	for i := 0; count < 0 || i < count; i++ {
		if count < 0 {
			if d.off >= len(d.data) {
				return d.fail(d.off, "unterminated %s (truncated?)", map[bool]string{false: "array", true: "object"}[object])
			}
			if d.data[d.off] == 'N' {
				d.off++
				i--
				continue
			}
			if d.data[d.off] == closer {
				d.off++
				break
			}
		}
		if i > 0 {
			if err := d.emit(','); err != nil {
				return err
			}
		}
		if object {
			n, err := d.length("object key length", 1)
			if err != nil {
				return err
			}
			if err := d.str(n); err != nil {
				return err
			}
			if err := d.emit(':'); err != nil {
				return err
			}
		}
		t := elemType
		if t == 0 {
			var err error
			if t, err = d.marker(); err != nil {
				return err
			}
		}
		if err := d.value(t, depth); err != nil {
			return err
		}
	}
	return d.emit(closer)
}

// LoadXGBoostUBJSON parses an XGBoost UBJSON model (.ubj).
func LoadXGBoostUBJSON(data []byte, raw bool) (*XGBoostJSON, error) {
	text, err := UBJSONToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("xgboost ubjson: %w", err)
	}
	spec, err := decodeXGBoostJSON(text)
	if err != nil {
		return nil, fmt.Errorf("xgboost ubjson: %w", err)
	}
	m, err := newXGBoost(spec, raw)
	if err != nil {
		return nil, fmt.Errorf("xgboost ubjson: %w", err)
	}
	return m, nil
}
