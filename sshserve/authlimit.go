package sshserve

import (
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultAuthFailureBurst is how many unknown keys one source address may
// offer before it is refused outright; AuthFailureRefill gives one more
// try per interval.
const (
	DefaultAuthFailureBurst = 30
	AuthFailureRefill       = 2 * time.Second
	// authLimitSources bounds the table; when full it starts over (a
	// flood of addresses costs them their history, not the server memory).
	authLimitSources = 10000
)

// authLimiter rate-limits failed public-key offers per source address, so
// nobody can try keys at line rate. Once an address is over its budget
// every key from it is refused, known ones too, until the budget refills.
type authLimiter struct {
	burst int
	mu    sync.Mutex
	by    map[string]*rate.Limiter
}

func newAuthLimiter(burst int) *authLimiter {
	return &authLimiter{burst: burst, by: map[string]*rate.Limiter{}}
}

func sourceOf(addr net.Addr) string {
	if host, _, err := net.SplitHostPort(addr.String()); err == nil {
		return host
	}
	return addr.String()
}

func (a *authLimiter) limiter(src string) *rate.Limiter {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.by[src]
	if !ok {
		if len(a.by) >= authLimitSources {
			a.by = map[string]*rate.Limiter{}
		}
		l = rate.NewLimiter(rate.Every(AuthFailureRefill), a.burst)
		a.by[src] = l
	}
	return l
}

// blocked reports whether src has used up its failures.
func (a *authLimiter) blocked(src string) bool { return a.limiter(src).Tokens() < 1 }

// failed spends one of src's failures.
func (a *authLimiter) failed(src string) { a.limiter(src).Allow() }
