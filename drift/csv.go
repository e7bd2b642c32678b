package drift

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"unsafe"
)

// DType is the type pandas.read_csv would give a column; it decides whether a
// column is numerical and how its values are spelled when it is compared as
// a categorical column (int 1 → "1", float 1 → "1.0").
type DType uint8

const (
	// DTypeInt: every cell is an integer and none is missing.
	DTypeInt DType = iota
	// DTypeFloat: every present cell is a number.
	DTypeFloat
	// DTypeBool: every cell is True/False (any case pandas accepts), none missing.
	DTypeBool
	// DTypeObject: anything else; values are kept as the text in the file.
	DTypeObject
)

func (t DType) String() string {
	switch t {
	case DTypeInt:
		return "int"
	case DTypeFloat:
		return "float"
	case DTypeBool:
		return "bool"
	default:
		return "object"
	}
}

// Column is one column of a Frame with its missing cells removed.
type Column struct {
	Name    string
	DType   DType
	Missing int
	// Values holds the present values of an int, float or bool column, in
	// file order (bool: 1 for true, 0 for false).
	Values []float64
	// Labels and Codes hold an object column: Labels are the distinct texts
	// in order of first appearance, Codes one index into Labels per present
	// cell, in file order.
	Labels []string
	Codes  []uint32
}

// Len is the number of present values.
func (c *Column) Len() int {
	if c.DType == DTypeObject {
		return len(c.Codes)
	}
	return len(c.Values)
}

// Frame is a parsed CSV file.
type Frame struct {
	// Rows counts the data rows, missing cells included.
	Rows    int
	Columns []*Column
}

