package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/mlectl/mlectl/api"
)

// TrainingRunFilter selects training runs; zero fields match everything.
// From and To bound the start time (To exclusive).
type TrainingRunFilter struct {
	Model    string
	From, To time.Time
	Limit    int
}

// AddTrainingRun records one training job (POST /api/v1/training-runs;
// ingest). A bad field is an *APIError with status 400 naming it.
func (c *Client) AddTrainingRun(ctx context.Context, run api.TrainingRun) (api.TrainingRun, error) {
	var out api.TrainingRun
	return out, c.call(ctx, http.MethodPost, "/api/v1/training-runs", nil, run, &out)
}

// TrainingRuns lists training runs, oldest start first.
func (c *Client) TrainingRuns(ctx context.Context, f TrainingRunFilter) ([]api.TrainingRun, error) {
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
	if f.Limit > 0 {
		p.Set("limit", strconv.Itoa(f.Limit))
	}
	var out []api.TrainingRun
	return out, c.call(ctx, http.MethodGet, "/api/v1/training-runs", p, nil, &out)
}
