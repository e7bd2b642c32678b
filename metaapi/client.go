package metaapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/mlectl/mlectl/audit"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/internal/apiclient"
	"github.com/mlectl/mlectl/registry"
	"github.com/mlectl/mlectl/runbooks"
)

// Client calls the metadata API of one collector. Safe for concurrent use.
type Client struct{ api *apiclient.Client }

// APIError is an error answer of the API.
type APIError = apiclient.APIError

// NewClient returns a client for the collector at baseURL; token, when not
// empty, is sent as a bearer token.
func NewClient(baseURL, token string) (*Client, error) {
	// Actions wait for the actuator, which may take its full timeout.
	api, err := apiclient.New(baseURL, token, 5*time.Minute)
	if err != nil {
		return nil, err
	}
	return &Client{api: api}, nil
}

func (c *Client) do(ctx context.Context, method, path string, params url.Values, body, out any) error {
	return c.api.Do(ctx, method, path, params, body, out)
}

func esc(s string) string { return url.PathEscape(s) }

// Models lists every model with its versions.
func (c *Client) Models(ctx context.Context) ([]registry.ModelState, error) {
	var out []registry.ModelState
	return out, c.do(ctx, http.MethodGet, "/api/v1/models", nil, nil, &out)
}

// Model returns one model with its versions.
func (c *Client) Model(ctx context.Context, name string) (registry.ModelState, error) {
	var out registry.ModelState
	return out, c.do(ctx, http.MethodGet, "/api/v1/models/"+esc(name), nil, nil, &out)
}

// PutModel creates or updates a model (admin).
func (c *Client) PutModel(ctx context.Context, name string, spec ModelSpec) (registry.Model, error) {
	var out registry.Model
	return out, c.do(ctx, http.MethodPut, "/api/v1/models/"+esc(name), nil, spec, &out)
}

// Versions lists a model's versions, oldest first.
func (c *Client) Versions(ctx context.Context, model string) ([]registry.Version, error) {
	var out []registry.Version
	return out, c.do(ctx, http.MethodGet, "/api/v1/models/"+esc(model)+"/versions", nil, nil, &out)
}

// Register adds a version (admin).
func (c *Client) Register(ctx context.Context, v registry.Version) (registry.Version, error) {
	var out registry.Version
	return out, c.do(ctx, http.MethodPost, "/api/v1/models/"+esc(v.Model)+"/versions", nil, v, &out)
}

// Act runs rollback (responder), promote or set_traffic (admin).
func (c *Client) Act(ctx context.Context, req registry.ActionRequest) (registry.ActionResult, error) {
	body := ActionBody{Version: req.Version, Reason: req.Reason, DryRun: req.DryRun}
	var path string
	switch req.Action {
	case registry.ActionRollback:
		path = "/rollback"
	case registry.ActionPromote:
		path = "/promote"
	case registry.ActionSetTraffic:
		path = "/traffic"
		pct := req.TrafficPercent
		body.TrafficPercent = &pct
	default:
		return registry.ActionResult{}, fmt.Errorf("unknown action %q", req.Action)
	}
	var out registry.ActionResult
	return out, c.do(ctx, http.MethodPost, "/api/v1/models/"+esc(req.Model)+path, nil, body, &out)
}

// Events returns events matching f, oldest first.
func (c *Client) Events(ctx context.Context, f events.Filter) ([]events.Event, error) {
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
	var out []events.Event
	return out, c.do(ctx, http.MethodGet, "/api/v1/events", p, nil, &out)
}

// PostEvent appends an event (annotation, ack, ... ; responder).
func (c *Client) PostEvent(ctx context.Context, e events.Event) (events.Event, error) {
	var out events.Event
	return out, c.do(ctx, http.MethodPost, "/api/v1/events", nil, e, &out)
}

// Runbooks lists the runbooks.
func (c *Client) Runbooks(ctx context.Context) ([]RunbookSummary, error) {
	var out []RunbookSummary
	return out, c.do(ctx, http.MethodGet, "/api/v1/runbooks", nil, nil, &out)
}

// Runbook returns one runbook.
func (c *Client) Runbook(ctx context.Context, id string) (runbooks.Runbook, error) {
	var out runbooks.Runbook
	return out, c.do(ctx, http.MethodGet, "/api/v1/runbooks/"+esc(id), nil, nil, &out)
}

// RunStep runs step n (1-based) of a runbook.
func (c *Client) RunStep(ctx context.Context, id string, n int, vars map[string]string, dryRun bool) (StepResult, error) {
	var out StepResult
	return out, c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/runbooks/%s/steps/%d", esc(id), n), nil, StepBody{Vars: vars, DryRun: dryRun}, &out)
}

// Audit lists audit entries from sequence number from.
func (c *Client) Audit(ctx context.Context, from uint64, limit int) ([]audit.Entry, error) {
	p := url.Values{"from": {strconv.FormatUint(max(from, 1), 10)}}
	if limit > 0 {
		p.Set("limit", strconv.Itoa(limit))
	}
	var out []audit.Entry
	return out, c.do(ctx, http.MethodGet, "/api/v1/audit", p, nil, &out)
}

// VerifyAudit asks the collector to verify the audit chain.
func (c *Client) VerifyAudit(ctx context.Context) (audit.Report, error) {
	var out audit.Report
	return out, c.do(ctx, http.MethodGet, "/api/v1/audit/verify", nil, nil, &out)
}

// Query evaluates a PromQL instant query and returns the raw result data.
func (c *Client) Query(ctx context.Context, q string) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.do(ctx, http.MethodGet, "/api/v1/query", url.Values{"query": {q}}, nil, &out)
}

// Archive archives (or unarchives) a version (admin).
func (c *Client) Archive(ctx context.Context, model, version string, archived bool) (registry.Version, error) {
	verb := "unarchive"
	if archived {
		verb = "archive"
	}
	var out registry.Version
	return out, c.do(ctx, http.MethodPost, "/api/v1/models/"+esc(model)+"/versions/"+esc(version)+"/"+verb, nil, struct{}{}, &out)
}
