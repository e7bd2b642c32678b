package alerting

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/mlectl/mlectl/internal/apiclient"
)

// Client calls a collector's alerting API (Handler).
type Client struct{ api *apiclient.Client }

// APIError is an error answer of the API.
type APIError = apiclient.APIError

// NewClient returns a client for the collector at baseURL; token may be
// empty.
func NewClient(baseURL, token string) (*Client, error) {
	api, err := apiclient.New(baseURL, token, 30*time.Second)
	if err != nil {
		return nil, err
	}
	return &Client{api: api}, nil
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	return c.api.Do(ctx, method, path, nil, body, out)
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
