package alerting

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls a collector's alerting API (Handler).
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// NewClient returns a client for the collector at baseURL; token may be
// empty.
func NewClient(baseURL, token string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("collector URL %q is not an http(s) URL", baseURL)
	}
	return &Client{base: u, token: token, hc: &http.Client{Timeout: 30 * time.Second}}, nil
}

// APIError is an error answer of the API.
type APIError struct {
	Status int
	Type   string
	Msg    string
}

func (e *APIError) Error() string {
	switch e.Status {
	case http.StatusUnauthorized:
		return fmt.Sprintf("not authorized (401): %s — pass --token or set MLECTL_TOKEN", e.Msg)
	case http.StatusForbidden:
		return fmt.Sprintf("forbidden (403): %s", e.Msg)
	case http.StatusNotFound:
		return fmt.Sprintf("not found (404): %s", e.Msg)
	}
	return fmt.Sprintf("collector answered %d %s: %s", e.Status, e.Type, e.Msg)
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("calling collector: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading collector answer: %w", err)
	}
	var env struct {
		Status    string          `json:"status"`
		Data      json.RawMessage `json:"data"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("collector answered %s with a body that is not the API envelope: %.200s", resp.Status, b)
	}
	if env.Status != "success" {
		return &APIError{Status: resp.StatusCode, Type: env.ErrorType, Msg: env.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("decoding collector answer: %w", err)
	}
	return nil
}

// Alerts lists active alerts.
func (c *Client) Alerts(ctx context.Context) ([]ActiveAlert, error) {
	var out []ActiveAlert
	return out, c.do(ctx, http.MethodGet, "/api/v1/alerts/state", nil, &out)
}

// Ack acknowledges the alert with id.
func (c *Client) Ack(ctx context.Context, id, comment string) (Ack, error) {
	var out Ack
	return out, c.do(ctx, http.MethodPost, "/api/v1/alerts/ack", AckRequest{ID: id, Comment: comment}, &out)
}

// CreateSilence creates a silence.
func (c *Client) CreateSilence(ctx context.Context, req SilenceRequest) (Silence, error) {
	var out Silence
	return out, c.do(ctx, http.MethodPost, "/api/v1/silences", req, &out)
}

// Silences lists silences.
func (c *Client) Silences(ctx context.Context) ([]Silence, error) {
	var out []Silence
	return out, c.do(ctx, http.MethodGet, "/api/v1/silences", nil, &out)
}

// ExpireSilence ends the silence with id now.
func (c *Client) ExpireSilence(ctx context.Context, id string) (Silence, error) {
	var out Silence
	return out, c.do(ctx, http.MethodDelete, "/api/v1/silences/"+url.PathEscape(id), nil, &out)
}
