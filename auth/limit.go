package auth

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Rate limit of refused unauthenticated mutations, per source address: a
// burst of AnonMutationBurst, then AnonMutationRate per second. A person
// typing commands without a token never meets it; a script flooding the
// audit log with refused calls gets 429 after the burst.
const (
	AnonMutationBurst = 20
	AnonMutationRate  = 1.0
)

// maxSources bounds the limiter's memory: when more addresses are tracked,
// the full buckets (sources that have been quiet long enough) are dropped,
// and if none is full, all are (an attacker with many addresses then gets
// a fresh burst, but the map never grows without bound).
const maxSources = 10_000

// SourceAddr is the caller's IP address as the connection shows it
// (forwarding headers are not trusted: they are the caller's to write).
func SourceAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// sourceLimiter is a token bucket per source address.
type sourceLimiter struct {
	burst float64
	rate  float64 // tokens per second
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newSourceLimiter(burst int, rate float64, now func() time.Time) *sourceLimiter {
	if now == nil {
		now = time.Now
	}
	return &sourceLimiter{burst: float64(burst), rate: rate, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from src's bucket; when there is none it says how
// long until there is.
func (l *sourceLimiter) allow(src string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[src]
	if b == nil {
		if len(l.buckets) >= maxSources {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[src] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

func (l *sourceLimiter) evict(now time.Time) {
	for src, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, src)
		}
	}
	if len(l.buckets) >= maxSources {
		clear(l.buckets)
	}
}
