package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/mlectl/mlectl/api"
)

// This file holds the calls the console makes beyond the Prometheus API:
// the registry, the event log, acknowledgements and silences, and the
// shadow comparison report. Their answers use the same envelope.

// withAuthHint tells the operator what to do about a refused write.
func withAuthHint(err error) error {
	var e *APIError
	if !errors.As(err, &e) {
		return err
	}
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w (start the console with --token or MLECTL_TOKEN)", e)
	case http.StatusForbidden:
		return fmt.Errorf("%w (this token's role may not do that)", e)
	}
	return err
}

// Version is one registry version of a model.
type Version = api.Version

// ActionResult is what a rollback or promote did.
type ActionResult = api.ActionResult

// Rollback returns a model's production to version ("" for the previous
// production version); reason goes into the event log.
func (c *Client) Rollback(ctx context.Context, model, version, reason string) (ActionResult, error) {
	var out ActionResult
	err := c.call(ctx, http.MethodPost, "/api/v1/models/"+url.PathEscape(model)+"/rollback", nil, api.ActionBody{Version: version, Reason: reason}, &out)
	if err != nil {
		return out, fmt.Errorf("rollback of %s: %w", model, withAuthHint(err))
	}
	return out, nil
}

// Promote sends all of a model's production traffic to version.
func (c *Client) Promote(ctx context.Context, model, version, reason string) (ActionResult, error) {
	var out ActionResult
	err := c.call(ctx, http.MethodPost, "/api/v1/models/"+url.PathEscape(model)+"/promote", nil, api.ActionBody{Version: version, Reason: reason}, &out)
	if err != nil {
		return out, fmt.Errorf("promotion of %s %s: %w", model, version, withAuthHint(err))
	}
	return out, nil
}

// AlertState is an active alert as the collector's alerting engine holds
// it: with the id that acks use, the ack and the silences muting it.
type AlertState = api.ActiveAlert

// AlertStates lists active alerts with ids, acks and silences. The error
// wraps ErrNotConfigured when the collector evaluates no rules.
func (c *Client) AlertStates(ctx context.Context) ([]AlertState, error) {
	var out []AlertState
	return out, c.call(ctx, http.MethodGet, "/api/v1/alerts/state", nil, nil, &out)
}

// Ack acknowledges the alert with id (from AlertStates).
func (c *Client) Ack(ctx context.Context, id, comment string) error {
	if _, err := c.AckAlert(ctx, id, comment); err != nil {
		return fmt.Errorf("acknowledging the alert: %w", withAuthHint(err))
	}
	return nil
}

// Silence is one alert silence.
type Silence = api.Silence

// CreateSilence mutes alerts matching matchers (a PromQL selector such as
// {alertname="X",model="fraud"}) for d.
func (c *Client) CreateSilence(ctx context.Context, matchers string, d time.Duration, comment string) (Silence, error) {
	body := api.SilenceRequest{Matchers: matchers, Duration: d.String(), Comment: comment}
	var out Silence
	if err := c.call(ctx, http.MethodPost, "/api/v1/silences", nil, body, &out); err != nil {
		return out, fmt.Errorf("creating the silence: %w", withAuthHint(err))
	}
	return out, nil
}

// ShadowReport compares a model's production version with its candidate;
// figures that could not be computed are NaN.
type ShadowReport = api.ShadowReport

// ShadowReport fetches the shadow comparison of model over [from, to).
// The error wraps ErrNotConfigured when the collector has no shadow
// comparison; an *APIError with status 404 says the model has no candidate.
func (c *Client) ShadowReport(ctx context.Context, model string, from, to time.Time) (ShadowReport, error) {
	p := url.Values{}
	if !from.IsZero() {
		p.Set("from", from.UTC().Format(time.RFC3339))
	}
	if !to.IsZero() {
		p.Set("to", to.UTC().Format(time.RFC3339))
	}
	var out ShadowReport
	return out, c.call(ctx, http.MethodGet, "/api/v1/shadow/"+url.PathEscape(model)+"/report", p, nil, &out)
}

