package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// This file holds the calls of the prediction pipeline: ingest, feedback,
// export and baselines. These endpoints answer outside the Prometheus
// envelope ({"error": "..."} on failure), so their refusals are
// *StatusError, not *APIError.

// StatusError is a refusal by an endpoint that answers outside the
// Prometheus envelope: the HTTP status and the collector's message (the
// "error" field of its JSON answer, or the start of a plain-text one).
type StatusError struct {
	StatusCode int
	Message    string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("collector answered HTTP %d: %s", e.StatusCode, e.Message)
}

// NotServed reports a plain 404: the collector does not serve the route at
// all (no prediction pipeline), as opposed to an unknown model.
func (e *StatusError) NotServed() bool {
	return e.StatusCode == http.StatusNotFound && e.Message == "404 page not found"
}

func statusError(status int, body []byte) *StatusError {
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	return &StatusError{StatusCode: status, Message: msg}
}

// sendRaw sends body with content type ctype (when not empty) and returns
// the answer's body, or a *StatusError for a non-2xx answer.
func (c *Client) sendRaw(ctx context.Context, method, path string, params url.Values, ctype string, body []byte) ([]byte, error) {
	resp, err := c.do(ctx, method, path, params, ctype, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("reading %s answer: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, statusError(resp.StatusCode, raw)
	}
	return raw, nil
}

// PostPredictions sends prediction records as NDJSON (POST
// /api/v1/predictions), as a model server does.
func (c *Client) PostPredictions(ctx context.Context, ndjson []byte) error {
	_, err := c.sendRaw(ctx, http.MethodPost, "/api/v1/predictions", nil, "application/x-ndjson", ndjson)
	return err
}

// PostFeedback sends ground-truth labels as NDJSON (POST /api/v1/feedback).
func (c *Client) PostFeedback(ctx context.Context, ndjson []byte) error {
	_, err := c.sendRaw(ctx, http.MethodPost, "/api/v1/feedback", nil, "application/x-ndjson", ndjson)
	return err
}

func baselinePath(model, version string) string {
	return "/api/v1/baselines/" + url.PathEscape(model) + "/" + url.PathEscape(version)
}

// PutBaseline stores profile (an api.Profile as JSON) as the training
// baseline of model version.
func (c *Client) PutBaseline(ctx context.Context, model, version string, profile []byte) error {
	_, err := c.sendRaw(ctx, http.MethodPut, baselinePath(model, version), nil, "application/json", profile)
	return err
}

// BaselineJSON fetches the training baseline of model version as the
// collector stores it (Baseline decodes and checks it instead).
func (c *Client) BaselineJSON(ctx context.Context, model, version string) (json.RawMessage, error) {
	return c.sendRaw(ctx, http.MethodGet, baselinePath(model, version), nil, "", nil)
}

// ExportPredictions streams GET /api/v1/predictions/export with params
// (model, version, from, to, format). The caller closes the reader; the
// client's timeout and ctx bound the whole transfer, so long exports need a
// client made WithTimeout to match.
func (c *Client) ExportPredictions(ctx context.Context, params url.Values) (io.ReadCloser, error) {
	resp, err := c.do(ctx, http.MethodGet, "/api/v1/predictions/export", params, "", nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, statusError(resp.StatusCode, raw)
	}
	return resp.Body, nil
}
