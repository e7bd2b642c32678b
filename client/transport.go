package client

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

// send sends body (JSON, when not nil) to path with params and returns the
// answer's bytes (at most 64 MiB) and HTTP status, whatever the status: the
// caller interprets it. Only transport failures are errors.
func (c *Client) send(ctx context.Context, method, path string, params url.Values, body any) ([]byte, int, error) {
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
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("reading %s answer: %w", path, err)
	}
	return raw, resp.StatusCode, nil
}
