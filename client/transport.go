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

	"github.com/mlectl/mlectl/api"
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
	var b []byte
	ctype := ""
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return nil, 0, fmt.Errorf("encoding request for %s: %w", path, err)
		}
		ctype = "application/json"
	}
	resp, err := c.do(ctx, method, path, params, ctype, b)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("reading %s answer: %w", path, err)
	}
	return raw, resp.StatusCode, nil
}

// do sends one request and returns the response unread; only transport
// failures are errors.
func (c *Client) do(ctx context.Context, method, path string, params url.Values, ctype string, body []byte) (*http.Response, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = params.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("building request for %s: %w", path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if name := c.actingFor; name != "" {
		req.Header.Set(api.HeaderActingFor, name)
	} else if name := ActingForFrom(ctx); name != "" {
		req.Header.Set(api.HeaderActingFor, name)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, &UnreachableError{Host: c.base.Host, Err: err}
	}
	return resp, nil
}
