package predlog

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// FieldError is why one line was rejected; Field is the JSON path
// ("latency_ms", "features.amount") or "" when the line is not a JSON object.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Limits of one record, enforced by the decoder.
const (
	MaxNameBytes     = 256  // model, version, role, status, feature and class names
	MaxStringBytes   = 4096 // request ids and string values
	MaxFeatures      = 1024
	MaxScores        = 1024
	maxNestingToSkip = 64
)

// Decoder parses NDJSON lines into Records. It interns the short strings it
// sees (names, categories), so a stream of similar records allocates little.
// A Decoder is not safe for concurrent use; its zero value is not usable, see
// NewDecoder.
type Decoder struct {
	// Now supplies the timestamp of a record sent without "ts".
	Now func() time.Time

	intern map[string]string
	feats  []Feature // the record being parsed
	chunk  []Feature // arena the records' Features slices are cut from
	// lastNames are the feature names of the previous record by position:
	// records of one model repeat them, and a byte compare is cheaper than
	// a map lookup.
	lastNames []string
	scratch   []byte
	// p and i are the line being parsed and the read position.
	p []byte
	i int
}

// NewDecoder returns a decoder; now may be nil (time.Now).
func NewDecoder(now func() time.Time) *Decoder {
	if now == nil {
		now = time.Now
	}
	return &Decoder{Now: now, intern: make(map[string]string, 256)}
}

const maxInterned = 1 << 16

func (d *Decoder) str(b []byte) string {
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.intern) < maxInterned && len(b) <= MaxNameBytes {
		d.intern[s] = s
	}
	return s
}

