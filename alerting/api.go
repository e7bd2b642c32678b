package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/audit"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/internal/apienv"
)

// Prefixes are the URL patterns Handler serves; a server mounts it on each.
// The alerts paths are exact: a "/api/v1/alerts/" subtree would make
// http.ServeMux redirect Prometheus's own GET /api/v1/alerts.
var Prefixes = []string{"/api/v1/alerts/state", "/api/v1/alerts/ack", "/api/v1/silences", "/api/v1/silences/"}

// maxBody caps request bodies; acks and silences are small.
const maxBody = 64 << 10

// AckRequest is the body of POST /api/v1/alerts/ack (api.AckRequest).
type AckRequest = api.AckRequest

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
	return m.handler(authn, onRefuse)
}

// Auditor appends audit entries; *audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (audit.Entry, error)
}

// AuditedHandler is Handler with every mutating call, allowed or refused,
// appended to log with the caller, status and what it did, as the
// metadata API does for its own calls.
func (m *Manager) AuditedHandler(authn *auth.Authenticator, log Auditor) http.Handler {
	refused := func(r *http.Request, p auth.Principal, status int, msg string) {
		if st, ok := r.Context().Value(auditKey{}).(*auditState); ok {
			st.principal, st.detail = p, "refused: "+msg
		}
	}
	inner := m.handler(authn, refused)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			inner.ServeHTTP(w, r)
			return
		}
		st := &auditState{principal: auth.Principal{Name: auth.Anonymous}}
		rec := &apienv.StatusRecorder{ResponseWriter: w}
		inner.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), auditKey{}, st)))
		if st.principal.Name == "" {
			st.principal.Name = auth.Anonymous
		}
		_, err := log.Append(context.WithoutCancel(r.Context()), audit.Entry{
			Actor: st.principal.Name, Role: st.principal.Role.String(), Method: r.Method, Path: r.URL.Path,
			Status: rec.Code(), Detail: st.detail,
		})
		if err != nil {
			m.logger.Error("audit log append failed", "path", r.URL.Path, "actor", st.principal.Name, "err", err)
		}
	})
}

type auditKey struct{}

type auditState struct {
	principal auth.Principal
	detail    string
}

// noteAudit tells the audit wrapper (if any) who acted and what happened.
func noteAudit(r *http.Request, detail string) {
	if st, ok := r.Context().Value(auditKey{}).(*auditState); ok {
		st.principal, st.detail = auth.FromContext(r.Context()), detail
	}
}

func (m *Manager) handler(authn *auth.Authenticator, onRefuse auth.Refusal) http.Handler {
	if authn == nil {
		authn, _ = auth.New(auth.Config{}, "")
	}
	mux := http.NewServeMux()
	read := func(h http.HandlerFunc) http.Handler { return authn.Require(auth.RoleViewer, h, onRefuse) }
	write := func(h http.HandlerFunc) http.Handler {
		return authn.Require(auth.RoleResponder, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			noteAudit(r, "") // the caller, even when the body is refused
			h(w, r)
		}), onRefuse)
	}
	mux.Handle("GET /api/v1/alerts/state", read(func(w http.ResponseWriter, r *http.Request) {
		alerts := m.Alerts()
		if alerts == nil {
			alerts = []ActiveAlert{}
		}
		apienv.Data(w, http.StatusOK, alerts)
	}))
	mux.Handle("POST /api/v1/alerts/ack", write(func(w http.ResponseWriter, r *http.Request) {
		var req AckRequest
		if !decode(w, r, &req) {
			return
		}
		if req.ID == "" {
			apienv.Error(w, http.StatusBadRequest, "field id is required: the alert id from GET /api/v1/alerts/state")
			return
		}
		ack, err := m.Ack(r.Context(), req.ID, auth.FromContext(r.Context()).Name, req.Comment)
		noteAudit(r, fmt.Sprintf("ack %s: %s", req.ID, errText(err)))
		if errors.Is(err, ErrNotFound) {
			apienv.Error(w, http.StatusNotFound, err.Error())
			return
		}
		if err != nil {
			apienv.Error(w, http.StatusInternalServerError, err.Error())
			return
		}
		apienv.Data(w, http.StatusOK, ack)
	}))
	mux.Handle("GET /api/v1/silences", read(func(w http.ResponseWriter, r *http.Request) {
		apienv.Data(w, http.StatusOK, m.Silences())
	}))
	mux.Handle("POST /api/v1/silences", write(func(w http.ResponseWriter, r *http.Request) {
		var req SilenceRequest
		if !decode(w, r, &req) {
			return
		}
		sil, err := m.CreateSilence(r.Context(), req, auth.FromContext(r.Context()).Name)
		noteAudit(r, fmt.Sprintf("silence %s until %s: %s", req.Matchers, sil.EndsAt.Format(time.RFC3339), errText(err)))
		if err != nil {
			apienv.Error(w, http.StatusBadRequest, "silence: "+err.Error())
			return
		}
		sil.Status = statusAt(&sil, m.opts.Now())
		apienv.Data(w, http.StatusOK, sil)
	}))
	mux.Handle("DELETE /api/v1/silences/{id}", write(func(w http.ResponseWriter, r *http.Request) {
		sil, err := m.ExpireSilence(r.Context(), r.PathValue("id"), auth.FromContext(r.Context()).Name)
		noteAudit(r, fmt.Sprintf("expire silence %s: %s", r.PathValue("id"), errText(err)))
		if errors.Is(err, ErrNotFound) {
			apienv.Error(w, http.StatusNotFound, err.Error())
			return
		}
		if err != nil {
			apienv.Error(w, http.StatusInternalServerError, err.Error())
			return
		}
		sil.Status = statusAt(&sil, m.opts.Now())
		apienv.Data(w, http.StatusOK, sil)
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

func errText(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		apienv.Error(w, http.StatusBadRequest, "reading body: "+err.Error())
		return false
	}
	if len(body) > maxBody {
		apienv.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body exceeds %d bytes", maxBody))
		return false
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		apienv.Error(w, http.StatusBadRequest, "body is not valid JSON for this call: "+err.Error())
		return false
	}
	return true
}
