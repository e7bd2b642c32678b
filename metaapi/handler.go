package metaapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	wire "github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/audit"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/internal/apienv"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/internal/timeparse"
	"github.com/mlectl/mlectl/registry"
	"github.com/mlectl/mlectl/runbooks"
)

// Deps are what the handler serves.
type Deps struct {
	Registry *registry.Registry
	Events   *events.Store
	Audit    *audit.Log
	Runbooks *runbooks.Library
	Auth     *auth.Authenticator
	Silencer Silencer
	Logger   *slog.Logger
	Now      func() time.Time
}

type api struct {
	Deps
}

// maxBody caps request bodies; registry objects are small.
const maxBody = 1 << 20

// New returns the metadata API handler.
func New(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	a := &api{Deps: d}
	mux := http.NewServeMux()
	route.Mount(mux, a.routes())
	return a.audited(mux)
}

// routes are the endpoints, each guarded for its role (refusals audited).
func (a *api) routes() []route.Route {
	var routes []route.Route
	add := func(method, pattern string, need auth.Role, h http.HandlerFunc) {
		var guarded http.Handler = h
		if a.Auth != nil {
			guarded = a.Auth.Require(need, h, a.auditRefusal)
		}
		routes = append(routes, route.Route{Method: method, Pattern: pattern, Role: need, Handler: guarded})
	}
	add(http.MethodGet, "/api/v1/models", auth.RoleViewer, a.listModels)
	add(http.MethodGet, "/api/v1/models/{model}", auth.RoleViewer, a.getModel)
	add(http.MethodPut, "/api/v1/models/{model}", auth.RoleAdmin, a.putModel)
	add(http.MethodGet, "/api/v1/models/{model}/versions", auth.RoleViewer, a.listVersions)
	add(http.MethodPost, "/api/v1/models/{model}/versions", auth.RoleAdmin, a.registerVersion)
	add(http.MethodPost, "/api/v1/models/{model}/versions/{version}/archive", auth.RoleAdmin, a.archive(true))
	add(http.MethodPost, "/api/v1/models/{model}/versions/{version}/unarchive", auth.RoleAdmin, a.archive(false))
	add(http.MethodPost, "/api/v1/models/{model}/rollback", auth.RoleResponder, a.action(registry.ActionRollback))
	add(http.MethodPost, "/api/v1/models/{model}/promote", auth.RoleAdmin, a.action(registry.ActionPromote))
	add(http.MethodPost, "/api/v1/models/{model}/traffic", auth.RoleAdmin, a.action(registry.ActionSetTraffic))
	add(http.MethodGet, "/api/v1/events", auth.RoleViewer, a.listEvents)
	add(http.MethodPost, "/api/v1/events", auth.RoleResponder, a.postEvent)
	add(http.MethodGet, "/api/v1/runbooks", auth.RoleViewer, a.listRunbooks)
	add(http.MethodGet, "/api/v1/runbooks/{id}", auth.RoleViewer, a.getRunbook)
	// The step's own action decides the role (promote needs admin).
	add(http.MethodPost, "/api/v1/runbooks/{id}/steps/{step}", auth.RoleResponder, a.runStep)
	add(http.MethodGet, "/api/v1/audit", auth.RoleViewer, a.listAudit)
	add(http.MethodGet, "/api/v1/audit/verify", auth.RoleViewer, a.verifyAudit)
	return routes
}

// Routes lists the endpoints with their roles, each served by h (New's
// handler: it routes, guards and audits).
func Routes(h http.Handler) []route.Route {
	routes := (&api{}).routes()
	for i := range routes {
		routes[i].Handler = h
	}
	return routes
}

// ---- envelope ----

func ok(w http.ResponseWriter, status int, data any) {
	apienv.Data(w, status, data)
}

func fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	setDetail(r, "error: "+msg)
	apienv.Error(w, status, msg)
}

