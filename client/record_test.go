package client

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSampleRecord(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		status int
		body   string
		check  func(t *testing.T, rec *PredictionRecord, err error)
	}{
		{"record", 200, `{"model":"demand","version":"v12","role":"production","request_id":"r-1","ts":"2026-01-01T11:59:58.000Z",` +
			`"features":{"temp":0.9,"season":"summer"},"prediction":412.5,"status":"ok","explanations":{"temp":120.5,"season":-3}}`,
			func(t *testing.T, rec *PredictionRecord, err error) {
				require.NoError(t, err)
				assert.Equal(t, "r-1", rec.RequestID)
				assert.Equal(t, at.Add(-2*time.Second), rec.TS)
				assert.Equal(t, `"summer"`, string(rec.Features["season"]))
				assert.Equal(t, map[string]float64{"temp": 120.5, "season": -3}, rec.Explanations)
			}},
		{"no record in the span", 404, `{"accepted":0,"rejected":0,"error":"model: no record of demand"}`,
			func(t *testing.T, _ *PredictionRecord, err error) {
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, 404, ae.StatusCode)
				assert.Contains(t, ae.Message, "no record of demand")
				assert.False(t, errors.Is(err, ErrNotConfigured))
			}},
		{"collector without the route", 404, "404 page not found\n",
			func(t *testing.T, _ *PredictionRecord, err error) { assert.ErrorIs(t, err, ErrNotConfigured) }},
		{"bad body", 200, `{"ts":"yesterday"}`,
			func(t *testing.T, _ *PredictionRecord, err error) {
				assert.ErrorContains(t, err, "decoding the sampled record of demand")
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var query string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				query = r.URL.RawQuery
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c, err := New(srv.URL)
			require.NoError(t, err)
			rec, err := c.SampleRecord(t.Context(), "demand", "v12", "", at, time.Minute)
			assert.Equal(t, "from=1767268740.000&model=demand&to=1767268800.000&version=v12", query)
			tc.check(t, rec, err)
		})
	}
}

// A role is sent as the role parameter; none leaves the collector's
// default (the serving versions).
func TestSampleRecordRole(t *testing.T) {
	var query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		_, _ = w.Write([]byte(`{"model":"demand","version":"v13","role":"shadow","ts":"2026-01-01T11:59:58.000Z","features":{}}`))
	}))
	defer srv.Close()
	c, err := New(srv.URL)
	require.NoError(t, err)
	rec, err := c.SampleRecord(t.Context(), "demand", "", "shadow", time.Time{}, 0)
	require.NoError(t, err)
	assert.Equal(t, "model=demand&role=shadow", query)
	assert.Equal(t, "v13", rec.Version)
	_, err = c.SampleRecord(t.Context(), "demand", "", "", time.Time{}, 0)
	require.NoError(t, err)
	assert.Equal(t, "model=demand", query)
}
