// Package apiclient owns the HTTP transport every mlectl client of the
// collector shares: base URL, bearer token, answer size limit, the
// Prometheus API envelope ({"status","data","errorType","error"}) and errors
// worded for the operator. The typed clients (metaapi, alerting, gameday and
// the console's client package) sit on top of it.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// UnreachableError is a request that got no answer from the collector.
// Its message names the host and the network's reason ("connect:
// connection refused"), not Go's `Get "URL": dial tcp …` chain, which
// Unwrap still holds.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	cause := e.Err
	var ue *url.Error
	if errors.As(cause, &ue) {
		cause = ue.Err
	}
	var op *net.OpError
	if errors.As(cause, &op) && op.Err != nil {
		cause = op.Err
	}
	return "collector " + e.Host + " unreachable: " + cause.Error()
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// maxAnswerBytes bounds how much of an answer is read.
const maxAnswerBytes = 64 << 20

// Client calls one collector.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// New returns a client for the collector at baseURL (http or https); token,
// when not empty, is sent as a bearer token; timeout bounds one call.
func New(baseURL, token string, timeout time.Duration) (*Client, error) {
	return NewWithHTTPClient(baseURL, token, &http.Client{Timeout: timeout})
}

// NewWithHTTPClient is New with the caller's HTTP client (its timeout,
// transport and TLS settings).
func NewWithHTTPClient(baseURL, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("collector URL %q must look like http://host:port", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, token: token, hc: hc}, nil
}

// URL is the collector's base URL, for display.
func (c *Client) URL() string { return c.base.String() }

// Host is the collector's host:port, for messages.
func (c *Client) Host() string { return c.base.Host }

// APIError is an error answer of the collector's API.
type APIError struct {
	StatusCode int
	Type       string
	Message    string
}

func (e *APIError) Error() string {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Sprintf("not authorized (401): %s — pass --token or set MLECTL_TOKEN", e.Message)
	case http.StatusForbidden:
		return fmt.Sprintf("forbidden (403): %s", e.Message)
	case http.StatusNotFound:
		return fmt.Sprintf("not found (404): %s", e.Message)
	case http.StatusConflict:
		return fmt.Sprintf("conflict (409): %s", strings.TrimPrefix(e.Message, "conflict: "))
	}
	if e.Type != "" {
		return fmt.Sprintf("collector answered %d %s: %s", e.StatusCode, e.Type, e.Message)
	}
	return fmt.Sprintf("collector answered %d: %s", e.StatusCode, e.Message)
}

// Send sends body (JSON, when not nil) to path with params and returns the
// answer's bytes (at most 64 MiB) and HTTP status, whatever the status: the
// caller interprets it. Only transport failures are errors.
func (c *Client) Send(ctx context.Context, method, path string, params url.Values, body any) ([]byte, int, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = params.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, 0, fmt.Errorf("encoding request for %s: %w", path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, 0, fmt.Errorf("building request for %s: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, &UnreachableError{Host: c.base.Host, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("reading %s answer: %w", path, err)
	}
	return raw, resp.StatusCode, nil
}

// Do sends body (JSON, when not nil) to path with params and decodes the
// envelope's data into out (when not nil). A non-success answer is an
// *APIError.
func (c *Client) Do(ctx context.Context, method, path string, params url.Values, body, out any) error {
	raw, status, err := c.Send(ctx, method, path, params, body)
	if err != nil {
		return err
	}
	var env struct {
		Status    string          `json:"status"`
		Data      json.RawMessage `json:"data"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || env.Status == "" {
		msg := strings.TrimSpace(string(raw))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		if status == http.StatusNotFound {
			msg = path + " is not served by this collector (" + msg + ")"
		}
		return &APIError{StatusCode: status, Message: msg}
	}
	if env.Status != "success" || status/100 != 2 {
		return &APIError{StatusCode: status, Type: env.ErrorType, Message: env.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("decoding %s answer: %w", path, err)
	}
	return nil
}
