package client

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// ErrNotConfigured marks an endpoint the collector does not serve (it
// answered 404). Views test for it with errors.Is and show "not configured".
var ErrNotConfigured = errors.New("not configured on this collector")

// APIError is an error the collector reported in the Prometheus envelope
// (status "error") or with a non-2xx HTTP status.
type APIError struct {
	StatusCode int    // HTTP status of the answer
	Type       string // Prometheus errorType: bad_data, execution, timeout, ...
	Message    string // the collector's own words

	// operator words the error for a command line (WithOperatorErrors).
	operator bool
}

func (e *APIError) Error() string {
	if e.operator {
		return e.operatorText()
	}
	typ := e.Type
	if typ == "" {
		typ = "HTTP " + strconv.Itoa(e.StatusCode)
	}
	return fmt.Sprintf("collector rejected the request (%s): %s", typ, e.Message)
}

// operatorText is the command line's wording: the status first, with what
// to do about a missing token.
func (e *APIError) operatorText() string {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Sprintf("not authorized (401): %s — pass --token or set MLECTL_TOKEN", e.Message)
	case http.StatusForbidden:
		return fmt.Sprintf("forbidden (403): %s", e.Message)
	case http.StatusNotFound:
		return fmt.Sprintf("not found (404): %s", e.Message)
	case http.StatusConflict:
		return fmt.Sprintf("conflict (409): %s", strings.TrimPrefix(e.Message, "conflict: "))
	}
	if e.Type != "" {
		return fmt.Sprintf("collector answered %d %s: %s", e.StatusCode, e.Type, e.Message)
	}
	return fmt.Sprintf("collector answered %d: %s", e.StatusCode, e.Message)
}

// lineCol matches the "line:col: parse error" prefix PromQL parse errors
// carry, wherever it appears in the message.
var lineCol = regexp.MustCompile(`(\d+):(\d+): parse error`)

// unparsed matches MetricsQL's `unparsed data: "..."` and `unparsed data
// left: "..."`: the text the parser did not consume.
var unparsed = regexp.MustCompile(`unparsed data(?: left)?: "((?:[^"\\]|\\.)*)"`)

// withTemplate spots MetricsQL WITH templates: the collector expands them
// before PromQL parsing, so PromQL positions refer to the expanded text,
// not to what the user typed.
var withTemplate = regexp.MustCompile(`(?i)\bwith\s*\(`)

// ErrorPosition locates a query parse error inside query: it returns the
// 0-based byte offset within the line the error names and that line's
// 0-based index; ok is false when the message carries no position.
func ErrorPosition(err error, query string) (line, col int, ok bool) {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return 0, 0, false
	}
	if m := lineCol.FindStringSubmatch(apiErr.Message); m != nil && !withTemplate.MatchString(query) {
		l, _ := strconv.Atoi(m[1])
		c, _ := strconv.Atoi(m[2])
		lines := strings.Split(query, "\n")
		if l < 1 || l > len(lines) || c < 1 {
			return 0, 0, false
		}
		return l - 1, min(c-1, len(lines[l-1])), true
	}
	if m := unparsed.FindStringSubmatch(apiErr.Message); m != nil {
		rest, err := strconv.Unquote(`"` + m[1] + `"`)
		if err == nil && strings.HasSuffix(query, rest) && !strings.Contains(query, "\n") {
			return 0, len(query) - len(rest), true
		}
	}
	return 0, 0, false
}
