package remotestore

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	config_util "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sender waits as long as the backend's Retry-After asks on 429 and
// 503 (seconds or an HTTP date), never longer than max_backoff, and its
// own backoff otherwise; every sample still arrives.
func TestQueueHonoursRetryAfter(t *testing.T) {
	const minBackoff, maxBackoff = 10 * time.Millisecond, 5 * time.Second
	for _, tc := range []struct {
		name       string
		code       int
		retryAfter func() string
		min, max   time.Duration // the wait before the second try
	}{
		{"429 with seconds", http.StatusTooManyRequests, func() string { return "2" }, 2 * time.Second, 2 * time.Second},
		{"503 with seconds", http.StatusServiceUnavailable, func() string { return "1" }, time.Second, time.Second},
		{"503 with an HTTP date", http.StatusServiceUnavailable, func() string { return time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat) }, 1 * time.Second, 3 * time.Second},
		{"429 asking for an hour waits max_backoff", http.StatusTooManyRequests, func() string { return "3600" }, maxBackoff, maxBackoff},
		{"429 without Retry-After backs off", http.StatusTooManyRequests, func() string { return "" }, minBackoff, minBackoff},
		{"503 with an unreadable Retry-After backs off", http.StatusServiceUnavailable, func() string { return "soon" }, minBackoff, minBackoff},
		{"500 ignores Retry-After", http.StatusInternalServerError, func() string { return "2" }, minBackoff, minBackoff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			requests := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				requests++
				if requests == 1 {
					if v := tc.retryAfter(); v != "" {
						w.Header().Set("Retry-After", v)
					}
					http.Error(w, "slow down", tc.code)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			defer srv.Close()
			u, err := url.Parse(srv.URL)
			require.NoError(t, err)
			client, err := NewWriteClient("test", &remote.ClientConfig{URL: &config_util.URL{URL: u}, Timeout: model.Duration(10 * time.Second),
				HTTPClientConfig: config_util.DefaultHTTPClientConfig})
			require.NoError(t, err)
			var waits []time.Duration
			q, err := Open(QueueOptions{Dir: t.TempDir(), Client: client,
				Queue: QueueConfig{BatchSendDeadline: 10 * time.Millisecond, MinBackoff: minBackoff, MaxBackoff: maxBackoff},
				sleep: func(ctx context.Context, d time.Duration) bool {
					mu.Lock()
					waits = append(waits, d)
					mu.Unlock()
					return ctx.Err() == nil
				}})
			require.NoError(t, err)
			defer q.Close()
			runQueue(t, q)
			require.NoError(t, q.Append([]Sample{{Labels: labels.FromStrings("__name__", "m"), T: 1, V: 1}}))
			require.Eventually(t, func() bool { return q.Pending() == 0 }, 30*time.Second, 5*time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, 2, requests, "refused once, then taken")
			require.Len(t, waits, 1)
			assert.GreaterOrEqual(t, waits[0], tc.min)
			assert.LessOrEqual(t, waits[0], tc.max)
			assert.Zero(t, testutilValue(q.failed), "a 429 is retried, not dropped")
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"Sun, 06 Dec 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Sun, 06 Dec 2026 11:00:00 GMT", 0, true}, // past: retry now
		{"-5", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
	} {
		d, ok := parseRetryAfter(tc.in, now)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, d, tc.in)
	}
}