// failErr maps registry errors to statuses.
func (a *api) failErr(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, registry.ErrInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, registry.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, registry.ErrExists), errors.Is(err, registry.ErrConflict):
		status = http.StatusConflict
	case errors.Is(err, registry.ErrPrecheck):
		status = http.StatusUnprocessableEntity
	case errors.Is(err, registry.ErrActuator):
		status = http.StatusBadGateway
	}
	if status == http.StatusInternalServerError {
		a.Logger.Error("metadata API failure", "path", r.URL.Path, "err", err)
	}
	fail(w, r, status, err.Error())
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			fail(w, r, http.StatusBadRequest, "request body is empty; expected a JSON object")
		} else {
			fail(w, r, http.StatusBadRequest, "request body: "+err.Error())
		}
		return false
	}
	return true
}

// ---- audit ----

// auditState travels in the request context from the audit middleware
// through the auth middleware to the handler.
type auditState struct {
	detail    string
	principal auth.Principal
	done      bool // the refusal hook already wrote the entry
}

type auditKey struct{}

func stateOf(r *http.Request) *auditState {
	st, _ := r.Context().Value(auditKey{}).(*auditState)
	return st
}

// setDetail records what a mutating handler did, for its audit entry; an
// error message replaces the description of the attempt.
func setDetail(r *http.Request, s string) {
	if st := stateOf(r); st != nil && (st.detail == "" || strings.HasPrefix(s, "error")) {
		st.detail = s
	}
}

func mutating(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// audited appends an audit entry for every mutating request, allowed or
// refused. A request the audit log cannot record is still answered: the
// action already happened, and failing it would mislead the caller.
func (a *api) audited(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !mutating(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		st := &auditState{principal: auth.Principal{Name: auth.Anonymous}}
		rec := &apienv.StatusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), auditKey{}, st)))
		if !st.done {
			a.appendAudit(r, st.principal, rec.Code(), st.detail)
		}
	})
}

// notePrincipal returns the caller and lets the audit middleware see who
// the auth middleware identified.
func notePrincipal(r *http.Request) auth.Principal {
	p := auth.FromContext(r.Context())
	if st := stateOf(r); st != nil {
		st.principal = p
	}
	return p
}

func (a *api) auditRefusal(r *http.Request, p auth.Principal, status int, msg string) {
	if st := stateOf(r); st != nil {
		st.done = true
		a.appendAudit(r, p, status, "refused: "+msg)
	}
}

func (a *api) appendAudit(r *http.Request, p auth.Principal, status int, detail string) {
	if status == 0 {
		status = http.StatusOK
	}
	if p.Name == "" {
		p.Name = auth.Anonymous
	}
	_, err := a.Audit.Append(context.WithoutCancel(r.Context()), audit.Entry{
		Actor: p.Name, Role: p.Role.String(), Method: r.Method, Path: r.URL.Path, Status: status, Detail: detail,
		Source: auth.SourceAddr(r),
	})
	if err != nil {
		a.Logger.Error("audit log append failed", "path", r.URL.Path, "actor", p.Name, "err", err)
	}
}

// ---- registry ----

func (a *api) listModels(w http.ResponseWriter, r *http.Request) {
	ms, err := a.Registry.List(r.Context())
	if err != nil {
		a.failErr(w, r, err)
		return
	}
	if ms == nil {
		ms = []registry.ModelState{}
	}
	for i := range ms {
		ms[i].Model = publicModel(r, ms[i].Model)
	}
	ok(w, http.StatusOK, ms)
}

// publicModel hides the actuator's secrets (see actuator.Config.Public):
// header values are never served, header names only to admins.
func publicModel(r *http.Request, m registry.Model) registry.Model {
	m.Actuator = m.Actuator.Public(auth.FromContext(r.Context()).Role >= auth.RoleAdmin)
	return m
}

func (a *api) getModel(w http.ResponseWriter, r *http.Request) {
	st, err := a.Registry.Get(r.Context(), r.PathValue("model"))
	if err != nil {
		a.failErr(w, r, err)
		return
	}
	st.Model = publicModel(r, st.Model)
	ok(w, http.StatusOK, st)
}

func (a *api) listVersions(w http.ResponseWriter, r *http.Request) {
	st, err := a.Registry.Get(r.Context(), r.PathValue("model"))
	if err != nil {
		a.failErr(w, r, err)
		return
	}
	if st.Versions == nil {
		st.Versions = []registry.Version{}
	}
	ok(w, http.StatusOK, st.Versions)
}

