package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/mlectl/mlectl/api"
)

// PredictionRecord is one stored prediction with its inputs and logged
// contributions.
type PredictionRecord = api.PredictionRecord

// SampleRecord fetches GET /api/v1/predictions/sample: the newest record of
// model in the span before at that carries explanations, else the newest
// record; span 0 is the collector's default (5 minutes). version and role
// may be empty: without either, the collector samples the serving
// versions (production, canary), not the shadow; role is serving,
// production, canary or shadow. A collector without the route gives an
// error wrapping ErrNotConfigured; a span without records an *APIError
// with status 404 and the collector's words.
func (c *Client) SampleRecord(ctx context.Context, model, version, role string, at time.Time, span time.Duration) (*PredictionRecord, error) {
	const path = "/api/v1/predictions/sample"
	params := url.Values{"model": {model}}
	if version != "" {
		params.Set("version", version)
	}
	if role != "" {
		params.Set("role", role)
	}
	if !at.IsZero() {
		params.Set("to", strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64))
		if span > 0 {
			params.Set("from", strconv.FormatFloat(float64(at.Add(-span).UnixMilli())/1000, 'f', 3, 64))
		}
	}
	raw, status, err := c.send(ctx, http.MethodGet, path, params, nil)
	if err != nil {
		return nil, err
	}
	if status/100 != 2 {
		return nil, pipelineError(path, status, raw)
	}
	var rec PredictionRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("decoding the sampled record of %s: %w", model, err)
	}
	return &rec, nil
}
