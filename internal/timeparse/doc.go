// Package timeparse reads the times every mlectl command and every collector
// endpoint takes, one way everywhere, as Prometheus and Grafana accept them:
//
//	2026-11-20T14:00:00Z   RFC 3339 (fractional seconds and offsets allowed)
//	1763647200.5           Unix seconds, fractional allowed (Prometheus's API)
//	now                    the current time
//	-1h, now-1h            a Prometheus duration before now (Grafana's now-1h)
//	now+5m                 a duration after now
//
// A bare positive duration ("1h") is refused rather than guessed at: it
// could mean "an hour ago" or "in an hour". A number too large to be Unix
// seconds (it would be after year 5000) is refused with a hint that it looks
// like milliseconds, instead of silently selecting nothing.
package timeparse
