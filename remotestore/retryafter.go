package remotestore

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/storage/remote"
)

// NewWriteClient is storage/remote's remote-write client for the queue,
// with 429 answers retried like 5xx, and the backend's Retry-After
// header (on 429 and 503) handed to the queue's retry loop: storage/remote
// parses it into an unexported field of its error that only its own queue
// manager can read, so the header is read here, from the response, on
// its way through the client's transport.
func NewWriteClient(name string, cfg *remote.ClientConfig) (remote.WriteClient, error) {
	c := *cfg
	c.RetryOnRateLimit = true
	wc, err := remote.NewWriteClient(name, &c)
	if err != nil {
		return nil, err
	}
	if rc, ok := wc.(*remote.Client); ok && rc.Client != nil {
		next := rc.Client.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		rc.Client.Transport = retryAfterTransport{next: next}
	}
	return wc, nil
}

// retryAfterKey holds a request's *retryAfter in its context.
type retryAfterKey struct{}

// retryAfter is what the backend asked for: wait d before the next try.
type retryAfter struct {
	d   time.Duration
	set bool
}

// withRetryAfter returns ctx carrying a fresh slot for the Retry-After of
// the request sent with it.
func withRetryAfter(ctx context.Context) (context.Context, *retryAfter) {
	ra := &retryAfter{}
	return context.WithValue(ctx, retryAfterKey{}, ra), ra
}

// retryAfterTransport records the Retry-After of 429 and 503 answers in
// the request's slot.
type retryAfterTransport struct{ next http.RoundTripper }

func (t retryAfterTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return resp, err
	}
	if ra, ok := r.Context().Value(retryAfterKey{}).(*retryAfter); ok {
		ra.d, ra.set = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return resp, err
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP
// date (RFC 9110 §10.2.3). A date in the past is no wait; anything else
// unreadable is ignored (false).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second) // bounded later anyway; no overflow
		}
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}

// retryWait is how long to wait before retrying: the backoff, or the
// backend's Retry-After when longer, never more than maxBackoff.
func retryWait(backoff time.Duration, ra *retryAfter, maxBackoff time.Duration) time.Duration {
	wait := backoff
	if ra != nil && ra.set && ra.d > wait {
		wait = ra.d
	}
	return min(wait, maxBackoff)
}
