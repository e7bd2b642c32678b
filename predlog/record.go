package predlog

import (
	"math"
	"strconv"
	"time"
)

// ValueKind says which field of a Value is meaningful.
type ValueKind uint8

// Value kinds. KindAbsent is the zero value: the field was not sent.
const (
	KindAbsent ValueKind = iota
	KindNull
	KindNumber
	KindString
	KindBool
)

func (k ValueKind) String() string {
	switch k {
	case KindAbsent:
		return "absent"
	case KindNull:
		return "null"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindBool:
		return "bool"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one scalar of a record: a feature value, the prediction, the
// latency.
type Value struct {
	Kind ValueKind
	// Num is the value of a KindNumber, and 1 or 0 for a KindBool.
	Num float64
	// Str is the text of a KindString.
	Str string
	// Exact reports that the number was written with at most 18 significant
	// digits, so Num's decimal form is exactly Mant * 10^Exp. Storage keeps
	// such numbers as (Mant, Exp), which compresses far better than float64
	// bits and prints back the digits the client sent.
	Exact bool
	Exp   int16
	Mant  int64
}

// Number returns an exact decimal value mant * 10^exp.
func Number(mant int64, exp int16) Value {
	return Value{Kind: KindNumber, Num: decimalToFloat(mant, exp), Exact: true, Mant: mant, Exp: exp}
}

// Float returns a number value that has no short decimal form.
func Float(f float64) Value {
	if m, e, ok := floatToDecimal(f); ok {
		return Value{Kind: KindNumber, Num: f, Exact: true, Mant: m, Exp: e}
	}
	return Value{Kind: KindNumber, Num: f}
}

// String returns a string value.
func String(s string) Value { return Value{Kind: KindString, Str: s} }

// Bool returns a boolean value.
func Bool(b bool) Value {
	if b {
		return Value{Kind: KindBool, Num: 1}
	}
	return Value{Kind: KindBool}
}

// Null is the JSON null.
var Null = Value{Kind: KindNull}

// IsTrue reports whether a KindBool value is true.
func (v Value) IsTrue() bool { return v.Kind == KindBool && v.Num != 0 }

// Feature is one named input of a prediction.
type Feature struct {
	Name string
	Value
}

// Score is one class's score in a prediction given as an object.
type Score struct {
	Class string
	Value
}

// Prediction is what the model answered: a number (KindNumber), a class label
// (KindString or KindBool) or, when Scores is not nil, scores per class.
type Prediction struct {
	Value
	Scores []Score
}

// Roles and statuses a record may carry.
const (
	RoleProduction = "production"
	RoleShadow     = "shadow"
	RoleCanary     = "canary"
	StatusOK       = "ok"
	StatusError    = "error"
)

// Record is one logged prediction. Strings are owned by the record (never
// aliases of a request buffer), so a record may outlive the request.
type Record struct {
	Model, Version, Role, RequestID, Status string
	// TS is the prediction time in Unix milliseconds.
	TS int64
	// LatencyMS is KindNumber when the client sent latency_ms.
	LatencyMS  Value
	Features   []Feature
	Prediction Prediction
	// Injected marks a record sent by a game day or a test, not by a model.
	Injected bool
	// Explanations are the per-feature contributions (SHAP values) logged
	// with the prediction, nil when none were sent; every Value is a
	// finite KindNumber.
	Explanations []Feature
	// FeatureTS says when each feature value was computed, nil when not
	// sent; freshness is the prediction time minus it.
	FeatureTS []FeatureTime
}

// FeatureTime is when one feature value was computed, in Unix milliseconds.
type FeatureTime struct {
	Name string
	TS   int64
}

// Explanation returns the logged contribution of the named feature.
func (r *Record) Explanation(name string) (float64, bool) {
	for i := range r.Explanations {
		if r.Explanations[i].Name == name {
			return r.Explanations[i].Num, true
		}
	}
	return 0, false
}

// Time returns TS as a time.Time in UTC.
func (r *Record) Time() time.Time { return time.UnixMilli(r.TS).UTC() }

// Feature returns the value of the named feature (KindAbsent when absent).
func (r *Record) Feature(name string) Value {
	for i := range r.Features {
		if r.Features[i].Name == name {
			return r.Features[i].Value
		}
	}
	return Value{}
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// decimalToFloat converts mant*10^exp to the nearest float64. The fast path
// is exact (both operands are exact floats, IEEE division/multiplication
// rounds once), the same argument strconv's own fast path makes.
func decimalToFloat(mant int64, exp int16) float64 {
	if mant == 0 {
		return 0
	}
	if mant > -1<<53 && mant < 1<<53 {
		switch {
		case exp == 0:
			return float64(mant)
		case exp < 0 && exp >= -22:
			return float64(mant) / pow10[-exp]
		case exp > 0 && exp <= 22:
			return float64(mant) * pow10[exp]
		}
	}
	f, err := strconv.ParseFloat(strconv.FormatInt(mant, 10)+"e"+strconv.Itoa(int(exp)), 64)
	if err != nil {
		return math.Inf(int(mant>>63 | 1))
	}
	return f
}

// floatToDecimal finds the shortest decimal that reads back as f.
func floatToDecimal(f float64) (mant int64, exp int16, ok bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, 0, false
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	m, e, ok := parseDecimal(b)
	return m, e, ok
}

// AppendDecimal appends mant*10^exp in plain decimal notation (exponent
// notation when that would need more than 21 zeros).
func AppendDecimal(dst []byte, mant int64, exp int16) []byte {
	if exp >= 0 {
		if exp > 21 {
			dst = strconv.AppendInt(dst, mant, 10)
			dst = append(dst, 'e')
			return strconv.AppendInt(dst, int64(exp), 10)
		}
		dst = strconv.AppendInt(dst, mant, 10)
		if mant != 0 {
			for range exp {
				dst = append(dst, '0')
			}
		}
		return dst
	}
	if exp < -21 {
		dst = strconv.AppendInt(dst, mant, 10)
		dst = append(dst, 'e')
		return strconv.AppendInt(dst, int64(exp), 10)
	}
	neg := mant < 0
	u := uint64(mant)
	if neg {
		u = -u
		dst = append(dst, '-')
	}
	var digits [24]byte
	d := strconv.AppendUint(digits[:0], u, 10)
	frac := int(-exp)
	if len(d) <= frac {
		dst = append(dst, '0', '.')
		for range frac - len(d) {
			dst = append(dst, '0')
		}
		return append(dst, d...)
	}
	dst = append(dst, d[:len(d)-frac]...)
	dst = append(dst, '.')
	return append(dst, d[len(d)-frac:]...)
}

// AppendNumber appends v (KindNumber) as JSON number text.
func AppendNumber(dst []byte, v Value) []byte {
	if v.Exact {
		return AppendDecimal(dst, v.Mant, v.Exp)
	}
	if math.IsNaN(v.Num) || math.IsInf(v.Num, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, v.Num, 'g', -1, 64)
}