func fieldErr(field, format string, a ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

var errSyntax = errors.New("syntax")

// Recycle lets the decoder reuse the memory behind the Features of every
// record it decoded so far: call it only once none of those records is used
// any more (a pooled decoder between requests).
func (d *Decoder) Recycle() {
	clear(d.chunk)
	d.chunk = d.chunk[:0]
}

const chunkFeatures = 4096

// Decode parses one line (without its newline) into r, overwriting it. A
// returned error is a *FieldError.
func (d *Decoder) Decode(line []byte, r *Record) error {
	*r = Record{}
	d.p, d.i = line, 0
	err := d.record(r)
	d.p = nil
	if err != nil {
		return err
	}
	return r.check()
}

// objectKey reads the next `"key":` of an object whose '{' is consumed,
// leaving the decoder at the value; done is true at the closing '}'.
func (d *Decoder) objectKey(first *bool) (key []byte, done bool, err error) {
	d.ws()
	if d.eat('}') {
		return nil, true, nil
	}
	if !*first && !d.eat(',') {
		return nil, false, fieldErr("", "malformed JSON: expected ',' or '}' %s", d.near())
	}
	*first = false
	d.ws()
	if key, err = d.stringBytes(); err != nil {
		return nil, false, fieldErr("", "malformed JSON: expected a field name %s", d.near())
	}
	d.ws()
	if !d.eat(':') {
		return nil, false, fieldErr(string(key), "malformed JSON: expected ':' %s", d.near())
	}
	d.ws()
	return key, false, nil
}

func (d *Decoder) record(r *Record) error {
	d.ws()
	if !d.eat('{') {
		return fieldErr("", "not a JSON object: %s", d.near())
	}
	var tsSet bool
	seen := uint16(0)
	first := true
	for {
		key, done, err := d.objectKey(&first)
		if err != nil {
			return err
		}
		if done {
			break
		}
		if bit := fieldBit(key); bit != 0 {
			if seen&bit != 0 {
				return fieldErr(string(key), "field given twice")
			}
			seen |= bit
		}
		switch string(key) {
		case "model":
			r.Model, err = d.name("model")
		case "version":
			r.Version, err = d.name("version")
		case "role":
			r.Role, err = d.name("role")
		case "status":
			r.Status, err = d.name("status")
		case "request_id":
			r.RequestID, err = d.text("request_id", MaxStringBytes)
		case "ts":
			r.TS, err = d.timestamp()
			tsSet = true
		case "latency_ms":
			r.LatencyMS, err = d.latency()
		case "features":
			r.Features, err = d.features()
		case "prediction":
			r.Prediction, err = d.prediction()
		case "explanations":
			r.Explanations, err = d.explanations()
		case "feature_ts":
			r.FeatureTS, err = d.featureTimes()
		case "injected":
			var v Value
			v, err = d.scalar("injected")
			if err == nil && v.Kind != KindBool && v.Kind != KindNull {
				err = fieldErr("injected", "must be true or false, got a %s", v.Kind)
			}
			r.Injected = v.IsTrue()
		default:
			// Unknown fields are skipped so that newer clients can send more.
			if err = d.skip(0); err != nil {
				err = fieldErr(string(key), "malformed JSON value %s", d.near())
			}
		}
		if err != nil {
			return err
		}
	}
	d.ws()
	if d.i != len(d.p) {
		return fieldErr("", "malformed JSON: data after the object %s", d.near())
	}
	if !tsSet {
		r.TS = d.Now().UnixMilli()
	}
	return nil
}

// fieldBit numbers the known fields for the duplicate check (0: unknown).
func fieldBit(key []byte) uint16 {
	switch string(key) {
	case "model":
		return 1
	case "version":
		return 2
	case "role":
		return 4
	case "status":
		return 8
	case "request_id":
		return 16
	case "ts":
		return 32
	case "latency_ms":
		return 64
	case "features":
		return 128
	case "prediction":
		return 256
	case "injected":
		return 512
	case "explanations":
		return 1024
	case "feature_ts":
		return 2048
	}
	return 0
}

func (r *Record) check() error {
	if r.Model == "" {
		return fieldErr("model", "is required")
	}
	if r.Version == "" {
		return fieldErr("version", "is required")
	}
	switch r.Role {
	case "":
		r.Role = RoleProduction
	case RoleProduction, RoleShadow, RoleCanary:
	default:
		return fieldErr("role", "must be production, shadow or canary, not %q", r.Role)
	}
	switch r.Status {
	case "":
		r.Status = StatusOK
	case StatusOK, StatusError:
	default:
		return fieldErr("status", "must be ok or error, not %q", r.Status)
	}
	return nil
}

// near quotes a little of the input at the read position for error messages.
func (d *Decoder) near() string {
	if d.i >= len(d.p) {
		return "at end of line"
	}
	end := min(d.i+16, len(d.p))
	return fmt.Sprintf("at byte %d near %q", d.i+1, d.p[d.i:end])
}

func (d *Decoder) ws() {
	for d.i < len(d.p) {
		switch d.p[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		default:
			return
		}
	}
}

func (d *Decoder) eat(c byte) bool {
	if d.i < len(d.p) && d.p[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *Decoder) lit(s string) bool {
	if len(d.p)-d.i >= len(s) && string(d.p[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

// stringBytes parses a JSON string at the read position. The result aliases
// the line when it has no escapes and d.scratch otherwise; it is valid until
// the next call.
func (d *Decoder) stringBytes() ([]byte, error) {
	if !d.eat('"') {
		return nil, errSyntax
	}
	start := d.i
	ascii := true
	for d.i < len(d.p) {
		c := d.p[d.i]
		switch {
		case c == '"':
			s := d.p[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(s) {
				return nil, errSyntax
			}
			return s, nil
		case c == '\\':
			return d.escapedString(start)
		case c < 0x20:
			return nil, errSyntax
		case c >= 0x80:
			ascii = false
		}
		d.i++
	}
	return nil, errSyntax
}

func (d *Decoder) escapedString(start int) ([]byte, error) {
	out := append(d.scratch[:0], d.p[start:d.i]...)
	for d.i < len(d.p) {
		c := d.p[d.i]
		switch {
		case c == '"':
			d.i++
			d.scratch = out
			if !utf8.Valid(out) {
				return nil, errSyntax
			}
			return out, nil
		case c < 0x20:
			return nil, errSyntax
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		d.i++
		if d.i >= len(d.p) {
			return nil, errSyntax
		}
		e := d.p[d.i]
		d.i++
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return nil, errSyntax
			}
			if r >= 0xD800 && r < 0xDC00 {
				// A high surrogate must be followed by an escaped low one.
				if d.lit(`\u`) {
					lo, ok := d.hex4()
					if !ok {
						return nil, errSyntax
					}
					if lo >= 0xDC00 && lo < 0xE000 {
						r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			} else if r >= 0xDC00 && r < 0xE000 {
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, errSyntax
		}
	}
	return nil, errSyntax
}

func (d *Decoder) hex4() (rune, bool) {
	if len(d.p)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.p[d.i : d.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}

// numberToken scans a JSON number and returns its text.
func (d *Decoder) numberToken() ([]byte, bool) {
	start := d.i
	d.eat('-')
	switch {
	case d.eat('0'):
	case d.i < len(d.p) && d.p[d.i] >= '1' && d.p[d.i] <= '9':
		d.digits()
	default:
		return nil, false
	}
	if d.eat('.') {
		if d.digits() == 0 {
			return nil, false
		}
	}
	if d.eat('e') || d.eat('E') {
		if !d.eat('+') {
			d.eat('-')
		}
		if d.digits() == 0 {
			return nil, false
		}
	}
	return d.p[start:d.i], true
}

func (d *Decoder) digits() int {
	n := 0
	for d.i < len(d.p) && d.p[d.i] >= '0' && d.p[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}

// parseDecimal turns a valid JSON number (or strconv 'e' output) into
// mant*10^exp; ok is false above 18 significant digits or an exponent out of
// int16 range.
func parseDecimal(b []byte) (mant int64, exp int16, ok bool) {
	i, neg := 0, false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	var m uint64
	nd, e := 0, 0
	leading := true
	for ; i < len(b); i++ {
		c := b[i]
		if c == '.' {
			for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
				if leading && b[i] == '0' {
					e--
					continue
				}
				leading = false
				if nd == 18 {
					return 0, 0, false
				}
				m = m*10 + uint64(b[i]-'0')
				nd++
				e--
			}
			break
		}
		if c < '0' || c > '9' {
			break
		}
		if leading && c == '0' {
			continue
		}
		leading = false
		if nd == 18 {
			return 0, 0, false
		}
		m = m*10 + uint64(c-'0')
		nd++
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		x := 0
		for ; i < len(b); i++ {
			x = x*10 + int(b[i]-'0')
			if x > 1<<15 {
				return 0, 0, false
			}
		}
		if eneg {
			x = -x
		}
		e += x
	}
	if m == 0 {
		return 0, 0, true
	}
	if e < math.MinInt16 || e > math.MaxInt16 {
		return 0, 0, false
	}
	mant = int64(m)
	if neg {
		mant = -mant
	}
	return mant, int16(e), true
}

func (d *Decoder) number(field string) (Value, *FieldError) {
	tok, ok := d.numberToken()
	if !ok {
		return Value{}, fieldErr(field, "malformed number %s", d.near())
	}
	if m, e, ok := parseDecimal(tok); ok {
		v := Number(m, e)
		if math.IsInf(v.Num, 0) {
			return Value{}, fieldErr(field, "number %s is out of float64 range", tok)
		}
		return v, nil
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		return Value{}, fieldErr(field, "number %s is out of float64 range", tok)
	}
	return Value{Kind: KindNumber, Num: f}, nil
}

// scalar parses a number, string, boolean or null.
func (d *Decoder) scalar(field string) (Value, error) { return d.scalarIn(field, "") }

// scalarIn is scalar for the field prefix+name; the name is only joined when
// an error needs it, which keeps the feature loop free of allocations.
func (d *Decoder) scalarIn(prefix, name string) (Value, error) {
	v, err := d.scalarValue()
	if err != nil {
		err.Field = prefix + name
		return Value{}, err
	}
	return v, nil
}

func (d *Decoder) scalarValue() (Value, *FieldError) {
	const field = ""
	if d.i >= len(d.p) {
		return Value{}, fieldErr(field, "missing value at end of line")
	}
	switch c := d.p[d.i]; {
	case c == '"':
		b, err := d.stringBytes()
		if err != nil {
			return Value{}, fieldErr(field, "malformed string %s", d.near())
		}
		if len(b) > MaxStringBytes {
			return Value{}, fieldErr(field, "string of %d bytes is longer than %d", len(b), MaxStringBytes)
		}
		return Value{Kind: KindString, Str: d.str(b)}, nil
	case c == '-' || c >= '0' && c <= '9':
		return d.number(field)
	case d.lit("true"):
		return Bool(true), nil
	case d.lit("false"):
		return Bool(false), nil
	case d.lit("null"):
		return Null, nil
	case c == '{' || c == '[':
		return Value{}, fieldErr(field, "must be a number, string, boolean or null, not an %s", map[bool]string{true: "object", false: "array"}[c == '{'])
	}
	return Value{}, fieldErr(field, "malformed JSON value %s", d.near())
}

func (d *Decoder) name(field string) (string, error) {
	s, err := d.text(field, MaxNameBytes)
	if err == nil && s == "" {
		return "", fieldErr(field, "must not be empty")
	}
	return s, err
}

func (d *Decoder) text(field string, max int) (string, error) {
	if d.lit("null") {
		return "", nil
	}
	if d.i >= len(d.p) || d.p[d.i] != '"' {
		v, err := d.scalar(field)
		if err != nil {
			return "", err
		}
		return "", fieldErr(field, "must be a string, got a %s", v.Kind)
	}
	b, err := d.stringBytes()
	if err != nil {
		return "", fieldErr(field, "malformed string %s", d.near())
	}
	if len(b) > max {
		return "", fieldErr(field, "is %d bytes long, the limit is %d", len(b), max)
	}
	for _, c := range b {
		if c == 0 {
			return "", fieldErr(field, "must not contain NUL bytes")
		}
	}
	return d.str(b), nil
}

// timestamp accepts RFC 3339 text or Unix milliseconds.
func (d *Decoder) timestamp() (int64, error) { return d.timestampField("ts") }

func (d *Decoder) timestampField(field string) (int64, error) {
	v, err := d.scalar(field)
	if err != nil {
		return 0, err
	}
	switch v.Kind {
	case KindNumber:
		if v.Num < -1e15 || v.Num > 1e15 || math.IsNaN(v.Num) {
			return 0, fieldErr(field, "Unix milliseconds %v out of range", v.Num)
		}
		return int64(math.Floor(v.Num)), nil
	case KindString:
		t, err := time.Parse(time.RFC3339Nano, v.Str)
		if err != nil {
			return 0, fieldErr(field, "must be RFC 3339 text or Unix milliseconds: %v", err)
		}
		return t.UnixMilli(), nil
	}
	return 0, fieldErr(field, "must be RFC 3339 text or Unix milliseconds, got a %s", v.Kind)
}

// namedObject parses an object of at most MaxFeatures members keyed by
// feature name, calling member for each value (the decoder is at it).
// Whether a name is a feature of the model is the caller's business: the
// decoder sees one line, not the model's baseline.
func (d *Decoder) namedObject(field string, member func(name string) error) error {
	if !d.eat('{') {
		return fieldErr(field, "must be an object keyed by feature name %s", d.near())
	}
	seen := make(map[string]struct{})
	first := true
	for {
		d.ws()
		if d.eat('}') {
			return nil
		}
		if !first && !d.eat(',') {
			return fieldErr(field, "malformed JSON: expected ',' or '}' %s", d.near())
		}
		first = false
		d.ws()
		key, err := d.stringBytes()
		if err != nil {
			return fieldErr(field, "malformed JSON: expected a feature name %s", d.near())
		}
		if len(key) == 0 || len(key) > MaxNameBytes {
			return fieldErr(field, "feature name must be 1 to %d bytes long", MaxNameBytes)
		}
		name := d.str(key)
		d.ws()
		if !d.eat(':') {
			return fieldErr(field+"."+name, "malformed JSON: expected ':' %s", d.near())
		}
		d.ws()
		if _, dup := seen[name]; dup {
			return fieldErr(field+"."+name, "feature given twice")
		}
		if len(seen) == MaxFeatures {
			return fieldErr(field, "more than %d features", MaxFeatures)
		}
		seen[name] = struct{}{}
		if err := member(name); err != nil {
			return err
		}
	}
}

// explanations parses {"feature": contribution, ...}: finite numbers only.
func (d *Decoder) explanations() ([]Feature, error) {
	if d.lit("null") {
		return nil, nil
	}
	out := []Feature{}
	err := d.namedObject("explanations", func(name string) error {
		v, err := d.scalarIn("explanations.", name)
		if err != nil {
			return err
		}
		if v.Kind != KindNumber || math.IsNaN(v.Num) || math.IsInf(v.Num, 0) {
			return fieldErr("explanations."+name, "contribution must be a finite number, got a %s", v.Kind)
		}
		out = append(out, Feature{Name: name, Value: v})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// featureTimes parses {"feature": RFC 3339 time or Unix ms, ...}.
func (d *Decoder) featureTimes() ([]FeatureTime, error) {
	if d.lit("null") {
		return nil, nil
	}
	out := []FeatureTime{}
	err := d.namedObject("feature_ts", func(name string) error {
		ts, err := d.timestampField("feature_ts." + name)
		if err != nil {
			return err
		}
		out = append(out, FeatureTime{Name: name, TS: ts})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (d *Decoder) latency() (Value, error) {
	v, err := d.scalar("latency_ms")
	if err != nil {
		return Value{}, err
	}
	switch {
	case v.Kind == KindNull:
		return Value{}, nil
	case v.Kind != KindNumber:
		return Value{}, fieldErr("latency_ms", "must be a number of milliseconds, got a %s", v.Kind)
	case v.Num < 0:
		return Value{}, fieldErr("latency_ms", "must not be negative, got %v", v.Num)
	}
	return v, nil
}

func (d *Decoder) features() ([]Feature, error) {
	if d.lit("null") {
		return nil, nil
	}
	if !d.eat('{') {
		return nil, fieldErr("features", "must be an object of feature values %s", d.near())
	}
	d.feats = d.feats[:0]
	const start = 0
	first := true
	for {
		d.ws()
		if d.eat('}') {
			break
		}
		if !first && !d.eat(',') {
			return nil, fieldErr("features", "malformed JSON: expected ',' or '}' %s", d.near())
		}
		first = false
		d.ws()
		key, err := d.stringBytes()
		if err != nil {
			return nil, fieldErr("features", "malformed JSON: expected a feature name %s", d.near())
		}
		if len(key) == 0 || len(key) > MaxNameBytes {
			return nil, fieldErr("features", "feature name must be 1 to %d bytes long", MaxNameBytes)
		}
		pos := len(d.feats) - start
		var name string
		if pos < len(d.lastNames) && d.lastNames[pos] == string(key) {
			name = d.lastNames[pos]
		} else {
			name = d.str(key)
			if pos < len(d.lastNames) {
				d.lastNames[pos] = name
			} else if pos == len(d.lastNames) && pos < 256 {
				d.lastNames = append(d.lastNames, name)
			}
		}
		d.ws()
		if !d.eat(':') {
			return nil, fieldErr("features."+name, "malformed JSON: expected ':' %s", d.near())
		}
		d.ws()
		v, err := d.scalarIn("features.", name)
		if err != nil {
			return nil, err
		}
		if len(d.feats)-start == MaxFeatures {
			return nil, fieldErr("features", "more than %d features", MaxFeatures)
		}
		for _, f := range d.feats[start:] {
			if f.Name == name {
				return nil, fieldErr("features."+name, "feature given twice")
			}
		}
		d.feats = append(d.feats, Feature{Name: name, Value: v})
	}
	// Records share chunks of a fixed size: a chunk is never grown (that
	// would copy what earlier records point to), a full one is left to them.
	n := len(d.feats)
	if cap(d.chunk)-len(d.chunk) < n {
		d.chunk = make([]Feature, 0, max(chunkFeatures, n))
	}
	at := len(d.chunk)
	d.chunk = append(d.chunk, d.feats...)
	return d.chunk[at : at+n : at+n], nil
}

func (d *Decoder) prediction() (Prediction, error) {
	if d.i < len(d.p) && d.p[d.i] != '{' {
		v, err := d.scalar("prediction")
		if err != nil {
			return Prediction{}, err
		}
		if v.Kind == KindNull {
			v = Value{}
		}
		return Prediction{Value: v}, nil
	}
	d.i++
	p := Prediction{Scores: []Score{}}
	first := true
	for {
		d.ws()
		if d.eat('}') {
			return p, nil
		}
		if !first && !d.eat(',') {
			return Prediction{}, fieldErr("prediction", "malformed JSON: expected ',' or '}' %s", d.near())
		}
		first = false
		d.ws()
		key, err := d.stringBytes()
		if err != nil {
			return Prediction{}, fieldErr("prediction", "malformed JSON: expected a class name %s", d.near())
		}
		if len(key) == 0 || len(key) > MaxNameBytes {
			return Prediction{}, fieldErr("prediction", "class name must be 1 to %d bytes long", MaxNameBytes)
		}
		class := d.str(key)
		d.ws()
		if !d.eat(':') {
			return Prediction{}, fieldErr("prediction."+class, "malformed JSON: expected ':' %s", d.near())
		}
		d.ws()
		v, err := d.scalarIn("prediction.", class)
		if err != nil {
			return Prediction{}, err
		}
		if v.Kind != KindNumber {
			return Prediction{}, fieldErr("prediction."+class, "class score must be a number, got a %s", v.Kind)
		}
		if len(p.Scores) == MaxScores {
			return Prediction{}, fieldErr("prediction", "more than %d class scores", MaxScores)
		}
		p.Scores = append(p.Scores, Score{Class: class, Value: v})
	}
}

// skip steps over any JSON value, checking its syntax.
func (d *Decoder) skip(depth int) error {
	if depth > maxNestingToSkip {
		return errSyntax
	}
	if d.i >= len(d.p) {
		return errSyntax
	}
	switch c := d.p[d.i]; c {
	case '{', '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		d.i++
		first := true
		for {
			d.ws()
			if d.eat(closer) {
				return nil
			}
			if !first && !d.eat(',') {
				return errSyntax
			}
			first = false
			d.ws()
			if c == '{' {
				if _, err := d.stringBytes(); err != nil {
					return err
				}
				d.ws()
				if !d.eat(':') {
					return errSyntax
				}
				d.ws()
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
		}
	case '"':
		_, err := d.stringBytes()
		return err
	default:
		if _, err := d.scalar(""); err != nil {
			return errSyntax
		}
		return nil
	}
}

// Feedback is one ground-truth line of POST /api/v1/feedback.
type Feedback struct {
	RequestID string
	Label     Value
	// TS is when the label was observed (Unix ms); now when not sent.
	TS int64
}

// DecodeFeedback parses one feedback line:
// {"request_id":"r-1","label":1,"ts":"2026-11-26T10:05:00Z"}.
// Unknown fields (a model name, say) are skipped.
func (d *Decoder) DecodeFeedback(line []byte, fb *Feedback) error {
	*fb = Feedback{}
	d.p, d.i = line, 0
	defer func() { d.p = nil }()
	d.ws()
	if !d.eat('{') {
		return fieldErr("", "not a JSON object: %s", d.near())
	}
	tsSet, first := false, true
	for {
		key, done, err := d.objectKey(&first)
		if err != nil {
			return err
		}
		if done {
			break
		}
		switch string(key) {
		case "request_id":
			fb.RequestID, err = d.text("request_id", MaxStringBytes)
		case "label":
			fb.Label, err = d.scalar("label")
		case "ts":
			fb.TS, err = d.timestamp()
			tsSet = true
		default:
			if err = d.skip(0); err != nil {
				err = fieldErr(string(key), "malformed JSON value %s", d.near())
			}
		}
		if err != nil {
			return err
		}
	}
	d.ws()
	if d.i != len(d.p) {
		return fieldErr("", "malformed JSON: data after the object %s", d.near())
	}
	if fb.RequestID == "" {
		return fieldErr("request_id", "is required")
	}
	if fb.Label.Kind == KindAbsent || fb.Label.Kind == KindNull {
		return fieldErr("label", "is required")
	}
	if !tsSet {
		fb.TS = d.Now().UnixMilli()
	}
	return nil
}
