package auth

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Unauthenticated mutations are refused with 401 up to the burst, then
// with 429 (per source address) until the bucket refills; reads, ingest
// routes and callers with a valid token are never limited.
func TestAnonymousMutationsAreRateLimitedPerSource(t *testing.T) {
	a, err := New(Config{Ingest: IngestToken, Tokens: []TokenSpec{{Name: "ops", Token: "s3cret", Role: "admin"}}}, "")
	require.NoError(t, err)
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	a.anonLimit = newSourceLimiter(AnonMutationBurst, AnonMutationRate, func() time.Time { return now })
	var audited []int
	h := a.Require(RoleAdmin, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
		func(_ *http.Request, _ Principal, status int, _ string) { audited = append(audited, status) })
	call := func(h http.Handler, method, src, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/api/v1/models/fraud/promote", nil)
		r.RemoteAddr = src + ":41000"
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i := 0; i < AnonMutationBurst; i++ {
		assert.Equal(t, http.StatusUnauthorized, call(h, "POST", "10.0.0.1", "").Code, "call %d", i)
	}
	w := call(h, "POST", "10.0.0.1", "bad-token")
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	assert.Contains(t, w.Body.String(), "too many unauthenticated changes from 10.0.0.1")
	assert.Equal(t, http.StatusUnauthorized, call(h, "POST", "10.0.0.2", "").Code, "another source has its own bucket")
	assert.Equal(t, http.StatusOK, call(h, "POST", "10.0.0.1", "s3cret").Code, "a valid token is not limited")
	assert.Equal(t, http.StatusUnauthorized, call(h, "GET", "10.0.0.1", "").Code, "reads are not limited")
	ingest := a.RequireIngest(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), nil)
	assert.Equal(t, http.StatusUnauthorized, call(ingest, "POST", "10.0.0.1", "").Code, "ingest senders are not limited")
	now = now.Add(time.Second)
	assert.Equal(t, http.StatusUnauthorized, call(h, "POST", "10.0.0.1", "").Code, "a token per second refills")
	assert.Equal(t, http.StatusTooManyRequests, call(h, "POST", "10.0.0.1", "").Code)
	assert.Len(t, audited, AnonMutationBurst+5, "429s reach the refusal hook too (the audit log coalesces them)")
}

func TestSourceLimiterMemoryIsBounded(t *testing.T) {
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	l := newSourceLimiter(2, 1, func() time.Time { return now })
	for i := 0; i < maxSources+10; i++ {
		l.allow(string(rune(i)))
	}
	assert.LessOrEqual(t, len(l.buckets), maxSources)
}