// ModelSpec is the body of PUT /api/v1/models/{model}.
type ModelSpec = wire.ModelSpec

func (a *api) putModel(w http.ResponseWriter, r *http.Request) {
	p := notePrincipal(r)
	var spec ModelSpec
	if !decodeBody(w, r, &spec) {
		return
	}
	name := r.PathValue("model")
	setDetail(r, fmt.Sprintf("put model %s actuator=%s", name, spec.Actuator.Kind))
	m, err := a.Registry.PutModel(r.Context(), registry.Model{Name: name, Owner: spec.Owner, Description: spec.Description, Actuator: spec.Actuator}, p.Name)
	if err != nil {
		a.failErr(w, r, err)
		return
	}
	ok(w, http.StatusOK, publicModel(r, m))
}

func (a *api) registerVersion(w http.ResponseWriter, r *http.Request) {
	p := notePrincipal(r)
	var v registry.Version
	if !decodeBody(w, r, &v) {
		return
	}
	model := r.PathValue("model")
	if v.Model != "" && v.Model != model {
		fail(w, r, http.StatusBadRequest, fmt.Sprintf("field model %q does not match the model %q in the URL", v.Model, model))
		return
	}
	v.Model = model
	if v.Owner == "" {
		v.Owner = p.Name
	}
	setDetail(r, fmt.Sprintf("register %s %s sha256=%s stage=%s", model, v.Version, v.SHA256, v.Stage))
	out, err := a.Registry.Register(r.Context(), v, p.Name)
	if err != nil {
		a.failErr(w, r, err)
		return
	}
	ok(w, http.StatusCreated, out)
}

func (a *api) archive(archived bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := notePrincipal(r)
		model, version := r.PathValue("model"), r.PathValue("version")
		setDetail(r, fmt.Sprintf("archive=%t %s %s", archived, model, version))
		v, err := a.Registry.Archive(r.Context(), model, version, archived, p.Name)
		if err != nil {
			a.failErr(w, r, err)
			return
		}
		ok(w, http.StatusOK, v)
	}
}

// ActionBody is the body of rollback, promote and traffic calls.
type ActionBody = wire.ActionBody

func (a *api) action(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := notePrincipal(r)
		var body ActionBody
		if !decodeBody(w, r, &body) {
			return
		}
		req := registry.ActionRequest{Action: kind, Model: r.PathValue("model"), Version: body.Version,
			Reason: body.Reason, Actor: p.Name, DryRun: body.DryRun}
		if kind == registry.ActionSetTraffic {
			if body.TrafficPercent == nil {
				fail(w, r, http.StatusBadRequest, "field traffic_percent is required")
				return
			}
			req.TrafficPercent = *body.TrafficPercent
		}
		a.act(w, r, req)
	}
}

func (a *api) act(w http.ResponseWriter, r *http.Request, req registry.ActionRequest) {
	setDetail(r, fmt.Sprintf("%s %s to=%s traffic=%v dry_run=%t reason=%q", req.Action, req.Model, req.Version, req.TrafficPercent, req.DryRun, req.Reason))
	res, err := a.Registry.Act(r.Context(), req)
	if err != nil {
		a.failErr(w, r, err)
		return
	}
	setDetail(r, fmt.Sprintf("%s %s %s→%s dry_run=%t reason=%q", req.Action, req.Model, res.FromVersion, res.ToVersion, req.DryRun, req.Reason))
	ok(w, http.StatusOK, res)
}

// ---- events ----

// parseTime reads an optional query time (timeparse's forms); empty is zero.
func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return timeparse.Parse(s, now)
}

