package predlog

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fixedNow = func() time.Time { return time.UnixMilli(1_764_000_000_000) }

const exampleLine = `{"model":"fraud","version":"v7","role":"production","request_id":"r-1","ts":"2026-11-26T10:00:00.123Z","latency_ms":12.5,"features":{"amount":12.5,"country":"DE"},"prediction":0.83,"status":"ok"}`

func TestDecodeExample(t *testing.T) {
	d := NewDecoder(fixedNow)
	var r Record
	require.NoError(t, d.Decode([]byte(exampleLine), &r))
	assert.Equal(t, "fraud", r.Model)
	assert.Equal(t, "v7", r.Version)
	assert.Equal(t, RoleProduction, r.Role)
	assert.Equal(t, "r-1", r.RequestID)
	assert.Equal(t, time.Date(2026, 11, 26, 10, 0, 0, 123e6, time.UTC).UnixMilli(), r.TS)
	assert.Equal(t, 12.5, r.LatencyMS.Num)
	require.Len(t, r.Features, 2)
	assert.Equal(t, Feature{Name: "amount", Value: Number(125, -1)}, r.Features[0])
	assert.Equal(t, Feature{Name: "country", Value: String("DE")}, r.Features[1])
	assert.Equal(t, 0.83, r.Prediction.Num)
	assert.Equal(t, StatusOK, r.Status)
	assert.False(t, r.Injected)
}

func TestDecodeVariants(t *testing.T) {
	cases := []struct {
		name  string
		line  string
		check func(t *testing.T, r *Record)
	}{
		{"unix ms ts and defaults", `{"model":"m","version":"1","ts":1764151200123}`, func(t *testing.T, r *Record) {
			assert.Equal(t, int64(1764151200123), r.TS)
			assert.Equal(t, RoleProduction, r.Role)
			assert.Equal(t, StatusOK, r.Status)
			assert.Equal(t, KindAbsent, r.Prediction.Kind)
		}},
		{"missing ts is now", `{"model":"m","version":"1"}`, func(t *testing.T, r *Record) {
			assert.Equal(t, fixedNow().UnixMilli(), r.TS)
		}},
		{"class label", `{"model":"m","version":"1","prediction":"cat","role":"shadow"}`, func(t *testing.T, r *Record) {
			assert.Equal(t, String("cat"), r.Prediction.Value)
			assert.Nil(t, r.Prediction.Scores)
			assert.Equal(t, RoleShadow, r.Role)
		}},
		{"class scores", `{"model":"m","version":"1","prediction":{"a":0.25,"b":0.75}}`, func(t *testing.T, r *Record) {
			assert.Equal(t, []Score{{"a", Number(25, -2)}, {"b", Number(75, -2)}}, r.Prediction.Scores)
		}},
		{"injected, null, bool and escaped text", `{"model":"m","version":"1","injected":true,"features":{"a":null,"b":true,"c":"x\"\u00e9\ud83d\ude00"}}`, func(t *testing.T, r *Record) {
			assert.True(t, r.Injected)
			assert.Equal(t, Null, r.Feature("a"))
			assert.True(t, r.Feature("b").IsTrue())
			assert.Equal(t, "x\"é😀", r.Feature("c").Str)
		}},
		{"NaN as a string is kept as text", `{"model":"m","version":"1","features":{"a":"NaN","b":"-Infinity"}}`, func(t *testing.T, r *Record) {
			assert.Equal(t, String("NaN"), r.Feature("a"))
			assert.Equal(t, String("-Infinity"), r.Feature("b"))
		}},
		{"numbers: exponent, long mantissa, negative", `{"model":"m","version":"1","features":{"a":1.5e3,"b":0.12345678901234567891,"c":-0.001,"d":0}}`, func(t *testing.T, r *Record) {
			assert.Equal(t, Number(15, 2), r.Feature("a"))
			assert.Equal(t, 1500.0, r.Feature("a").Num)
			assert.False(t, r.Feature("b").Exact)
			assert.Equal(t, 0.12345678901234568, r.Feature("b").Num)
			assert.Equal(t, -0.001, r.Feature("c").Num)
			assert.Equal(t, 0.0, r.Feature("d").Num)
		}},
		{"unknown fields skipped", `{"extra":{"x":[1,2,{"y":null}]},"model":"m","version":"1"}`, func(t *testing.T, r *Record) {
			assert.Equal(t, "m", r.Model)
		}},
	}
	d := NewDecoder(fixedNow)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r Record
			require.NoError(t, d.Decode([]byte(c.line), &r))
			c.check(t, &r)
		})
	}
}

