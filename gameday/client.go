package gameday

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client calls the game-day API of a collector.
type Client struct {
	base  string
	token string
	hc    *http.Client
}

// NewClient returns a client of the collector at baseURL; token may be empty.
func NewClient(baseURL, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("collector URL %q is not an http(s) URL", baseURL)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, hc: hc}, nil
}

// APIError is an error answer of the collector.
type APIError struct {
	Status int
	Msg    string
}

func (e *APIError) Error() string { return fmt.Sprintf("collector answered %d: %s", e.Status, e.Msg) }

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
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
		return fmt.Errorf("%s %s: %w", method, c.base+path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, c.base+path, err)
	}
	var env struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if jerr := json.Unmarshal(b, &env); jerr != nil || resp.StatusCode/100 != 2 {
		msg := env.Error
		if msg == "" {
			msg = strings.TrimSpace(string(b))
		}
		if resp.StatusCode == http.StatusNotFound && strings.HasPrefix(msg, "404 page not found") {
			msg = "this collector does not serve the game-day API"
		}
		if resp.StatusCode/100 == 2 {
			return fmt.Errorf("%s %s: unreadable answer: %w", method, path, jerr)
		}
		return &APIError{Status: resp.StatusCode, Msg: msg}
	}
	if out != nil {
		return json.Unmarshal(env.Data, out)
	}
	return nil
}

// Start starts an injection.
func (c *Client) Start(ctx context.Context, r Request) (Injection, error) {
	var inj Injection
	err := c.do(ctx, http.MethodPost, PathInjections, r, &inj)
	return inj, err
}

// List lists the injections, newest first.
func (c *Client) List(ctx context.Context) ([]Injection, error) {
	var out []Injection
	err := c.do(ctx, http.MethodGet, PathInjections, nil, &out)
	return out, err
}

// Stop stops an injection.
func (c *Client) Stop(ctx context.Context, id string) (Injection, error) {
	var inj Injection
	err := c.do(ctx, http.MethodDelete, PathInjections+"/"+url.PathEscape(id), nil, &inj)
	return inj, err
}
