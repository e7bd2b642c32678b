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

	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/metaapi"
	"github.com/mlectl/mlectl/runbooks"
)

// call sends one request to an /api/v1 endpoint with an optional JSON body
// and decodes the envelope's data into out. A 404 without the API envelope
// (the route is not mounted) wraps ErrNotConfigured; a 404 in the envelope
// (an unknown runbook, injection, ...) is an *APIError like any refusal.
func (c *Client) call(ctx context.Context, method, path string, params url.Values, body, out any) error {
	raw, status, err := c.t.Send(ctx, method, path, params, body)
	if err != nil {
		return err
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
type RunbookSummary = metaapi.RunbookSummary

// StepResult is what running a runbook step did.
type StepResult = metaapi.StepResult

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
func (c *Client) Runbook(ctx context.Context, id string) (runbooks.Runbook, error) {
	var out runbooks.Runbook
	return out, c.call(ctx, http.MethodGet, "/api/v1/runbooks/"+url.PathEscape(id), nil, nil, &out)
}

// RunStep runs step n (1-based) of runbook id with vars filling its
// ${placeholders}.
func (c *Client) RunStep(ctx context.Context, id string, n int, vars map[string]string) (StepResult, error) {
	var out StepResult
	path := "/api/v1/runbooks/" + url.PathEscape(id) + "/steps/" + strconv.Itoa(n)
	return out, c.call(ctx, http.MethodPost, path, nil, metaapi.StepBody{Vars: vars}, &out)
}

// EventLog lists events of model ("" for all) in [from, to), oldest first,
// at most limit (0: the collector's default), as the events package types
// them so the timeline package can build reports from them.
func (c *Client) EventLog(ctx context.Context, model string, from, to time.Time, limit int) ([]events.Event, error) {
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
	var out []events.Event
	return out, c.call(ctx, http.MethodGet, "/api/v1/events", p, nil, &out)
}

// Injection is one game-day fault injection.
type Injection struct {
	ID        string     `json:"id"`
	Model     string     `json:"model"`
	Version   string     `json:"version,omitempty"`
	Feature   string     `json:"feature,omitempty"`
	Kind      string     `json:"kind"`
	Magnitude float64    `json:"magnitude"`
	Duration  string     `json:"duration"`
	StartedAt time.Time  `json:"started_at"`
	EndsAt    time.Time  `json:"ends_at"`
	StoppedAt *time.Time `json:"stopped_at,omitempty"`
	Active    bool       `json:"active"`
	Records   int64      `json:"records"`
}

// InjectionRequest is the body of POST /api/v1/gameday/injections.
type InjectionRequest struct {
	Model     string  `json:"model"`
	Version   string  `json:"version,omitempty"`
	Feature   string  `json:"feature,omitempty"`
	Kind      string  `json:"kind"`
	Magnitude float64 `json:"magnitude"`
	Duration  string  `json:"duration"`
}

const injectionsPath = "/api/v1/gameday/injections"

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