func TestDecodeErrorsNameTheField(t *testing.T) {
	cases := []struct{ line, field, msg string }{
		{`{"model":"m","version":"1"`, "", "malformed JSON"},
		{`not json`, "", "not a JSON object"},
		{`[1,2]`, "", "not a JSON object"},
		{`{"model":"m","version":"1"} x`, "", "data after the object"},
		{`{"version":"1"}`, "model", "required"},
		{`{"model":"m"}`, "version", "required"},
		{`{"model":7,"version":"1"}`, "model", "must be a string"},
		{`{"model":"m","version":"1","latency_ms":"fast"}`, "latency_ms", "must be a number"},
		{`{"model":"m","version":"1","latency_ms":-1}`, "latency_ms", "negative"},
		{`{"model":"m","version":"1","role":"primary"}`, "role", "production, shadow or canary"},
		{`{"model":"m","version":"1","status":"maybe"}`, "status", "ok or error"},
		{`{"model":"m","version":"1","ts":"yesterday"}`, "ts", "RFC 3339"},
		{`{"model":"m","version":"1","ts":true}`, "ts", "RFC 3339"},
		{`{"model":"m","version":"1","features":[1]}`, "features", "object"},
		{`{"model":"m","version":"1","features":{"a":[1]}}`, "features.a", "not an array"},
		{`{"model":"m","version":"1","features":{"a":NaN}}`, "features.a", "malformed"},
		{`{"model":"m","version":"1","features":{"a":1,"a":2}}`, "features.a", "twice"},
		{`{"model":"m","version":"1","features":{"a":1e999}}`, "features.a", "out of float64 range"},
		{`{"model":"m","version":"1","prediction":{"a":"x"}}`, "prediction.a", "must be a number"},
		{`{"model":"m","version":"1","injected":"yes"}`, "injected", "true or false"},
		{`{"model":"m","model":"n","version":"1"}`, "model", "twice"},
		{`{"model":"m\u0000","version":"1"}`, "model", "NUL"},
		{"{\"model\":\"m\xff\",\"version\":\"1\"}", "model", "malformed string"},
		{`{"model":"m","version":"1","explanations":[1]}`, "explanations", "object keyed by feature name"},
		{`{"model":"m","version":"1","explanations":{"a":1e999}}`, "explanations.a", "out of float64 range"},
		{`{"model":"m","version":"1","explanations":{"a":"NaN"}}`, "explanations.a", "finite number"},
		{`{"model":"m","version":"1","explanations":{"a":null}}`, "explanations.a", "finite number"},
		{`{"model":"m","version":"1","explanations":{"a":1,"a":2}}`, "explanations.a", "twice"},
		{`{"model":"m","version":"1","explanations":{},"explanations":{}}`, "explanations", "twice"},
		{`{"model":"m","version":"1","feature_ts":{"a":"soon"}}`, "feature_ts.a", "RFC 3339"},
		{`{"model":"m","version":"1","feature_ts":{"a":true}}`, "feature_ts.a", "RFC 3339"},
		{`{"model":"m","version":"1","feature_ts":{"a":1,"a":2}}`, "feature_ts.a", "twice"},
	}
	d := NewDecoder(fixedNow)
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			var r Record
			err := d.Decode([]byte(c.line), &r)
			require.Error(t, err)
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, c.field, fe.Field)
			assert.Contains(t, fe.Msg, c.msg)
		})
	}
}