// ModelState is a registry model with its versions and production history.
type ModelState = api.ModelState

// Model fetches one registry model with its versions. The error wraps
// ErrNotConfigured when the collector has no registry, and is an *APIError
// with status 404 when the registry does not know the model.
func (c *Client) Model(ctx context.Context, name string) (ModelState, error) {
	var out ModelState
	return out, c.call(ctx, http.MethodGet, "/api/v1/models/"+url.PathEscape(name), nil, nil, &out)
}

// Models lists every registry model with its versions and production
// version. The error wraps ErrNotConfigured when the collector has no
// registry.
func (c *Client) Models(ctx context.Context) ([]ModelState, error) {
	var out []ModelState
	return out, c.call(ctx, http.MethodGet, "/api/v1/models", nil, nil, &out)
}

// Baseline is a model version's training profile: per feature a sorted
// sample and quantiles (numerical) or category counts (categorical).
type Baseline = api.Profile

// Baseline fetches the training profile of model version. The error
// wraps ErrNotConfigured when the collector has no prediction pipeline,
// and is an *APIError with status 404 when no profile was registered.
func (c *Client) Baseline(ctx context.Context, model, version string) (*Baseline, error) {
	path := "/api/v1/baselines/" + url.PathEscape(model) + "/" + url.PathEscape(version)
	raw, status, err := c.send(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, err
	}
	if status/100 != 2 {
		return nil, pipelineError(path, status, raw)
	}
	p, err := api.UnmarshalProfile(raw)
	if err != nil {
		return nil, fmt.Errorf("decoding the %s baseline of %s: %w", version, model, err)
	}
	return p, nil
}

// ShadowReportQuery fetches the shadow comparison of model with the
// report's query parameters as given (from, to, candidate, source,
// threshold, tolerance, top).
func (c *Client) ShadowReportQuery(ctx context.Context, model string, params url.Values) (ShadowReport, error) {
	var out ShadowReport
	return out, c.call(ctx, http.MethodGet, "/api/v1/shadow/"+url.PathEscape(model)+"/report", params, nil, &out)
}

// pipelineError is the error of a prediction-pipeline call that did not
// succeed: the pipeline answers {"error": "..."}; a collector without the
// route answers a plain-text 404, which wraps ErrNotConfigured.
func pipelineError(path string, status int, raw []byte) error {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Error == "" {
		if status == http.StatusNotFound {
			return fmt.Errorf("%s: %w", path, ErrNotConfigured)
		}
		e.Error = firstLine(raw)
	}
	return &APIError{StatusCode: status, Message: e.Error}
}

// AckOn acknowledges the alert with id on the named collector of a
// cluster (?collector=: the collector whose engine holds it, from
// AlertState.Collector); "" is the collector this client talks to.
func (c *Client) AckOn(ctx context.Context, collector, id, comment string) error {
	var out api.Ack
	if err := c.call(ctx, http.MethodPost, "/api/v1/alerts/ack", collectorParam(collector), api.AckRequest{ID: id, Comment: comment}, &out); err != nil {
		return fmt.Errorf("acknowledging the alert: %w", withAuthHint(err))
	}
	return nil
}

// CreateSilenceOn is CreateSilence on the named collector of a cluster
// ("" is the collector this client talks to).
func (c *Client) CreateSilenceOn(ctx context.Context, collector, matchers string, d time.Duration, comment string) (Silence, error) {
	body := api.SilenceRequest{Matchers: matchers, Duration: d.String(), Comment: comment}
	var out Silence
	if err := c.call(ctx, http.MethodPost, "/api/v1/silences", collectorParam(collector), body, &out); err != nil {
		return out, fmt.Errorf("creating the silence: %w", withAuthHint(err))
	}
	return out, nil
}

func collectorParam(name string) url.Values {
	if name == "" {
		return nil
	}
	return url.Values{"collector": {name}}
}