func (a *api) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f events.Filter
	var err error
	f.Model = q.Get("model")
	now := a.Now()
	if f.From, err = parseTime(q.Get("from"), now); err != nil {
		fail(w, r, http.StatusBadRequest, "parameter from: "+err.Error())
		return
	}
	if f.To, err = parseTime(q.Get("to"), now); err != nil {
		fail(w, r, http.StatusBadRequest, "parameter to: "+err.Error())
		return
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		fail(w, r, http.StatusBadRequest, "parameter to must be after from")
		return
	}
	if f.Model != "" {
		known, err := a.knownModel(r.Context(), f.Model)
		if err != nil {
			a.failErr(w, r, err)
			return
		}
		if !known {
			fail(w, r, http.StatusNotFound, fmt.Sprintf("model %q is unknown: not in the registry and no events recorded for it", f.Model))
			return
		}
	}
	for _, k := range q["kind"] {
		for _, part := range strings.Split(k, ",") {
			if part = strings.TrimSpace(part); part != "" {
				f.Kinds = append(f.Kinds, events.Kind(part))
			}
		}
	}
	if l := q.Get("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil || f.Limit < 1 {
			fail(w, r, http.StatusBadRequest, fmt.Sprintf("parameter limit %q must be a positive integer", l))
			return
		}
	}
	evs, err := a.Events.Query(r.Context(), f)
	if err != nil {
		a.failErr(w, r, err)
		return
	}
	if evs == nil {
		evs = []events.Event{}
	}
	ok(w, http.StatusOK, evs)
}

// responderKinds are the event kinds a responder may post; other kinds
// (alerts, deploys) come from the collector itself or an admin import.
var responderKinds = map[events.Kind]bool{
	events.KindAnnotation: true, events.KindAck: true, events.KindIncidentResolve: true,
	events.KindInjection: true,
}

func (a *api) postEvent(w http.ResponseWriter, r *http.Request) {
	p := notePrincipal(r)
	var e events.Event
	if !decodeBody(w, r, &e) {
		return
	}
	if e.Kind == "" {
		e.Kind = events.KindAnnotation
	}
	if !responderKinds[e.Kind] && p.Role < auth.RoleAdmin {
		fail(w, r, http.StatusForbidden, fmt.Sprintf("event kind %q can only be posted with an admin token", e.Kind))
		return
	}
	if e.Kind == events.KindAnnotation && strings.TrimSpace(e.Text) == "" {
		fail(w, r, http.StatusBadRequest, "field text is empty")
		return
	}
	e.ID = ""
	e.Actor = p.Name
	if e.Time.IsZero() {
		e.Time = a.Now()
	}
	setDetail(r, fmt.Sprintf("event %s model=%s text=%q", e.Kind, e.Model, e.Text))
	if err := e.Validate(); err != nil {
		fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	// A responder's note on a mistyped model would vanish from its
	// timeline; imported facts (alerts, deploys: admin kinds) may name a
	// model the registry does not hold.
	if e.Model != "" && responderKinds[e.Kind] {
		known, err := a.knownModel(r.Context(), e.Model)
		if err != nil {
			a.failErr(w, r, err)
			return
		}
		if !known {
			fail(w, r, http.StatusNotFound, fmt.Sprintf("model %q is unknown: not in the registry and no events recorded for it", e.Model))
			return
		}
	}
	stored, err := a.Events.Append(r.Context(), e)
	if err != nil {
		a.failErr(w, r, err)
		return
	}
	ok(w, http.StatusCreated, stored)
}

// knownModel reports whether model is in the registry or has events: a
// typo in a model name is refused rather than answered with nothing.
func (a *api) knownModel(ctx context.Context, model string) (bool, error) {
	if a.Registry != nil {
		_, err := a.Registry.Get(ctx, model)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, registry.ErrNotFound) {
			return false, err
		}
	}
	evs, err := a.Events.Query(ctx, events.Filter{Model: model, Limit: 1})
	if err != nil {
		return false, err
	}
	return len(evs) > 0, nil
}

// ---- runbooks ----

// RunbookSummary is one entry of GET /api/v1/runbooks.
type RunbookSummary = wire.RunbookSummary

// listRunbooks lists every runbook, or, when query parameters are given,
// the runbooks linked to the alert they describe: runbook and runbook_url
// are the rule's annotations, every other parameter is an alert label
// (GET /api/v1/runbooks?alertname=FeatureDrift&model=fraud).
func (a *api) listRunbooks(w http.ResponseWriter, r *http.Request) {
	out := []RunbookSummary{}
	list := a.Runbooks.All()
	if q := r.URL.Query(); len(q) > 0 {
		labels, annotations := map[string]string{}, map[string]string{}
		for k, v := range q {
			if k == "runbook" || k == "runbook_url" {
				annotations[k] = v[0]
			} else {
				labels[k] = v[0]
			}
		}
		list = a.Runbooks.ForAlert(labels, annotations)
	}
	for _, rb := range list {
		out = append(out, RunbookSummary{ID: rb.ID, Title: rb.Title, Alerts: rb.Alerts, Models: rb.Models, Owner: rb.Owner, Steps: len(rb.Steps), Source: rb.Source})
	}
	ok(w, http.StatusOK, out)
}

