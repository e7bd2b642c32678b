package gameday

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/mlectl/mlectl/audit"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/internal/apienv"
	"github.com/mlectl/mlectl/internal/route"
)

// Routes of the game-day API.
const (
	PathInjections = "/api/v1/gameday/injections"
)

// Request is the body of POST /api/v1/gameday/injections.
type Request struct {
	Model     string   `json:"model"`
	Version   string   `json:"version,omitempty"`
	Feature   string   `json:"feature,omitempty"`
	Kind      Kind     `json:"kind"`
	Magnitude *float64 `json:"magnitude"`
	Duration  string   `json:"duration"`
	Seed      uint64   `json:"seed,omitempty"`
}

// Spec converts the request, naming the field that is wrong.
func (r Request) Spec() (Spec, error) {
	s := Spec{Model: r.Model, Version: r.Version, Feature: r.Feature, Kind: r.Kind, Seed: r.Seed}
	if r.Magnitude == nil {
		return s, fieldErr("magnitude", "is required")
	}
	s.Magnitude = *r.Magnitude
	if r.Duration == "" {
		return s, fieldErr("duration", "is required, such as 5m")
	}
	d, err := ParseDuration(r.Duration)
	if err != nil {
		return s, fieldErr("duration", "%v", err)
	}
	s.Duration = d
	return s, s.Validate()
}

// ParseDuration reads a Prometheus duration ("90s", "5m", "1h30m") or a Go
// one ("1m30s", "500ms").
func ParseDuration(s string) (time.Duration, error) {
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 90s, 5m or 1h", s)
	}
	return d, nil
}

// Auditor appends audit entries (audit.Log).
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (audit.Entry, error)
}

// HandlerOptions configures the HTTP API; nil Auth allows everything (the
// demo), nil Audit audits nothing.
type HandlerOptions struct {
	Auth   *auth.Authenticator
	Audit  Auditor
	Logger *slog.Logger
}

// Handler serves the game-day API for an Injector.
type Handler struct {
	inj  *Injector
	opts HandlerOptions
}

// NewHandler returns the API of inj.
func NewHandler(inj *Injector, opts HandlerOptions) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{inj: inj, opts: opts}
}

// Routes lists the API behind its role checks: viewer for GET, responder
// for POST and DELETE (every mutating call is audited).
func (h *Handler) Routes() []route.Route {
	routes := []route.Route{
		{Method: http.MethodGet, Pattern: PathInjections, Role: auth.RoleViewer, Handler: http.HandlerFunc(h.list)},
		{Method: http.MethodPost, Pattern: PathInjections, Role: auth.RoleResponder, Handler: http.HandlerFunc(h.start)},
		{Method: http.MethodDelete, Pattern: PathInjections + "/{id}", Role: auth.RoleResponder, Handler: http.HandlerFunc(h.stop)},
	}
	for i := range routes {
		routes[i].Handler = h.guard(routes[i].Role, routes[i].Handler)
	}
	return routes
}

type auditKey struct{}

type auditState struct {
	principal auth.Principal
	detail    string
}

func (h *Handler) guard(need auth.Role, next http.Handler) http.Handler {
	inner := next
	if h.opts.Auth != nil {
		inner = h.opts.Auth.Require(need, next, func(r *http.Request, p auth.Principal, _ int, msg string) {
			if st, ok := r.Context().Value(auditKey{}).(*auditState); ok {
				st.principal, st.detail = p, "refused: "+msg
			}
		})
	}
	if need == auth.RoleViewer || h.opts.Audit == nil {
		return inner
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &auditState{principal: auth.Principal{Name: auth.Anonymous}}
		rec := &apienv.StatusRecorder{ResponseWriter: w}
		inner.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), auditKey{}, st)))
		if st.principal.Name == "" {
			st.principal.Name = auth.Anonymous
		}
		status := rec.Code()
		_, err := h.opts.Audit.Append(context.WithoutCancel(r.Context()), audit.Entry{
			Actor: st.principal.Name, Role: st.principal.Role.String(), Method: r.Method, Path: r.URL.Path,
			Status: status, Detail: st.detail,
		})
		if err != nil {
			h.opts.Logger.Error("audit log append failed", "path", r.URL.Path, "actor", st.principal.Name, "err", err)
		}
	})
}

// note tells the audit wrapper who acted and what happened.
func note(r *http.Request, detail string) string {
	p := auth.FromContext(r.Context())
	if st, ok := r.Context().Value(auditKey{}).(*auditState); ok {
		st.principal = p
		if st.detail == "" || strings.HasPrefix(detail, "error") {
			st.detail = detail
		}
	}
	return p.Name
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	note(r, "error: "+msg)
	apienv.Error(w, status, msg)
}

const maxBody = 64 << 10

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	apienv.Data(w, http.StatusOK, h.inj.List(r.Context()))
}

func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, "reading the request body: "+err.Error())
		return
	}
	if len(body) > maxBody {
		h.fail(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is over %d bytes", maxBody))
		return
	}
	req, err := DecodeRequest(body)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	spec, err := req.Spec()
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	actor := note(r, fmt.Sprintf("gameday inject model=%s version=%s feature=%s kind=%s magnitude=%g duration=%s",
		spec.Model, spec.Version, spec.Feature, spec.Kind, spec.Magnitude, req.Duration))
	inj, err := h.inj.Start(r.Context(), spec, actor)
	var fe *FieldError
	switch {
	case errors.As(err, &fe) && fe.NotFound:
		h.fail(w, r, http.StatusNotFound, err.Error())
		return
	case errors.As(err, &fe):
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	case errors.Is(err, ErrTooManyActive):
		h.fail(w, r, http.StatusConflict, err.Error())
		return
	case errors.Is(err, ErrStopping):
		h.fail(w, r, http.StatusServiceUnavailable, err.Error())
		return
	case err != nil:
		h.opts.Logger.Error("starting a game-day injection failed", "err", err)
		h.fail(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	apienv.Data(w, http.StatusCreated, inj)
}

func (h *Handler) stop(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	actor := note(r, "gameday stop "+id)
	inj, err := h.inj.Stop(r.Context(), id, actor)
	if errors.Is(err, ErrNotFound) {
		h.fail(w, r, http.StatusNotFound, "id: "+err.Error())
		return
	}
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	apienv.Data(w, http.StatusOK, inj)
}

// DecodeRequest decodes a POST body strictly: unknown fields and trailing
// data are errors naming the field.
func DecodeRequest(body []byte) (Request, error) {
	var req Request
	if len(bytes.TrimSpace(body)) == 0 {
		return req, errors.New("request body is empty; expected a JSON object with model, feature, kind, magnitude and duration")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return req, fmt.Errorf("%s: must be a JSON %s, not %s", te.Field, te.Type.Kind(), te.Value)
		}
		return req, fmt.Errorf("request body: %w", err)
	}
	if dec.More() {
		return req, errors.New("request body: unexpected data after the JSON object")
	}
	return req, nil
}
