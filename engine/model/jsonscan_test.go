package model

import (
	"encoding/json"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// jsonGrammarCases are JSON texts, valid and not, for the scanner's
// grammar: every kind of value, escapes, non-ASCII and invalid UTF-8,
// numbers at the edges of their grammar, and the ways a text is cut or
// broken.
var jsonGrammarCases = []string{
	`0`, `-0`, `1.5`, `-1.5e-7`, `1E+2`, `1e400`, `4.9e-324`, `1e-400`, `123456789012345`, `9007199254740993`,
	`01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`, `0x10`, `Infinity`, `NaN`, `1_0`,
	`""`, `"a"`, `"\"\\\/\b\f\n\r\t"`, `"\u00e9\uD83D\uDE00"`, `"é"`, "\"\xff\"", "\"a\x01\"", `"\x"`, `"\u12g4"`, `"abc`, `"\`,
	`true`, `false`, `null`, `tru`, `nul`, `truex`, `True`,
	`{}`, `[]`, ` { "a" : [ 1 , { } , [ ] , "x" , null ] } `, "{\r\n\t\"a\":1}", `{"a":1,}`, `[1,]`, `{,}`, `[,]`,
	`{"a"}`, `{"a":}`, `{1:2}`, `{"a":1 "b":2}`, `[1 2]`, `[`, `{`, `{"a":[1,{"b":}]}`, `[}`, `{]`, `]`, `}`,
	`{"a":1}}`, `[1]]`, "\x00", "[\x00]", "",
	strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
	strings.Repeat(`{"a":`, 3000) + `1` + strings.Repeat("}", 3000),
	strings.Repeat("[", 5000) + strings.Repeat("]", 4999),
}

// TestJSONScannerSkipGrammar: skip accepts exactly what encoding/json
// calls valid JSON, nested to any depth without recursion.
func TestJSONScannerSkipGrammar(t *testing.T) {
	for _, text := range jsonGrammarCases {
		s := jsonScanner{data: []byte(text), what: "test"}
		err := s.skip()
		ok := err == nil && s.atEnd()
		require.Equal(t, json.Valid([]byte(text)), ok, "%.60q: %v", text, err)
	}
}

// TestJSONScannerNumbers: numbers read bit-equal to encoding/json's
// (strconv.ParseFloat), whole ones of up to 15 digits by the fast path,
// -0 included; one beyond a float64's range is an error naming it.
func TestJSONScannerNumbers(t *testing.T) {
	for _, text := range []string{
		"0", "-0", "7", "-7", "123456789012345", "-123456789012345", "999999999999999", "1234567890123456",
		"9007199254740993", "18446744073709551617", "0.1", "-1.2345678901234567e-05", "1.7976931348623157e308",
		"4.9e-324", "2.5e-324", "1e-400", "1e22", "1E+2", "100000000000000000000000",
	} {
		var want float64
		require.NoError(t, json.Unmarshal([]byte(text), &want), text)
		s := jsonScanner{data: []byte(text), what: "test"}
		got, err := s.number()
		require.NoError(t, err, text)
		require.Equal(t, math.Float64bits(want), math.Float64bits(got), "%s: want %v, got %v", text, want, got)
	}
	s := jsonScanner{data: []byte(`{"leaf_value": 1e400}`), what: "test", pos: 15}
	_, err := s.number()
	require.EqualError(t, err, "test: $ (byte 15): the number 1e400 does not fit a float64")
}

// TestJSONScannerErrors: errors name the JSON path, the byte where the
// wrong token starts (or the end of the file when it is cut) and what is
// wrong, with the token as it is written.
func TestJSONScannerErrors(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"wrong kind", `{"name":"tree","num_class":"5"}`, `num_class (byte 27): want a number, got the string "5"`},
		{"wrong kind after spaces", "{\"name\":\"tree\",\n \"num_class\" :\t[1]}", `num_class (byte 31): want a number, got "["`},
		{"boolean", `{"average_output":1}`, `average_output (byte 18): want true or false, got 1`},
		{"string", `{"name":null}`, `name (byte 8): want a string, got null`},
		{"truncated key", `{"name":"tr`, `name (byte 11): the file ends early: it is truncated`},
		{"truncated number", `{"num_class":1.`, `num_class (byte 15): the file ends early: it is truncated`},
		{"bad number", `{"num_class":1.x}`, `num_class (byte 15): invalid character 'x' after decimal point in numeric literal`},
		{"nul byte", "{\"name\":\"tree\",\x00}", `$ (byte 15): invalid character '\x00' looking for beginning of object key string`},
		{"missing comma", `{"name":"tree" "version":"v4"}`, `$ (byte 15): invalid character '"' after object key:value pair`},
		{"missing colon", `{"name" "tree"}`, `$ (byte 8): invalid character '"' after object key`},
		{"control character", "{\"name\":\"tr\tee\"}", `name (byte 11): invalid character '\t' in string literal`},
		{"bad escape", `{"objective":"a\q"}`, `objective (byte 16): invalid character 'q' in string escape code`},
		{"broken skipped value", `{"feature_infos":{"a":[1,2}}`, `feature_infos (byte 26): invalid character '}' after array element`},
		{"index in path", `{"feature_names":["a",1]}`, `feature_names[1] (byte 22): want a string, got 1`},
		{"escaped key in path", `{"tree_info":[{"tree_\u0073tructure":{"leaf_value":true}}]}`, `tree_info[0].tree_structure.leaf_value (byte 51): want a number, got true`},
		{"bad literal", `{"average_output":ture}`, `average_output (byte 19): invalid character 'u' in literal true`},
		{"long string", `{"num_class":"` + strings.Repeat("x", 50) + `"}`, `num_class (byte 13): want a number, got the string "` + strings.Repeat("x", 40) + `…"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadLightGBMJSON([]byte(tc.doc), true)
			require.ErrorContains(t, err, "lightgbm-json model: "+tc.want)
		})
	}
}

// TestLightGBMJSONLayouts: a dump reads into the same Trees however it is
// laid out — compact as LightGBM writes it, indented as json.dump writes
// it, with tabs and CRLF, with keys and strings written with \u escapes —
// and an unknown field nested far deeper than any tree is skipped.
func TestLightGBMJSONLayouts(t *testing.T) {
	data := lightGBMFiles(t)["multiclass_missing_types"]
	trees, err := LoadLightGBMTrees(data)
	require.NoError(t, err)
	objective, averaged := lightGBMObjective(data)
	compact := dumpLightGBMJSON(trees, objective, averaged)
	want, err := LoadLightGBMJSONTrees(compact)
	require.NoError(t, err)
	require.Equal(t, canonicalTrees(trees), canonicalTrees(want))
	indent := func(prefix, step string) string {
		var b strings.Builder
		var v any
		require.NoError(t, json.Unmarshal(compact, &v))
		enc := json.NewEncoder(&b)
		enc.SetIndent(prefix, step)
		require.NoError(t, enc.Encode(v))
		return b.String()
	}
	escaped := strings.NewReplacer(`"leaf_value"`, `"leaf\u005fvalue"`, `"<="`, `"\u003c="`, `"NaN"`, `"N\u0061N"`, `"left_child"`, `"left\u005Fchild"`).Replace(string(compact))
	deep := strings.Replace(string(compact), `"feature_infos":{}`, `"feature_infos":`+strings.Repeat(`[{"a":`, 100_000)+"1"+strings.Repeat("}]", 100_000), 1)
	for name, doc := range map[string]string{
		"indented":    indent("", " "),
		"tabs, CRLF":  strings.ReplaceAll(indent("", "\t"), "\n", "\r\n"),
		"escapes":     escaped,
		"deep nested": deep,
	} {
		t.Run(name, func(t *testing.T) {
			require.NotEqual(t, string(compact), doc)
			got, err := LoadLightGBMJSONTrees([]byte(doc))
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
}

// TestLightGBMJSONLoadAllocations: loading a dump (200 trees, 2 MB)
// allocates less than the file's size: the Trees and the scoring layout,
// no per-token garbage (encoding/json's Decoder.Token allocated 13 times
// the file).
func TestLightGBMJSONLoadAllocations(t *testing.T) {
	_, compact, indented := largeLightGBMModel(t, 4)
	for name, dump := range map[string][]byte{"compact": compact, "indented": indented} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadLightGBMJSON(dump, false)
			require.NoError(t, err)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = LoadLightGBMJSON(dump, false)
			runtime.ReadMemStats(&after)
			require.NoError(t, err)
			perByte := after.TotalAlloc - before.TotalAlloc
			require.Less(t, float64(perByte)/float64(len(dump)), 1.0, "%d bytes allocated for a %d-byte dump", perByte, len(dump))
		})
	}
}

// FuzzJSONScanner: on any bytes, skip accepts exactly what encoding/json
// calls valid JSON, and a number reads bit-equal to encoding/json's.
func FuzzJSONScanner(f *testing.F) {
	for _, text := range jsonGrammarCases {
		f.Add([]byte(text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := jsonScanner{data: data, what: "fuzz"}
		err := s.skip()
		if ok := err == nil && s.atEnd(); ok != json.Valid(data) {
			t.Fatalf("skip says %v (%v), encoding/json says valid=%v", ok, err, !ok)
		}
		s = jsonScanner{data: data, what: "fuzz"}
		got, err := s.number()
		var want float64
		wantErr := json.Unmarshal(data, &want)
		if err == nil && s.atEnd() {
			if wantErr != nil || math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("number %v, encoding/json %v (%v)", got, want, wantErr)
			}
		}
	})
}
