package xgbjson

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// QuoteNonFinite rewrites the bare NaN, Infinity and -Infinity tokens that
// XGBoost emits (invalid JSON) into strings, leaving string contents alone.
// It returns data itself when there is nothing to rewrite.
func QuoteNonFinite(data []byte) []byte {
	var out []byte
	last := 0
	inString, escaped := false, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		var tok string
		switch c {
		case '"':
			inString = true
			continue
		case 'N':
			tok = "NaN"
		case 'I':
			tok = "Infinity"
		case '-':
			tok = "-Infinity"
		default:
			continue
		}
		if !bytes.HasPrefix(data[i:], []byte(tok)) {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(data)+len(data)/64)
		}
		out = append(out, data[last:i]...)
		out = append(out, '"')
		out = append(out, tok...)
		out = append(out, '"')
		i += len(tok) - 1
		last = i + 1
	}
	if out == nil {
		return data
	}
	return append(out, data[last:]...)
}

// ParseBaseScore reads base_score, written as "5E-1" by XGBoost 1.x and as
// "[5E-1]" (one entry per target) by 2.x.
func ParseBaseScore(s string) (float64, error) {
	if s == "" {
		return 0.5, nil
	}
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if i := strings.IndexByte(t, ','); i >= 0 {
		// Vector base scores (multi-target) all equal in practice; use the first.
		t = t[:i]
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 32)
	if err != nil {
		return 0, fmt.Errorf("base_score %q is not a number", s)
	}
	return v, nil
}