func (a *api) getRunbook(w http.ResponseWriter, r *http.Request) {
	rb, found := a.Runbooks.Get(r.PathValue("id"))
	if !found {
		fail(w, r, http.StatusNotFound, fmt.Sprintf("runbook %q not found (GET /api/v1/runbooks lists them)", r.PathValue("id")))
		return
	}
	if r.URL.Query().Get("format") == "markdown" {
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		_, _ = io.WriteString(w, rb.Markdown())
		return
	}
	ok(w, http.StatusOK, rb)
}

// StepBody is the body of POST /api/v1/runbooks/{id}/steps/{n}.
type StepBody = wire.StepBody

// StepResult is what running a step did.
type StepResult = wire.StepResult

func (a *api) runStep(w http.ResponseWriter, r *http.Request) {
	p := notePrincipal(r)
	rb, found := a.Runbooks.Get(r.PathValue("id"))
	if !found {
		fail(w, r, http.StatusNotFound, fmt.Sprintf("runbook %q not found", r.PathValue("id")))
		return
	}
	n, err := strconv.Atoi(r.PathValue("step"))
	if err != nil || n < 1 || n > len(rb.Steps) {
		fail(w, r, http.StatusBadRequest, fmt.Sprintf("step %q: runbook %s has steps 1..%d", r.PathValue("step"), rb.ID, len(rb.Steps)))
		return
	}
	var body StepBody
	if !decodeBody(w, r, &body) {
		return
	}
	step := rb.Steps[n-1]
	args, missing := step.Expand(body.Vars)
	res := StepResult{Runbook: rb.ID, Step: n, Title: step.Title, Action: step.Action, Args: args}
	setDetail(r, fmt.Sprintf("runbook %s step %d action=%s dry_run=%t", rb.ID, n, step.Action, body.DryRun))
	if len(missing) > 0 && step.Action != ActionQueryName {
		fail(w, r, http.StatusBadRequest, fmt.Sprintf("step %d needs values for %s (pass them as vars)", n, strings.Join(missing, ", ")))
		return
	}
	version, err := stepTarget(step.Action, n, args["version"], body.To)
	if err != nil {
		fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	record := func(outcome, result string) {
		res.Outcome = outcome
		if err := a.Events.Record(r.Context(), events.Event{Kind: events.KindRunbookStep, Model: args["model"], Actor: p.Name,
			Action: step.Action, Result: result, Text: fmt.Sprintf("runbook %s step %d (%s): %s", rb.ID, n, step.Title, outcome),
			Labels: map[string]string{"runbook": rb.ID, "step": strconv.Itoa(n)}}); err != nil {
			a.Logger.Error("recording runbook step event", "err", err)
		}
	}
	switch step.Action {
	case "":
		record("read", events.ResultOK)
	case runbooks.ActionQuery:
		if len(missing) > 0 {
			fail(w, r, http.StatusBadRequest, fmt.Sprintf("step %d needs values for %s (pass them as vars)", n, strings.Join(missing, ", ")))
			return
		}
		res.Query = args["query"]
		record("query prepared", events.ResultOK)
	case runbooks.ActionAnnotate:
		if strings.TrimSpace(args["text"]) == "" {
			fail(w, r, http.StatusBadRequest, "annotate step needs a non-empty text")
			return
		}
		if !body.DryRun {
			if err := a.Events.Record(r.Context(), events.Event{Kind: events.KindAnnotation, Model: args["model"], Actor: p.Name,
				Text: args["text"], Labels: map[string]string{"runbook": rb.ID}}); err != nil {
				a.failErr(w, r, err)
				return
			}
		}
		record("annotated", resultFor(body.DryRun))
	case runbooks.ActionRollback, runbooks.ActionPromote:
		kind := registry.ActionRollback
		if step.Action == runbooks.ActionPromote {
			kind = registry.ActionPromote
			if p.Role < auth.RoleAdmin && a.Auth.Mode() != auth.ModeDisabled {
				fail(w, r, http.StatusForbidden, fmt.Sprintf("token %q has role %s; a promote step needs admin", p.Name, p.Role))
				return
			}
		}
		reason := args["reason"]
		if reason == "" {
			reason = fmt.Sprintf("runbook %s step %d", rb.ID, n)
		}
		ar, err := a.Registry.Act(r.Context(), registry.ActionRequest{Action: kind, Model: args["model"], Version: version,
			Reason: reason, Actor: p.Name, DryRun: body.DryRun})
		if err != nil {
			record("failed: "+err.Error(), events.ResultFailed)
			a.failErr(w, r, err)
			return
		}
		res.Result = &ar
		record(fmt.Sprintf("%s %s → %s", kind, ar.Model, ar.ToVersion), resultFor(body.DryRun))
	case runbooks.ActionSilence:
		if a.Silencer == nil {
			fail(w, r, http.StatusNotImplemented, "this collector has no alerting configured, so it cannot create silences")
			return
		}
		d, err := time.ParseDuration(args["duration"])
		if err != nil || d <= 0 {
			fail(w, r, http.StatusBadRequest, fmt.Sprintf("silence step: duration %q is not a positive Go duration (e.g. 1h)", args["duration"]))
			return
		}
		if !body.DryRun {
			id, err := a.Silencer.Silence(r.Context(), args["matchers"], d, args["comment"], p.Name)
			if err != nil {
				fail(w, r, http.StatusBadGateway, "creating silence: "+err.Error())
				return
			}
			res.SilenceID = id
			if err := a.Events.Record(r.Context(), events.Event{Kind: events.KindSilence, Model: args["model"], Actor: p.Name,
				Text: fmt.Sprintf("silenced %s for %s: %s", args["matchers"], d, args["comment"])}); err != nil {
				a.Logger.Error("recording silence event", "err", err)
			}
		}
		record("silenced "+args["matchers"], resultFor(body.DryRun))
	}
	ok(w, http.StatusOK, res)
}

// stepTarget is the version step n acts on: the operator's to (a rollback
// target, as `mlectl rollback --to`), else the step's own version arg. A
// to on a step that is not a rollback, or that contradicts the version the
// step names, is refused rather than ignored.
func stepTarget(action string, n int, stepVersion, to string) (string, error) {
	switch {
	case to == "":
		return stepVersion, nil
	case action != runbooks.ActionRollback:
		return "", fmt.Errorf("to: step %d (%s) is not a rollback; only a rollback step takes a target version", n, stepName(action))
	case stepVersion != "" && stepVersion != to:
		return "", fmt.Errorf("to: step %d rolls back to %s, as the runbook says; it cannot be sent to %s", n, stepVersion, to)
	}
	return to, nil
}

func stepName(action string) string {
	if action == "" {
		return "read-only"
	}
	return action
}

// ActionQueryName is the step action whose placeholders may stay unfilled
// (the client shows the query as is).
const ActionQueryName = runbooks.ActionQuery

func resultFor(dry bool) string {
	if dry {
		return events.ResultDryRun
	}
	return events.ResultOK
}

// ---- audit ----

func (a *api) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, limit := uint64(1), 1000
	if s := q.Get("from"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil || v < 1 {
			fail(w, r, http.StatusBadRequest, fmt.Sprintf("parameter from %q must be a sequence number ≥ 1", s))
			return
		}
		from = v
	}
	if s := q.Get("limit"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			fail(w, r, http.StatusBadRequest, fmt.Sprintf("parameter limit %q must be a positive integer", s))
			return
		}
		limit = v
	}
	es, err := a.Audit.List(r.Context(), from, limit)
	if err != nil {
		a.failErr(w, r, err)
		return
	}
	if es == nil {
		es = []audit.Entry{}
	}
	ok(w, http.StatusOK, es)
}

func (a *api) verifyAudit(w http.ResponseWriter, r *http.Request) {
	rep, err := a.Audit.Verify(r.Context())
	if err != nil {
		a.failErr(w, r, err)
		return
	}
	ok(w, http.StatusOK, rep)
}