// Column returns the column called name, or nil.
func (f *Frame) Column(name string) *Column {
	for _, c := range f.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ReadCSVFile reads and parses a CSV file; see ParseCSV. Malformed content
// is an *InputError.
func ReadCSVFile(path string) (*Frame, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	f, err := ParseCSV(data)
	if err != nil {
		return nil, &InputError{Msg: fmt.Sprintf("parse %s: %v", path, err)}
	}
	return f, nil
}

// ErrNoHeader is returned for a CSV input without a header row.
var ErrNoHeader = errors.New("no header row")

// ParseCSV parses comma-separated data with a header row the way
// pandas.read_csv does with its defaults, as far as drift needs: RFC 4180
// quoting, blank lines skipped, short rows padded with missing cells, the
// pandas default NA spellings ("", "NA", "NaN", "null", ...) read as
// missing, duplicate header names suffixed ".1", ".2", and a column typed
// int, float, bool or object from all its cells. data is not retained.
func ParseCSV(data []byte) (*Frame, error) { return parseCSV(data, true) }

// parseCSV is ParseCSV; fast=false forces the general record path, so
// tests can check the fused fast path against it.
func parseCSV(data []byte, fast bool) (*Frame, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	sc := csvScanner{data: data}
	header, err := sc.record(nil)
	if err != nil {
		return nil, err
	}
	if header == nil {
		return nil, ErrNoHeader
	}
	f := &Frame{Columns: make([]*Column, len(header))}
	seen := make(map[string]int, len(header))
	for i, h := range header {
		name := string(h)
		if name == "" {
			name = "Unnamed: " + strconv.Itoa(i)
		}
		if k, dup := seen[name]; dup {
			for {
				cand := name + "." + strconv.Itoa(k)
				k++
				if _, taken := seen[cand]; !taken {
					seen[name] = k
					name = cand
					break
				}
			}
		}
		seen[name] = 1
		f.Columns[i] = &Column{Name: name}
	}
	bodyStart := sc.pos
	bodyLine := sc.line

	// First pass: everything is assumed numeric; a column leaves that state
	// at its first cell that is neither missing nor a number.
	states := make([]numState, len(header))
	for i := range states {
		states[i] = numState{isInt: true, isBool: true}
	}
	// Rows are at most the newlines left; sizing the columns up front saves
	// the copies of append growth on large files.
	estRows := bytes.Count(data[bodyStart:], []byte{'\n'}) + 1
	for _, c := range f.Columns {
		c.Values = make([]float64, 0, estRows)
	}
	cols := f.Columns
	// cell files one present or missing cell; plain reports that the
	// scanner already parsed b as a plain decimal (v, isInt).
	cell := func(i int, b []byte, v float64, isInt, plain bool) {
		c, st := cols[i], &states[i]
		if len(b) == 0 {
			c.Missing++
			return
		}
		if !st.object {
			if !plain {
				v, isInt, plain = parseNumber(b)
			}
			// No NA spelling parses as a number, so numbers skip the NA check.
			if plain {
				c.Values = append(c.Values, v)
				st.isInt = st.isInt && isInt
				st.isBool = false
				return
			}
		}
		if isNA(b) {
			c.Missing++
			return
		}
		if st.object {
			return
		}
		if st.isBool && len(c.Values) == st.bools {
			if bv, ok := parseBool(b); ok {
				c.Values = append(c.Values, bv)
				st.bools++
				st.isInt = false
				return
			}
		}
		st.object = true
		c.Values = nil
	}
	var fields [][]byte
	for sc.pos < len(data) {
		// Fast path: a record without quotes is split and its plain decimals
		// parsed in one pass over its bytes.
		pos := sc.pos
		if ch := data[pos]; fast && ch != '\n' && ch != '\r' {
			lineEnd := bytes.IndexByte(data[pos:], '\n')
			if lineEnd < 0 {
				lineEnd = len(data) - pos
			}
			if bytes.IndexByte(data[pos:pos+lineEnd], '"') < 0 {
				sc.line++
				f.Rows++
				col := 0
				for {
					end, v, isInt, plain := scanPlainField(data, pos)
					if col >= len(cols) {
						return nil, fmt.Errorf("line %d: expected %d fields, saw %d", sc.line, len(cols), col+1+countFields(data[end:]))
					}
					cell(col, data[pos:end], v, isInt, plain)
					col++
					pos = end
					if pos < len(data) && data[pos] == ',' {
						pos++
						continue
					}
					if pos < len(data) && data[pos] == '\r' && pos+1 < len(data) && data[pos+1] == '\n' {
						pos++
					}
					if pos < len(data) {
						pos++
					}
					break
				}
				for ; col < len(cols); col++ {
					cell(col, nil, 0, false, false)
				}
				sc.pos = pos
				continue
			}
		}
		fields, err = sc.record(fields[:0])
		if err != nil {
			return nil, err
		}
		if fields == nil {
			break
		}
		if len(fields) > len(header) {
			return nil, fmt.Errorf("line %d: expected %d fields, saw %d", sc.line, len(header), len(fields))
		}
		f.Rows++
		for i := range cols {
			var b []byte
			if i < len(fields) {
				b = fields[i]
			}
			cell(i, b, 0, false, false)
		}
	}
	var objects []int
	for i, c := range f.Columns {
		st := states[i]
		switch {
		case st.object:
			c.DType = DTypeObject
			objects = append(objects, i)
		case st.bools > 0 && st.bools == len(c.Values) && c.Missing == 0:
			c.DType = DTypeBool
		case st.bools > 0:
			// True/False mixed with numbers or missing cells: pandas keeps text.
			c.DType = DTypeObject
			c.Values = nil
			objects = append(objects, i)
		case st.isInt && c.Missing == 0 && len(c.Values) > 0:
			c.DType = DTypeInt
		default:
			c.DType = DTypeFloat
		}
	}
	if len(objects) == 0 {
		return f, nil
	}

	// Second pass, only for object columns: dictionary-encode the text.
	sc = csvScanner{data: data, pos: bodyStart, line: bodyLine}
	dicts := make([]map[string]uint32, len(objects))
	for k := range dicts {
		dicts[k] = make(map[string]uint32)
	}
	for {
		fields, err = sc.record(fields[:0])
		if err != nil {
			return nil, err
		}
		if fields == nil {
			break
		}
		for k, i := range objects {
			if i >= len(fields) || isNA(fields[i]) {
				continue
			}
			c := f.Columns[i]
			code, ok := dicts[k][string(fields[i])]
			if !ok {
				code = uint32(len(c.Labels))
				label := string(fields[i])
				c.Labels = append(c.Labels, label)
				dicts[k][label] = code
			}
			c.Codes = append(c.Codes, code)
		}
	}
	return f, nil
}

// scanPlainField finds the end of the unquoted field at pos (the next ',',
// '\n', '\r' or the end of data) and, when the field is a plain decimal
// (optional '-', at most 19 digits, optional '.') that parseNumber's exact
// fast path would take, parses it on the way with the same arithmetic.
func scanPlainField(data []byte, pos int) (end int, v float64, isInt, plain bool) {
	i := pos
	neg := false
	if i < len(data) && data[i] == '-' {
		neg = true
		i++
	}
	var mant uint64
	digits, frac := 0, 0
	dot := false
	for ; i < len(data); i++ {
		ch := data[i]
		if ch >= '0' && ch <= '9' {
			digits++
			mant = mant*10 + uint64(ch-'0')
			if dot {
				frac++
			}
			continue
		}
		if ch == '.' && !dot {
			dot = true
			continue
		}
		break
	}
	if i == len(data) || data[i] == ',' || data[i] == '\n' || data[i] == '\r' {
		if digits > 0 && digits <= 19 && mant < 1<<53 && frac <= 22 {
			v = float64(mant)
			if frac > 0 {
				v /= pow10[frac]
			}
			if neg {
				v = -v
			}
			return i, v, !dot && digits <= 18, true
		}
		return i, 0, false, false
	}
	for i < len(data) && data[i] != ',' && data[i] != '\n' && data[i] != '\r' {
		i++
	}
	return i, 0, false, false
}

// countFields counts the fields left on the line that starts at data[0]
// after a ',' (for error messages only).
func countFields(data []byte) int {
	n := 0
	for _, ch := range data {
		if ch == '\n' || ch == '\r' {
			break
		}
		if ch == ',' {
			n++
		}
	}
	return n
}

type numState struct {
	isInt, isBool, object bool
	bools                 int
}

// pandas' default na_values (pandas 1.5, STR_NA_VALUES).
var naValues = map[string]struct{}{
	"": {}, "#N/A": {}, "#N/A N/A": {}, "#NA": {}, "-1.#IND": {}, "-1.#QNAN": {}, "-NaN": {}, "-nan": {},
	"1.#IND": {}, "1.#QNAN": {}, "<NA>": {}, "N/A": {}, "NA": {}, "NULL": {}, "NaN": {}, "n/a": {}, "nan": {}, "null": {},
}

func isNA(b []byte) bool {
	if len(b) > 8 {
		return false
	}
	_, ok := naValues[string(b)]
	return ok
}

func parseBool(b []byte) (float64, bool) {
	switch string(b) {
	case "True", "TRUE", "true":
		return 1, true
	case "False", "FALSE", "false":
		return 0, true
	}
	return 0, false
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseNumber parses a decimal number (optional sign, digits, fraction,
// exponent; surrounding blanks allowed, as pandas allows them) or an
// infinity. isInt reports a plain integer of at most 18 digits. It does not
// allocate: short decimals take an exact fast path (mantissa < 2^53, power of
// ten <= 22, Clinger), everything else goes through strconv.
func parseNumber(b []byte) (v float64, isInt, ok bool) {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return 0, false, false
	}
	i := 0
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i++
	}
	var mant uint64
	digits, sig, exp10 := 0, 0, 0
	dot, expSeen := false, false
	truncated := false
	for ; i < len(b); i++ {
		ch := b[i]
		switch {
		case ch >= '0' && ch <= '9':
			digits++
			if sig < 19 {
				if mant != 0 || ch != '0' {
					sig++
				}
				mant = mant*10 + uint64(ch-'0')
				if dot {
					exp10--
				}
			} else {
				truncated = truncated || ch != '0'
				if !dot {
					exp10++
				}
			}
			continue
		case ch == '.' && !dot:
			dot = true
			continue
		case (ch == 'e' || ch == 'E') && digits > 0:
			expSeen = true
		}
		break
	}
	if digits == 0 {
		return parseInf(b)
	}
	if expSeen {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		start := i
		e := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if e < 100000 {
				e = e*10 + int(b[i]-'0')
			}
		}
		if i == start {
			return 0, false, false
		}
		if eneg {
			e = -e
		}
		exp10 += e
	}
	if i != len(b) {
		return 0, false, false
	}
	isInt = !dot && !expSeen && digits <= 18
	if !truncated && mant < 1<<53 && exp10 >= -22 && exp10 <= 22 {
		v = float64(mant)
		if exp10 < 0 {
			v /= pow10[-exp10]
		} else {
			v *= pow10[exp10]
		}
		if neg {
			v = -v
		}
		return v, isInt, true
	}
	v, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false, false
	}
	return v, isInt, true
}

