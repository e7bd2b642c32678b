package alerting

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mlectl/mlectl/auth"
)

// Prefixes are the URL paths Handler serves; a server mounts it on each
// (GET /api/v1/alerts itself stays Prometheus's).
var Prefixes = []string{"/api/v1/alerts/", "/api/v1/silences", "/api/v1/silences/"}

// maxBody caps request bodies; acks and silences are small.
const maxBody = 64 << 10

// AckRequest is the body of POST /api/v1/alerts/ack.
type AckRequest struct {
	ID      string `json:"id"`
	Comment string `json:"comment,omitempty"`
}

// Handler serves acknowledgements and silences:
//
//	GET    /api/v1/alerts/state      active alerts with id, ack, silences (viewer)
//	POST   /api/v1/alerts/ack        {"id","comment"} (responder)
//	GET    /api/v1/silences          all silences with status (viewer)
//	POST   /api/v1/silences          SilenceRequest -> Silence (responder)
//	DELETE /api/v1/silences/{id}     expire now (responder)
//
// Answers use the Prometheus envelope. authn nil means the auth package's
// default mode (reads open, writes refused). onRefuse may be nil.
func (m *Manager) Handler(authn *auth.Authenticator, onRefuse auth.Refusal) http.Handler {
	if authn == nil {
		authn, _ = auth.New(auth.Config{}, "")
	}
	mux := http.NewServeMux()
	read := func(h http.HandlerFunc) http.Handler { return authn.Require(auth.RoleViewer, h, onRefuse) }
	write := func(h http.HandlerFunc) http.Handler { return authn.Require(auth.RoleResponder, h, onRefuse) }
	mux.Handle("GET /api/v1/alerts/state", read(func(w http.ResponseWriter, r *http.Request) {
		alerts := m.Alerts()
		if alerts == nil {
			alerts = []ActiveAlert{}
		}
		writeData(w, http.StatusOK, alerts)
	}))
	mux.Handle("POST /api/v1/alerts/ack", write(func(w http.ResponseWriter, r *http.Request) {
		var req AckRequest
		if !decode(w, r, &req) {
			return
		}
		if req.ID == "" {
			writeError(w, http.StatusBadRequest, "bad_data", "field id is required: the alert id from GET /api/v1/alerts/state")
			return
		}
		ack, err := m.Ack(r.Context(), req.ID, auth.FromContext(r.Context()).Name, req.Comment)
		if errors.Is(err, ErrNotFound) {
			writeError(w, http.StatusNotFound, "not_found", err.Error())
			return
		}
		if err != nil {
			writeError(w, http.StatusInternalServerError, "internal", err.Error())
			return
		}
		writeData(w, http.StatusOK, ack)
	}))
	mux.Handle("GET /api/v1/silences", read(func(w http.ResponseWriter, r *http.Request) {
		writeData(w, http.StatusOK, m.Silences())
	}))
	mux.Handle("POST /api/v1/silences", write(func(w http.ResponseWriter, r *http.Request) {
		var req SilenceRequest
		if !decode(w, r, &req) {
			return
		}
		sil, err := m.CreateSilence(r.Context(), req, auth.FromContext(r.Context()).Name)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_data", "silence: "+err.Error())
			return
		}
		sil.Status = statusAt(&sil, m.opts.Now())
		writeData(w, http.StatusOK, sil)
	}))
	mux.Handle("DELETE /api/v1/silences/{id}", write(func(w http.ResponseWriter, r *http.Request) {
		sil, err := m.ExpireSilence(r.Context(), r.PathValue("id"), auth.FromContext(r.Context()).Name)
		if errors.Is(err, ErrNotFound) {
			writeError(w, http.StatusNotFound, "not_found", err.Error())
			return
		}
		if err != nil {
			writeError(w, http.StatusInternalServerError, "internal", err.Error())
			return
		}
		sil.Status = statusAt(&sil, m.opts.Now())
		writeData(w, http.StatusOK, sil)
	}))
	return mux
}

// Mux is the part of http.ServeMux that Mount needs.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Mount registers h (from Handler) on mux for every prefix.
func Mount(mux Mux, h http.Handler) {
	for _, p := range Prefixes {
		mux.Handle(p, h)
	}
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", "reading body: "+err.Error())
		return false
	}
	if len(body) > maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, "bad_data", fmt.Sprintf("body exceeds %d bytes", maxBody))
		return false
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", "body is not valid JSON for this call: "+err.Error())
		return false
	}
	return true
}

type envelope struct {
	Status    string `json:"status"`
	Data      any    `json:"data,omitempty"`
	ErrorType string `json:"errorType,omitempty"`
	Error     string `json:"error,omitempty"`
}

func writeData(w http.ResponseWriter, code int, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(envelope{Status: "success", Data: data})
}

func writeError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(envelope{Status: "error", ErrorType: typ, Error: msg})
}
