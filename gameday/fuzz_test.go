package gameday_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/gameday"
)

// FuzzDecodeRequest: the POST body decoder never panics, and a request it
// turns into a Spec is valid.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"model":"demand","version":"","feature":"temp","kind":"shift","magnitude":3,"duration":"5m"}`))
	f.Add([]byte(`{"model":"demand","kind":"errors","magnitude":0.1,"duration":"90s","seed":7}`))
	f.Add([]byte(`{"model":"m","feature":"f","kind":"nulls","magnitude":1e400,"duration":"1h"}`))
	f.Add([]byte(`{"model":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := gameday.DecodeRequest(body)
		if err != nil {
			return
		}
		spec, err := req.Spec()
		if err != nil {
			return
		}
		require.NoError(t, spec.Validate())
		require.Positive(t, spec.Duration)
		require.NotEmpty(t, spec.Model)
	})
}
