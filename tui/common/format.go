package common

import (
	"math"
	"strconv"
	"time"
)

// FormatAge renders a duration the way on-call tools do: 45s, 12m, 3h, 2d.
func FormatAge(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	default:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
}

// FormatNumber renders v with about three significant digits and an SI
// suffix for large values: 0.123, 12.3, 1.23k, 4.5M.
func FormatNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	a := math.Abs(v)
	suffix := ""
	for _, s := range []struct {
		div float64
		sfx string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if a >= s.div {
			v /= s.div
			a /= s.div
			suffix = s.sfx
			break
		}
	}
	var out string
	switch {
	case a == 0:
		out = "0"
	case a >= 100:
		out = strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		out = strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 0.01:
		out = strconv.FormatFloat(v, 'f', 2, 64)
	default:
		out = strconv.FormatFloat(v, 'g', 2, 64)
	}
	return out + suffix
}

// FormatPercent renders a 0..1 share as a percentage: 0.0123 → "1.2%".
func FormatPercent(share float64) string {
	if math.IsNaN(share) {
		return "NaN"
	}
	p := share * 100
	switch {
	case p == 0:
		return "0%"
	case math.Abs(p) < 0.1:
		return "<0.1%"
	case math.Abs(p) < 10:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	default:
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	}
}

// FormatSeconds renders a latency: 850µs, 12ms, 1.2s.
func FormatSeconds(s float64) string {
	switch {
	case math.IsNaN(s):
		return "NaN"
	case math.IsInf(s, 0):
		return FormatNumber(s)
	case s < 1e-3:
		return strconv.FormatFloat(s*1e6, 'f', 0, 64) + "µs"
	case s < 1:
		return strconv.FormatFloat(s*1e3, 'f', 0, 64) + "ms"
	case s < 10:
		return strconv.FormatFloat(s, 'f', 2, 64) + "s"
	default:
		return strconv.FormatFloat(s, 'f', 0, 64) + "s"
	}
}
