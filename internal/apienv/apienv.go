package apienv

import (
	"encoding/json"
	"net/http"
)

// Envelope is one answer.
type Envelope struct {
	Status    string `json:"status"`
	Data      any    `json:"data,omitempty"`
	ErrorType string `json:"errorType,omitempty"`
	Error     string `json:"error,omitempty"`
}

// WriteJSON writes v as the JSON body of a code answer.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	// The status line is out: an encoding error can only be a broken
	// connection, which the client sees.
	_ = json.NewEncoder(w).Encode(v)
}

// Data answers code with data in a success envelope.
func Data(w http.ResponseWriter, code int, data any) {
	WriteJSON(w, code, Envelope{Status: "success", Data: data})
}

// Error answers code with msg in an error envelope, its errorType the one
// ErrorType gives.
func Error(w http.ResponseWriter, code int, msg string) {
	ErrorOfType(w, code, ErrorType(code), msg)
}

// ErrorOfType is Error with an explicit errorType.
func ErrorOfType(w http.ResponseWriter, code int, typ, msg string) {
	WriteJSON(w, code, Envelope{Status: "error", ErrorType: typ, Error: msg})
}

// ErrorType is the Prometheus-style errorType of an HTTP status: what the
// caller must change (bad_data, not_found, conflict, precondition) or what
// failed on this side (actuator, unavailable, internal).
func ErrorType(code int) string {
	switch code {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusConflict:
		return "conflict"
	case http.StatusUnprocessableEntity:
		return "precondition"
	case http.StatusBadGateway:
		return "actuator"
	case http.StatusNotImplemented, http.StatusServiceUnavailable:
		return "unavailable"
	}
	if code >= 400 && code < 500 {
		return "bad_data"
	}
	return "internal"
}

// StatusRecorder remembers the status a handler answered with (200 when it
// wrote a body without a header; 0 while it wrote nothing, see Code).
type StatusRecorder struct {
	http.ResponseWriter
	Status int
}

// WriteHeader records the first status.
func (s *StatusRecorder) WriteHeader(code int) {
	if s.Status == 0 {
		s.Status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write records 200 when no status was written.
func (s *StatusRecorder) Write(b []byte) (int, error) {
	if s.Status == 0 {
		s.Status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Code is the status the client got: net/http answers 200 for a handler
// that wrote nothing.
func (s *StatusRecorder) Code() int {
	if s.Status == 0 {
		return http.StatusOK
	}
	return s.Status
}

// Unwrap lets http.ResponseController reach the connection.
func (s *StatusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
