package client

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answer is one canned HTTP answer of the test server.
type answer struct {
	status int
	body   string
}

// received records the request bodies the test server saw.
type received struct {
	mu     sync.Mutex
	bodies map[string]string
}

func (r *received) get(k string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bodies[k]
}

func opsServer(t *testing.T, answers map[string]answer, rec *received) *Client {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.bodies[r.Method+" "+r.URL.Path] = string(b)
		rec.mu.Unlock()
		a, ok := answers[r.Method+" "+r.URL.Path]
		if !ok {
			http.NotFound(w, r) // a route the collector does not have
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(hs.Close)
	c, err := New(hs.URL, WithToken("t0k"))
	require.NoError(t, err)
	return c
}

func TestOpsErrors(t *testing.T) {
	rec := &received{bodies: map[string]string{}}
	c := opsServer(t, map[string]answer{
		"GET /api/v1/models/fraud":           {200, `{"status":"success","data":{"name":"fraud","production":"v7","production_history":["v6"],"versions":[{"model":"fraud","version":"v7","stage":"production","traffic_percent":100}]}}`},
		"GET /api/v1/models/nope":            {404, `{"status":"error","errorType":"not_found","error":"model \"nope\" not found"}`},
		"POST /api/v1/models/fraud/rollback": {403, `{"status":"error","errorType":"forbidden","error":"token \"victor\" has role viewer"}`},
		"POST /api/v1/alerts/ack":            {401, `{"status":"error","errorType":"unauthorized","error":"missing bearer token"}`},
		"POST /api/v1/silences":              {200, `{"status":"success","data":{"id":"s1","matchers":"{alertname=\"X\"}","endsAt":"2026-01-01T13:00:00Z"}}`},
		"GET /api/v1/baselines/fraud/v9":     {404, `{"error":"no baseline for fraud/v9"}`},
		"GET /api/v1/shadow/fraud/report":    {200, `{"status":"success","data":{"model":"fraud","pairs":0,"agreement":null,"spearman":null,"top_disagreements":[]}}`},
	}, rec)
	ctx := t.Context()

	st, err := c.Model(ctx, "fraud")
	require.NoError(t, err)
	assert.Equal(t, "v7", st.Production)
	assert.Equal(t, []string{"v6"}, st.ProductionHistory)

	_, err = c.Model(ctx, "nope")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr, "an unknown model is the registry's answer, not a missing registry")
	assert.Equal(t, 404, apiErr.StatusCode)
	assert.False(t, errors.Is(err, ErrNotConfigured))

	_, err = c.EventLog(ctx, "fraud", time.Time{}, time.Time{}, 0)
	assert.ErrorIs(t, err, ErrNotConfigured, "a route the collector lacks is not configured")

	_, err = c.Rollback(ctx, "fraud", "", "from the console")
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 403, apiErr.StatusCode)
	assert.Contains(t, err.Error(), "rollback of fraud")
	assert.Contains(t, err.Error(), "this token's role may not do that")
	var sent struct{ Version, Reason string }
	require.NoError(t, json.Unmarshal([]byte(rec.get("POST /api/v1/models/fraud/rollback")), &sent))
	assert.Equal(t, "from the console", sent.Reason, "the reason reaches the event log")

	err = c.Ack(ctx, "abc", "seen")
	assert.Contains(t, err.Error(), "start the console with --token or MLECTL_TOKEN")
	assert.JSONEq(t, `{"id":"abc","comment":"seen"}`, rec.get("POST /api/v1/alerts/ack"))

	sil, err := c.CreateSilence(ctx, `{alertname="X"}`, 90*time.Minute, "c")
	require.NoError(t, err)
	assert.Equal(t, "s1", sil.ID)
	assert.JSONEq(t, `{"matchers":"{alertname=\"X\"}","duration":"1h30m0s","comment":"c"}`, rec.get("POST /api/v1/silences"))

	_, err = c.Baseline(ctx, "fraud", "v9")
	require.ErrorAs(t, err, &apiErr, "the pipeline says no profile is registered")
	assert.Equal(t, "no baseline for fraud/v9", apiErr.Message)
	_, err = c.Baseline(ctx, "churn", "v1")
	assert.ErrorIs(t, err, ErrNotConfigured, "no pipeline at all")

	rep, err := c.ShadowReport(ctx, "fraud", time.Time{}, time.Time{})
	require.NoError(t, err)
	assert.True(t, math.IsNaN(float64(rep.Agreement)), "null is not computable, not zero")
	assert.True(t, math.IsNaN(float64(rep.Spearman)))
}
