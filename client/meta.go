package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/mlectl/mlectl/api"
)

// call sends one request to an /api/v1 endpoint with an optional JSON body
// and decodes the envelope's data into out. A 404 without the API envelope
// (the route is not mounted) wraps ErrNotConfigured; a 404 in the envelope
// (an unknown runbook, injection, ...) is an *APIError like any refusal.
func (c *Client) call(ctx context.Context, method, path string, params url.Values, body, out any) error {
	raw, status, err := c.send(ctx, method, path, params, body)
	if err != nil {
		return err
	}
	if c.operator {
		return decodeForOperator(path, raw, status, out)
	}
	env, err := decodeEnvelope(raw, status)
	if err != nil {
		var apiErr *APIError
		switch {
		case errors.As(err, &apiErr):
			return err
		case status == http.StatusNotFound:
			return fmt.Errorf("%s: %w", path, ErrNotConfigured)
		}
		return &APIError{StatusCode: status, Message: firstLine(raw)}
	}
	if status/100 != 2 {
		return &APIError{StatusCode: status, Message: firstLine(raw)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("decoding %s data: %w", path, err)
	}
	return nil
}

// RunbookSummary is one entry of GET /api/v1/runbooks.
type RunbookSummary = api.RunbookSummary

// StepResult is what running a runbook step did.
type StepResult = api.StepResult

// Runbook is one runbook with its Markdown body and steps.
type Runbook = api.Runbook

// Event is one entry of the collector's event log.
type Event = api.Event

// Runbooks lists the collector's runbooks; with labels (an alert's labels
// and its runbook annotation) only the runbooks linked to that alert.
func (c *Client) Runbooks(ctx context.Context, labels map[string]string) ([]RunbookSummary, error) {
	p := url.Values{}
	for k, v := range labels {
		p.Set(k, v)
	}
	var out []RunbookSummary
	return out, c.call(ctx, http.MethodGet, "/api/v1/runbooks", p, nil, &out)
}

// Runbook fetches one runbook with its Markdown body and steps.
func (c *Client) Runbook(ctx context.Context, id string) (Runbook, error) {
	var out Runbook
	return out, c.call(ctx, http.MethodGet, "/api/v1/runbooks/"+url.PathEscape(id), nil, nil, &out)
}

// RunStep runs step n (1-based) of runbook id with vars filling its
// ${placeholders}.
func (c *Client) RunStep(ctx context.Context, id string, n int, vars map[string]string) (StepResult, error) {
	return c.RunStepWith(ctx, id, n, api.StepBody{Vars: vars})
}

// EventLog lists events of model ("" for all) in [from, to), oldest first,
// at most limit (0: the collector's default), as api.Event, so the
// timeline package can build reports from them.
func (c *Client) EventLog(ctx context.Context, model string, from, to time.Time, limit int) ([]Event, error) {
	p := url.Values{}
	if model != "" {
		p.Set("model", model)
	}
	if !from.IsZero() {
		p.Set("from", from.UTC().Format(time.RFC3339Nano))
	}
	if !to.IsZero() {
		p.Set("to", to.UTC().Format(time.RFC3339Nano))
	}
	if limit > 0 {
		p.Set("limit", strconv.Itoa(limit))
	}
	var out []Event
	return out, c.call(ctx, http.MethodGet, "/api/v1/events", p, nil, &out)
}

// Injection is one game-day fault injection.
type Injection = api.Injection

// InjectionRequest is the body of POST /api/v1/gameday/injections.
type InjectionRequest = api.InjectionRequest

const injectionsPath = api.PathInjections

// Injections lists active and ended injections, newest first. The error
// wraps ErrNotConfigured when the collector runs no game days.
func (c *Client) Injections(ctx context.Context) ([]Injection, error) {
	var out []Injection
	return out, c.call(ctx, http.MethodGet, injectionsPath, nil, nil, &out)
}

// StartInjection starts a fault injection.
func (c *Client) StartInjection(ctx context.Context, req InjectionRequest) (Injection, error) {
	var out Injection
	return out, c.call(ctx, http.MethodPost, injectionsPath, nil, req, &out)
}

// StopInjection ends an active injection.
func (c *Client) StopInjection(ctx context.Context, id string) (Injection, error) {
	var out Injection
	return out, c.call(ctx, http.MethodDelete, injectionsPath+"/"+url.PathEscape(id), nil, nil, &out)
}
