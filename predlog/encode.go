package predlog

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends r as one NDJSON line (with its newline) in the shape
// Decode accepts, so an export can be posted back unchanged.
func AppendJSON(dst []byte, r *Record) []byte {
	dst = append(dst, `{"model":`...)
	dst = AppendQuoted(dst, r.Model)
	dst = append(dst, `,"version":`...)
	dst = AppendQuoted(dst, r.Version)
	dst = append(dst, `,"role":`...)
	dst = AppendQuoted(dst, r.Role)
	if r.RequestID != "" {
		dst = append(dst, `,"request_id":`...)
		dst = AppendQuoted(dst, r.RequestID)
	}
	dst = append(dst, `,"ts":"`...)
	dst = r.Time().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	dst = append(dst, '"')
	if r.LatencyMS.Kind == KindNumber {
		dst = append(dst, `,"latency_ms":`...)
		dst = AppendNumber(dst, r.LatencyMS)
	}
	dst = append(dst, `,"features":{`...)
	for i := range r.Features {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendQuoted(dst, r.Features[i].Name)
		dst = append(dst, ':')
		dst = AppendValueJSON(dst, r.Features[i].Value)
	}
	dst = append(dst, '}')
	if r.Prediction.Scores != nil || r.Prediction.Kind != KindAbsent {
		dst = append(dst, `,"prediction":`...)
		dst = AppendPredictionJSON(dst, r.Prediction)
	}
	dst = append(dst, `,"status":`...)
	dst = AppendQuoted(dst, r.Status)
	if r.Injected {
		dst = append(dst, `,"injected":true`...)
	}
	if r.Explanations != nil {
		dst = append(dst, `,"explanations":{`...)
		for i := range r.Explanations {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendQuoted(dst, r.Explanations[i].Name)
			dst = append(dst, ':')
			dst = AppendValueJSON(dst, r.Explanations[i].Value)
		}
		dst = append(dst, '}')
	}
	if r.FeatureTS != nil {
		dst = append(dst, `,"feature_ts":{`...)
		for i := range r.FeatureTS {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendQuoted(dst, r.FeatureTS[i].Name)
			dst = append(dst, `:"`...)
			dst = time.UnixMilli(r.FeatureTS[i].TS).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
			dst = append(dst, '"')
		}
		dst = append(dst, '}')
	}
	return append(dst, "}\n"...)
}

// AppendPredictionJSON appends a prediction as a JSON value.
func AppendPredictionJSON(dst []byte, p Prediction) []byte {
	if p.Scores == nil {
		return AppendValueJSON(dst, p.Value)
	}
	dst = append(dst, '{')
	for i := range p.Scores {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendQuoted(dst, p.Scores[i].Class)
		dst = append(dst, ':')
		dst = AppendValueJSON(dst, p.Scores[i].Value)
	}
	return append(dst, '}')
}

// AppendValueJSON appends v as a JSON value (absent prints as null).
func AppendValueJSON(dst []byte, v Value) []byte {
	switch v.Kind {
	case KindNumber:
		return AppendNumber(dst, v)
	case KindString:
		return AppendQuoted(dst, v.Str)
	case KindBool:
		if v.IsTrue() {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	}
	return append(dst, "null"...)
}

// AppendValueText appends v as CSV cell text: numbers and strings as they
// are, booleans as true/false, null and absent as the empty string.
func AppendValueText(dst []byte, v Value) []byte {
	switch v.Kind {
	case KindNumber:
		return AppendNumber(dst, v)
	case KindString:
		return append(dst, v.Str...)
	case KindBool:
		if v.IsTrue() {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// AppendQuoted appends s as a JSON string.
func AppendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// CSVHeader is the fixed part of the CSV export header; feature columns
// follow, named "f." + feature so that they cannot clash with these.
var CSVHeader = []string{"ts", "model", "version", "role", "request_id", "latency_ms", "status", "injected", "prediction"}

// AppendCSVFields appends the CSV cells of r: the CSVHeader columns, then one
// per name in features. Scores print as a JSON object in the prediction cell.
func AppendCSVFields(cells []string, buf []byte, r *Record, features []string) ([]string, []byte) {
	buf = buf[:0]
	mark := func(start int) string { return string(buf[start:]) }
	s := len(buf)
	buf = r.Time().AppendFormat(buf, "2006-01-02T15:04:05.000Z07:00")
	cells = append(cells, mark(s), r.Model, r.Version, r.Role, r.RequestID)
	s = len(buf)
	buf = AppendValueText(buf, r.LatencyMS)
	cells = append(cells, mark(s), r.Status, strconv.FormatBool(r.Injected))
	s = len(buf)
	if r.Prediction.Scores != nil {
		buf = AppendPredictionJSON(buf, r.Prediction)
	} else {
		buf = AppendValueText(buf, r.Prediction.Value)
	}
	cells = append(cells, mark(s))
	for _, name := range features {
		s = len(buf)
		buf = AppendValueText(buf, r.Feature(name))
		cells = append(cells, mark(s))
	}
	return cells, buf
}
