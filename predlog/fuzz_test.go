package predlog

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecode checks that no line panics the decoder, that every accepted
// record re-encodes to a line that decodes to the same record, and that
// errors always carry a message.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		exampleLine,
		benchLine(20),
		`{"model":"m","version":"1","prediction":{"a":0.25,"b":0.75},"injected":true}`,
		`{"model":"m","version":"1","features":{"a":null,"b":true,"c":"x\"\u00e9\ud83d\ude00"}}`,
		`{"model":"m","version":"1","ts":1764151200123,"features":{"a":1e3,"b":-0.0001}}`,
		`{"model":"m","version":"1","features":{"a":"NaN"}}`,
		`{"model":"m","version":"1","features":{"a":1},"explanations":{"a":-0.5},"feature_ts":{"a":"2026-11-26T09:59:58Z"}}`,
		`{"extra":[{"x":[]}],"model":"m","version":"1"}`,
		`{"model":"m"`, `[]`, `{}`, `{"model":"m","version":"1","features":{"a":[1]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		d := NewDecoder(fixedNow)
		var r, back, warm Record
		err := d.Decode(line, &r)
		// A decoder that saw another record first (its name cache is warm)
		// must give the same answer.
		warmDec := NewDecoder(fixedNow)
		require.NoError(t, warmDec.Decode([]byte(benchLine(20)), &warm))
		werr := warmDec.Decode(line, &warm)
		require.Equal(t, err == nil, werr == nil)
		if err != nil {
			require.NotEmpty(t, err.Error())
			require.Equal(t, err.Error(), werr.Error())
			return
		}
		require.Equal(t, string(AppendJSON(nil, &r)), string(AppendJSON(nil, &warm)))
		out := AppendJSON(nil, &r)
		require.NoError(t, d.Decode(out[:len(out)-1], &back), "re-encoded %q", out)
		require.Equal(t, string(out), string(AppendJSON(nil, &back)))
		var fb Feedback
		_ = d.DecodeFeedback(line, &fb)
	})
}
