package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mlectl/mlectl/api"
)

// This file holds the calls the command line makes to manage the collector
// (mlectl models, rollback, events, runbook, audit, alerts, gameday): the
// registry writes, the event log with filters, silences, the audit log.
// The console's calls are in client.go, meta.go and ops.go.

// decodeForOperator decodes an /api/v1 answer as the command line reports
// it (WithOperatorErrors): every failure is an *APIError worded for a
// terminal, a route the collector lacks included.
func decodeForOperator(path string, raw []byte, status int, out any) error {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil || env.Status == "" {
		msg := strings.TrimSpace(string(raw))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		if status == http.StatusNotFound {
			msg = path + " is not served by this collector (" + msg + ")"
		}
		return &APIError{StatusCode: status, Message: msg, operator: true}
	}
	if env.Status != "success" || status/100 != 2 {
		return &APIError{StatusCode: status, Type: env.ErrorType, Message: env.Error, operator: true}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("decoding %s answer: %w", path, err)
	}
	return nil
}

func modelPath(model string) string { return "/api/v1/models/" + url.PathEscape(model) }

// PutModel creates or updates a model (admin).
func (c *Client) PutModel(ctx context.Context, name string, spec api.ModelSpec) (api.Model, error) {
	var out api.Model
	return out, c.call(ctx, http.MethodPut, modelPath(name), nil, spec, &out)
}

// Versions lists a model's versions, oldest first.
func (c *Client) Versions(ctx context.Context, model string) ([]api.Version, error) {
	var out []api.Version
	return out, c.call(ctx, http.MethodGet, modelPath(model)+"/versions", nil, nil, &out)
}

// Register adds a version (admin).
func (c *Client) Register(ctx context.Context, v api.Version) (api.Version, error) {
	var out api.Version
	return out, c.call(ctx, http.MethodPost, modelPath(v.Model)+"/versions", nil, v, &out)
}

// Archive archives (or unarchives) a version (admin).
func (c *Client) Archive(ctx context.Context, model, version string, archived bool) (api.Version, error) {
	verb := "unarchive"
	if archived {
		verb = "archive"
	}
	var out api.Version
	return out, c.call(ctx, http.MethodPost, modelPath(model)+"/versions/"+url.PathEscape(version)+"/"+verb, nil, struct{}{}, &out)
}

// Act runs rollback (responder), promote or set_traffic (admin), or with
// DryRun says what it would do.
func (c *Client) Act(ctx context.Context, req api.ActionRequest) (api.ActionResult, error) {
	body := api.ActionBody{Version: req.Version, Reason: req.Reason, DryRun: req.DryRun}
	var path string
	switch req.Action {
	case api.ActionRollback:
		path = "/rollback"
	case api.ActionPromote:
		path = "/promote"
	case api.ActionSetTraffic:
		path = "/traffic"
		pct := req.TrafficPercent
		body.TrafficPercent = &pct
	default:
		return api.ActionResult{}, fmt.Errorf("unknown action %q", req.Action)
	}
	var out api.ActionResult
	return out, c.call(ctx, http.MethodPost, modelPath(req.Model)+path, nil, body, &out)
}

// EventFilter selects events. Zero fields match everything; From is
// inclusive, To exclusive; Limit 0 is the collector's default
// (api.DefaultEventLimit).
type EventFilter struct {
	Model string
	Kinds []api.EventKind
	From  time.Time
	To    time.Time
	Limit int
}

// Events returns the events matching f, oldest first.
func (c *Client) Events(ctx context.Context, f EventFilter) ([]api.Event, error) {
	p := url.Values{}
	if f.Model != "" {
		p.Set("model", f.Model)
	}
	if !f.From.IsZero() {
		p.Set("from", f.From.UTC().Format(time.RFC3339Nano))
	}
	if !f.To.IsZero() {
		p.Set("to", f.To.UTC().Format(time.RFC3339Nano))
	}
	for _, k := range f.Kinds {
		p.Add("kind", string(k))
	}
	if f.Limit > 0 {
		p.Set("limit", strconv.Itoa(f.Limit))
	}
	var out []api.Event
	return out, c.call(ctx, http.MethodGet, "/api/v1/events", p, nil, &out)
}

// PostEvent appends an event (annotation, ack, ...; responder).
func (c *Client) PostEvent(ctx context.Context, e api.Event) (api.Event, error) {
	var out api.Event
	return out, c.call(ctx, http.MethodPost, "/api/v1/events", nil, e, &out)
}

// RunStepWith runs step n (1-based) of runbook id with body's variables,
// or with body.DryRun says what it would do.
func (c *Client) RunStepWith(ctx context.Context, id string, n int, body api.StepBody) (api.StepResult, error) {
	var out api.StepResult
	path := "/api/v1/runbooks/" + url.PathEscape(id) + "/steps/" + strconv.Itoa(n)
	return out, c.call(ctx, http.MethodPost, path, nil, body, &out)
}

// Audit lists audit entries from sequence number from (1 at the least).
func (c *Client) Audit(ctx context.Context, from uint64, limit int) ([]api.AuditEntry, error) {
	p := url.Values{"from": {strconv.FormatUint(max(from, 1), 10)}}
	if limit > 0 {
		p.Set("limit", strconv.Itoa(limit))
	}
	var out []api.AuditEntry
	return out, c.call(ctx, http.MethodGet, "/api/v1/audit", p, nil, &out)
}

// VerifyAudit asks the collector to verify the audit chain.
func (c *Client) VerifyAudit(ctx context.Context) (api.AuditReport, error) {
	var out api.AuditReport
	return out, c.call(ctx, http.MethodGet, "/api/v1/audit/verify", nil, nil, &out)
}

// QueryData evaluates an instant query and returns the envelope's data
// undecoded ({"resultType", "result"}), for tools that print it as is.
func (c *Client) QueryData(ctx context.Context, query string) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.call(ctx, http.MethodGet, "/api/v1/query", url.Values{"query": {query}}, nil, &out)
}

// AckAlert acknowledges the alert with id (from AlertStates) and returns
// the ack.
func (c *Client) AckAlert(ctx context.Context, id, comment string) (api.Ack, error) {
	var out api.Ack
	return out, c.call(ctx, http.MethodPost, "/api/v1/alerts/ack", nil, api.AckRequest{ID: id, Comment: comment}, &out)
}

// PostSilence creates a silence.
func (c *Client) PostSilence(ctx context.Context, req api.SilenceRequest) (api.Silence, error) {
	var out api.Silence
	return out, c.call(ctx, http.MethodPost, "/api/v1/silences", nil, req, &out)
}

// Silences lists silences with their status.
func (c *Client) Silences(ctx context.Context) ([]api.Silence, error) {
	var out []api.Silence
	return out, c.call(ctx, http.MethodGet, "/api/v1/silences", nil, nil, &out)
}

// ExpireSilence ends the silence with id now.
func (c *Client) ExpireSilence(ctx context.Context, id string) (api.Silence, error) {
	var out api.Silence
	return out, c.call(ctx, http.MethodDelete, "/api/v1/silences/"+url.PathEscape(id), nil, nil, &out)
}