func parseInf(b []byte) (float64, bool, bool) {
	s := b
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if !bytes.EqualFold(s, []byte("inf")) && !bytes.EqualFold(s, []byte("infinity")) {
		return 0, false, false
	}
	if neg {
		return math.Inf(-1), false, true
	}
	return math.Inf(1), false, true
}

// csvScanner splits RFC 4180 records without copying unquoted fields.
type csvScanner struct {
	data []byte
	pos  int
	line int // line number of the last record returned (1-based)
	buf  []byte
}

// record appends the fields of the next non-blank record to dst. It returns
// nil, nil at the end of the data. The fields alias the data or an internal
// buffer and are valid until the next call.
func (s *csvScanner) record(dst [][]byte) ([][]byte, error) {
	// Skip blank lines.
	for s.pos < len(s.data) && (s.data[s.pos] == '\n' || s.data[s.pos] == '\r') {
		if s.data[s.pos] == '\n' {
			s.line++
		} else if s.pos+1 >= len(s.data) || s.data[s.pos+1] != '\n' {
			s.line++
		}
		s.pos++
	}
	if s.pos >= len(s.data) {
		return nil, nil
	}
	s.line++
	s.buf = s.buf[:0]
	type span struct {
		inBuf      bool
		start, end int
	}
	var spans [64]span
	sp := spans[:0]
	data := s.data
	for {
		if s.pos < len(data) && data[s.pos] == '"' {
			// Quoted field, unescaped into buf; text after the closing quote
			// up to the delimiter is kept, as pandas does.
			start := len(s.buf)
			s.pos++
			for {
				j := bytes.IndexByte(data[s.pos:], '"')
				if j < 0 {
					return nil, fmt.Errorf("line %d: unterminated quoted field", s.line)
				}
				s.line += bytes.Count(data[s.pos:s.pos+j], []byte{'\n'})
				s.buf = append(s.buf, data[s.pos:s.pos+j]...)
				s.pos += j + 1
				if s.pos < len(data) && data[s.pos] == '"' {
					s.buf = append(s.buf, '"')
					s.pos++
					continue
				}
				break
			}
			for s.pos < len(data) && data[s.pos] != ',' && data[s.pos] != '\n' && data[s.pos] != '\r' {
				s.buf = append(s.buf, data[s.pos])
				s.pos++
			}
			sp = append(sp, span{true, start, len(s.buf)})
		} else {
			start := s.pos
			for s.pos < len(data) {
				ch := data[s.pos]
				if ch == ',' || ch == '\n' || ch == '\r' {
					break
				}
				s.pos++
			}
			sp = append(sp, span{false, start, s.pos})
		}
		if s.pos >= len(data) {
			break
		}
		ch := data[s.pos]
		s.pos++
		if ch == ',' {
			continue
		}
		if ch == '\r' && s.pos < len(data) && data[s.pos] == '\n' {
			s.pos++
		}
		break
	}
	for _, x := range sp {
		if x.inBuf {
			dst = append(dst, s.buf[x.start:x.end:x.end])
		} else {
			dst = append(dst, data[x.start:x.end:x.end])
		}
	}
	return dst, nil
}
