package client

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestDecodeQueryResponse(t *testing.T) {
	ts := time.UnixMilli(1435781451781).UTC()
	tests := []struct {
		file  string
		check func(t *testing.T, r Result)
	}{
		{"vector.json", func(t *testing.T, r Result) {
			v, ok := r.Value.(Vector)
			require.True(t, ok)
			require.Len(t, v, 2)
			assert.Equal(t, "collector", v[0].Metric["job"])
			assert.Equal(t, 1.0, v[0].V)
			assert.Equal(t, ts, v[0].T)
			assert.True(t, math.IsNaN(v[1].V))
			assert.Equal(t, `up{instance="127.0.0.1:9710", job="collector"}`, v[0].Metric.String())
		}},
		{"matrix.json", func(t *testing.T, r Result) {
			m, ok := r.Value.(Matrix)
			require.True(t, ok)
			require.Len(t, m, 1)
			require.Len(t, m[0].Points, 3)
			assert.True(t, math.IsInf(m[0].Points[1].V, 1))
			assert.Equal(t, []string{"PromQL info: metric might not be a counter"}, r.Warnings)
			lo, hi, from, to, ok := m.Bounds()
			require.True(t, ok)
			assert.Equal(t, 0.5, lo)
			assert.Equal(t, 1.0, hi)
			assert.Equal(t, 30*time.Second, to.Sub(from))
		}},
		{"scalar.json", func(t *testing.T, r Result) {
			assert.Equal(t, Scalar{T: ts, V: -4.5e-3}, r.Value)
		}},
		{"string.json", func(t *testing.T, r Result) {
			assert.Equal(t, String{T: time.Unix(1435781451, 0).UTC(), S: "hello"}, r.Value)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			r, err := DecodeQueryResponse(readTestdata(t, tc.file), 200)
			require.NoError(t, err)
			tc.check(t, r)
		})
	}
}

func TestDecodeQueryResponseErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"not json", `<html>`, "decoding collector answer"},
		{"unknown status", `{"status":"maybe"}`, `unknown status "maybe"`},
		{"unknown type", `{"status":"success","data":{"resultType":"tensor","result":[]}}`, `unknown resultType "tensor"`},
		{"bad value", `{"status":"success","data":{"resultType":"scalar","result":[1,"abc"]}}`, `"abc" is not a number`},
		{"bare number", `{"status":"success","data":{"resultType":"scalar","result":[1,2]}}`, "must be a JSON string"},
		{"short pair", `{"status":"success","data":{"resultType":"scalar","result":[1]}}`, "fewer elements"},
		{"bad time", `{"status":"success","data":{"resultType":"scalar","result":["x","1"]}}`, "timestamp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeQueryResponse([]byte(tc.body), 200)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// recorded serves canned answers by path, checking the bearer token.
func recorded(t *testing.T, token string, routes map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
			return
		}
		file, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		body := readTestdata(t, file)
		if file == "bad_data.json" {
			w.WriteHeader(http.StatusBadRequest)
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestClientEndpoints(t *testing.T) {
	srv := recorded(t, "s3cret", map[string]string{
		"/api/v1/query":       "vector.json",
		"/api/v1/query_range": "matrix.json",
		"/api/v1/alerts":      "alerts.json",
		"/-/ready":            "string.json",
	})
	c, err := New(srv.URL+"/", WithToken("s3cret"))
	require.NoError(t, err)
	ctx := context.Background()

	res, err := c.Query(ctx, "up", time.Unix(100, 0))
	require.NoError(t, err)
	assert.Len(t, res.Value.(Vector), 2)

	res, err = c.QueryRange(ctx, "up", Range{Start: time.Unix(0, 0), End: time.Unix(60, 0), Step: 15 * time.Second})
	require.NoError(t, err)
	assert.Len(t, res.Value.(Matrix), 1)

	_, err = c.QueryRange(ctx, "up", Range{})
	require.ErrorContains(t, err, "step must be positive")

	alerts, err := c.Alerts(ctx)
	require.NoError(t, err)
	require.Len(t, alerts, 1)
	assert.Equal(t, "firing", alerts[0].State)
	assert.Equal(t, "fraud", alerts[0].Labels["model"])
	assert.Equal(t, time.Date(2026, 1, 1, 11, 50, 0, 0, time.UTC), alerts[0].ActiveAt)

	require.NoError(t, c.Ready(ctx))

	_, err = c.Rules(ctx)
	require.ErrorIs(t, err, ErrNotConfigured)
	require.ErrorIs(t, c.Probe(ctx, "/api/v1/events"), ErrNotConfigured)
	require.NoError(t, c.Probe(ctx, "/api/v1/alerts"))
	require.NoError(t, c.Probe(ctx, "/-/ready"), "any 2xx body will do")
	require.ErrorIs(t, c.Healthy(ctx), ErrNotConfigured)

	noToken, err := New(srv.URL)
	require.NoError(t, err)
	var probeErr *APIError
	require.ErrorAs(t, noToken.Probe(ctx, "/api/v1/alerts"), &probeErr)
	assert.Equal(t, http.StatusUnauthorized, probeErr.StatusCode)
	_, err = noToken.Query(ctx, "up", time.Time{})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, "bearer token")
}

func TestClientAPIErrorAndPosition(t *testing.T) {
	srv := recorded(t, "", map[string]string{"/api/v1/query": "bad_data.json"})
	c, err := New(srv.URL)
	require.NoError(t, err)
	q := "sum(rate(x[5m])"
	_, err = c.Query(context.Background(), q, time.Time{})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "bad_data", apiErr.Type)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	line, col, ok := ErrorPosition(err, q)
	require.True(t, ok)
	assert.Equal(t, 0, line)
	assert.Equal(t, 4, col)
}

func TestErrorPosition(t *testing.T) {
	tests := []struct {
		name, msg, query string
		line, col        int
		ok               bool
	}{
		{"promql first line", `1:9: parse error: unexpected "}"`, "up{job=}", 0, 8, true},
		{"promql second line", `invalid parameter "query": 2:3: parse error: x`, "sum(\n  foo bar)", 1, 2, true},
		{"col past end clamps", `1:99: parse error: x`, "up", 0, 2, true},
		{"line out of range", `5:1: parse error: x`, "up", 0, 0, false},
		{"metricsql unparsed", `cannot parse "up bar": unparsed data: "bar"`, "up bar", 0, 3, true},
		{"metricsql unparsed left", `expand MetricsQL WITH template: unparsed data left: "bar"`, "with (x = up) x bar", 0, 16, true},
		{"metricsql end of input", `argList: unexpected token ""; want ",", ")"; unparsed data: ""`, "with (x = up) sum(x", 0, 19, true},
		{"promql position after WITH expansion", `1:5: parse error: x`, "WITH (x = up) x +", 0, 0, false},
		{"no position", `execution: too many samples`, "up", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line, col, ok := ErrorPosition(&APIError{Type: "bad_data", Message: tc.msg}, tc.query)
			assert.Equal(t, tc.ok, ok)
			if tc.ok {
				assert.Equal(t, tc.line, line)
				assert.Equal(t, tc.col, col)
			}
		})
	}
	_, _, ok := ErrorPosition(errors.New("1:1: parse error"), "x")
	assert.False(t, ok, "only collector errors carry positions")
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"127.0.0.1:9710", "ftp://x", "http://", "http://[::1"} {
		_, err := New(u)
		assert.Error(t, err, u)
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	c, err := New(u)
	require.NoError(t, err)
	err = c.Ready(context.Background())
	require.ErrorContains(t, err, "unreachable")
	assert.NotErrorIs(t, err, ErrNotConfigured)
}
