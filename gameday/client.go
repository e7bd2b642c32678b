package gameday

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/mlectl/mlectl/internal/apiclient"
)

// Client calls the game-day API of a collector.
type Client struct {
	t *apiclient.Client
}

// NewClient returns a client of the collector at baseURL; token may be
// empty, hc nil means a client with a 30 s timeout.
func NewClient(baseURL, token string, hc *http.Client) (*Client, error) {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	t, err := apiclient.NewWithHTTPClient(baseURL, token, hc)
	if err != nil {
		return nil, err
	}
	return &Client{t: t}, nil
}

// APIError is an error answer of the collector (StatusCode, Type, Message).
type APIError = apiclient.APIError

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	return c.t.Do(ctx, method, path, nil, body, out)
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
