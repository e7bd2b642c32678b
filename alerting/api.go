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
	"github.com/mlectl/mlectl/internal/route"
)

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

// Routes lists the API for the collector's route table, each route
// served by AuditedHandler(authn, log).
func (m *Manager) Routes(authn *auth.Authenticator, log Auditor) []route.Route {
	h := m.AuditedHandler(authn, log)
	routes := m.routes(authn, nil)
	for i := range routes {
		routes[i].Handler = h
	}
	return routes
}

func (m *Manager) handler(authn *auth.Authenticator, onRefuse auth.Refusal) http.Handler {
	mux := http.NewServeMux()
	route.Mount(mux, m.routes(authn, onRefuse))
	return mux
}

// routes are the endpoints, each guarded for its role: viewer to read,
// responder to write.
func (m *Manager) routes(authn *auth.Authenticator, onRefuse auth.Refusal) []route.Route {
	if authn == nil {
		authn, _ = auth.New(auth.Config{}, "")
	}
	var routes []route.Route
	handle := func(method, pattern string, need auth.Role, h http.HandlerFunc) {
		if need > auth.RoleViewer {
			next := h
			h = func(w http.ResponseWriter, r *http.Request) {
				noteAudit(r, "") // the caller, even when the body is refused
				next(w, r)
			}
		}
		routes = append(routes, route.Route{Method: method, Pattern: pattern, Role: need, Handler: authn.Require(need, h, onRefuse)})
	}
	read := func(method, pattern string, h http.HandlerFunc) { handle(method, pattern, auth.RoleViewer, h) }
	write := func(method, pattern string, h http.HandlerFunc) { handle(method, pattern, auth.RoleResponder, h) }
	read(http.MethodGet, "/api/v1/alerts/state", func(w http.ResponseWriter, r *http.Request) {
		alerts := m.Alerts()
		if alerts == nil {
			alerts = []ActiveAlert{}
		}
		apienv.Data(w, http.StatusOK, alerts)
	})
	write(http.MethodPost, "/api/v1/alerts/ack", func(w http.ResponseWriter, r *http.Request) {
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
	})
	read(http.MethodGet, "/api/v1/silences", func(w http.ResponseWriter, r *http.Request) {
		apienv.Data(w, http.StatusOK, m.Silences())
	})
	write(http.MethodPost, "/api/v1/silences", func(w http.ResponseWriter, r *http.Request) {
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
	})
	write(http.MethodDelete, "/api/v1/silences/{id}", func(w http.ResponseWriter, r *http.Request) {
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
	})
	return routes
}

// Mount registers h (from Handler or AuditedHandler) on mux for every
// route (for tests and tools; the collector mounts its route table).
func Mount(mux route.Mux, h http.Handler) {
	for _, r := range (&Manager{}).routes(nil, nil) {
		mux.Handle(r.MuxPattern(), h)
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