func TestDecodeExplanationsAndFeatureTimes(t *testing.T) {
	line := `{"model":"m","version":"1","ts":"2026-11-26T10:00:00Z","features":{"a":1,"b":"x"},` +
		`"explanations":{"a":-0.25,"b":1.5e-3},"feature_ts":{"a":"2026-11-26T09:59:58.5Z","b":1764151190000}}`
	d := NewDecoder(fixedNow)
	var r, back Record
	require.NoError(t, d.Decode([]byte(line), &r))
	assert.Equal(t, []Feature{{"a", Number(-25, -2)}, {"b", Number(15, -4)}}, r.Explanations)
	at := time.Date(2026, 11, 26, 9, 59, 58, 500e6, time.UTC).UnixMilli()
	assert.Equal(t, []FeatureTime{{"a", at}, {"b", 1764151190000}}, r.FeatureTS)
	c, ok := r.Explanation("b")
	assert.True(t, ok)
	assert.InDelta(t, 0.0015, c, 1e-15)
	out := AppendJSON(nil, &r)
	require.NoError(t, d.Decode(out[:len(out)-1], &back))
	assert.Equal(t, r.Explanations, back.Explanations)
	assert.Equal(t, r.FeatureTS, back.FeatureTS)

	require.NoError(t, d.Decode([]byte(`{"model":"m","version":"1","explanations":null}`), &r))
	assert.Nil(t, r.Explanations)
}

func TestJSONRoundTrip(t *testing.T) {
	d := NewDecoder(fixedNow)
	var r, back Record
	require.NoError(t, d.Decode([]byte(exampleLine), &r))
	out := AppendJSON(nil, &r)
	require.NoError(t, d.Decode(out[:len(out)-1], &back))
	assert.Equal(t, r, back)
	assert.JSONEq(t, exampleLine, string(out))
}

func TestDecimal(t *testing.T) {
	cases := []struct {
		in   string
		mant int64
		exp  int16
		out  string
	}{
		{"12.50", 1250, -2, "12.50"},
		{"0.0012", 12, -4, "0.0012"},
		{"-3", -3, 0, "-3"},
		{"1e3", 1, 3, "1000"},
		{"2.5E-1", 25, -2, "0.25"},
		{"0", 0, 0, "0"},
	}
	for _, c := range cases {
		m, e, ok := parseDecimal([]byte(c.in))
		require.True(t, ok, c.in)
		assert.Equal(t, c.mant, m, c.in)
		assert.Equal(t, c.exp, e, c.in)
		assert.Equal(t, c.out, string(AppendDecimal(nil, m, e)), c.in)
	}
	for _, f := range []float64{0.1, 1e-300, 123456.789, math.MaxFloat64, 5e-324} {
		v := Float(f)
		assert.Equal(t, f, v.Num)
		if v.Exact {
			assert.Equal(t, f, decimalToFloat(v.Mant, v.Exp))
		}
	}
}

func TestDecodeFeedback(t *testing.T) {
	d := NewDecoder(fixedNow)
	var fb Feedback
	require.NoError(t, d.DecodeFeedback([]byte(`{"request_id":"r-1","label":1,"ts":"2026-11-26T10:05:00Z","model":"x"}`), &fb))
	assert.Equal(t, "r-1", fb.RequestID)
	assert.Equal(t, 1.0, fb.Label.Num)
	var fe *FieldError
	require.ErrorAs(t, d.DecodeFeedback([]byte(`{"label":1}`), &fb), &fe)
	assert.Equal(t, "request_id", fe.Field)
	require.ErrorAs(t, d.DecodeFeedback([]byte(`{"request_id":"r","label":null}`), &fb), &fe)
	assert.Equal(t, "label", fe.Field)
}

func BenchmarkDecode(b *testing.B) {
	line := []byte(benchLine(20))
	d := NewDecoder(fixedNow)
	var r Record
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(line, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func benchLine(features int) string {
	s := `{"model":"fraud","version":"v7","role":"production","request_id":"r-123456","ts":"2026-11-26T10:00:00.123Z","latency_ms":12.5,"features":{`
	for i := range features {
		if i > 0 {
			s += ","
		}
		if i%5 == 4 {
			s += `"cat_` + string(rune('a'+i)) + `":"DE"`
		} else {
			s += `"num_` + string(rune('a'+i)) + `":123.45`
		}
	}
	return s + `},"prediction":0.83,"status":"ok"}`
}
