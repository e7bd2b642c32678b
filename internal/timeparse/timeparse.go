package timeparse

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Formats names the accepted forms, for flag help and error messages.
const Formats = "RFC 3339, Unix seconds, now, -1h or now-1h"

// maxUnixSeconds is year 5138: a larger number is almost certainly Unix
// milliseconds.
const maxUnixSeconds = 1e11

// Parse reads s relative to now. The result is in UTC.
func Parse(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time: want %s", Formats)
	}
	if s == "now" {
		return now.UTC(), nil
	}
	if rest, ok := strings.CutPrefix(s, "now"); ok {
		return relative(s, rest, now)
	}
	if strings.HasPrefix(s, "-") {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return relative(s, s, now)
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return time.Time{}, fmt.Errorf("%q is not a time: want %s", s, Formats)
		}
		if math.Abs(f) >= maxUnixSeconds {
			return time.Time{}, fmt.Errorf("%q is too large for Unix seconds (Unix milliseconds? divide by 1000): want %s", s, Formats)
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if _, err := model.ParseDuration(s); err == nil {
		return time.Time{}, fmt.Errorf("%q is a duration, not a time: write -%s for %s before now", s, s, s)
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want %s (e.g. 2026-11-20T14:00:00Z, 1763647200, -1h)", s, Formats)
}

// relative reads rest, "-DURATION" or "+DURATION", as an offset from now.
func relative(s, rest string, now time.Time) (time.Time, error) {
	sign := time.Duration(0)
	switch {
	case strings.HasPrefix(rest, "-"):
		sign = -1
	case strings.HasPrefix(rest, "+"):
		sign = 1
	default:
		return time.Time{}, fmt.Errorf("%q is not a time: after now comes -DURATION or +DURATION (now-1h)", s)
	}
	d, err := parseDuration(rest[1:])
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: %w", s, err)
	}
	return now.Add(sign * d).UTC(), nil
}

// parseDuration reads a Prometheus duration (1h30m, 2d, 1w) or a Go one
// (1.5h, 90s, 500ms).
func parseDuration(s string) (time.Duration, error) {
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	return 0, fmt.Errorf("%q is not a duration (e.g. 90s, 5m, 1h30m, 2d)", s)
}

// Range parses from and to with one now, so "-1h" and "now" agree; an empty
// string takes its default (defFrom, defTo; a zero default stays zero,
// meaning open). It checks that from is before to when both are set.
func Range(from, to string, now time.Time, defFrom, defTo time.Time) (time.Time, time.Time, error) {
	start, end := defFrom, defTo
	var err error
	if from != "" {
		if start, err = Parse(from, now); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("from: %w", err)
		}
	}
	if to != "" {
		if end, err = Parse(to, now); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("to: %w", err)
		}
	}
	if !start.IsZero() && !end.IsZero() && !start.Before(end) {
		return time.Time{}, time.Time{}, fmt.Errorf("from %s is not before to %s", start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	return start, end, nil
}
