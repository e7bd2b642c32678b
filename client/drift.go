package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/mlectl/mlectl/api"
)

// DriftHistogram is one feature's distribution in a collector drift window
// beside its training profile's: numerical counts over the profile's bins,
// or category counts. Window.Kind says which window: api.WindowScored, the
// last closed one the drift scores were computed from (with its start, end
// and sample count), or api.WindowOpen, the one still filling (before the
// first window closes, or from a collector that serves only the open
// window). See api.NumericBins for the accuracy of the numerical counts
// (Numeric.Uncertain).
type DriftHistogram = api.DriftHistogram

// DriftHistogram fetches GET /api/v1/drift/{model}/features/{feature}/histogram,
// the collector's default window (the scored one once a window has closed).
// version may be empty when the model has one version; bins 0 asks for the
// collector's default. A collector without the route gives an error
// wrapping ErrNotConfigured; an unknown model or feature an *APIError with
// status 404 and the collector's message.
func (c *Client) DriftHistogram(ctx context.Context, model, version, feature string, bins int) (*DriftHistogram, error) {
	path := "/api/v1/drift/" + url.PathEscape(model) + "/features/" + url.PathEscape(feature) + "/histogram"
	params := url.Values{}
	if version != "" {
		params.Set("version", version)
	}
	if bins != 0 {
		params.Set("bins", strconv.Itoa(bins))
	}
	raw, status, err := c.send(ctx, http.MethodGet, path, params, nil)
	if err != nil {
		return nil, err
	}
	h, err := DecodeDriftHistogram(raw, status)
	var apiErr *APIError
	switch {
	case err == nil:
		return h, nil
	case errors.As(err, &apiErr):
		return nil, err // the collector's own message
	case status == http.StatusNotFound:
		return nil, fmt.Errorf("%s: %w", path, ErrNotConfigured) // a plain 404: no such route
	case status/100 != 2:
		return nil, &APIError{StatusCode: status, Message: firstLine(raw)}
	}
	return nil, fmt.Errorf("%s histogram of %s %s: %w", feature, model, version, err)
}

// DecodeDriftHistogram parses a histogram answer and checks that its bins
// add up (edges one more than counts, proportions one per bin), so views can
// index it safely, and that it names its window: an answer without
// window.kind (a collector that serves only the open window) is the open
// window; a scored window has a start and an end. Exported for fuzzing.
func DecodeDriftHistogram(body []byte, httpStatus int) (*DriftHistogram, error) {
	env, err := decodeEnvelope(body, httpStatus)
	if err != nil {
		return nil, err
	}
	var h DriftHistogram
	if err := json.Unmarshal(env.Data, &h); err != nil {
		return nil, fmt.Errorf("decoding drift histogram: %w", err)
	}
	switch h.Window.Kind {
	case "":
		h.Window.Kind = api.WindowOpen // a collector from before scored windows
	case api.WindowOpen:
	case api.WindowScored:
		if h.Window.Start == nil || h.Window.End == nil {
			return nil, fmt.Errorf("decoding drift histogram: scored window of %q without its start and end", h.Feature)
		}
	default:
		return nil, fmt.Errorf("decoding drift histogram: window kind %q, want %q or %q", h.Window.Kind, api.WindowScored, api.WindowOpen)
	}
	switch h.Type {
	case api.Numerical:
		n := h.Numeric
		if n == nil {
			return nil, fmt.Errorf("decoding drift histogram: numerical feature %q without bins", h.Feature)
		}
		if len(n.Counts) == 0 || len(n.Edges) != len(n.Counts)+1 {
			return nil, fmt.Errorf("decoding drift histogram: %d edges for %d bins", len(n.Edges), len(n.Counts))
		}
		if len(n.BaselineProportions) != 0 && len(n.BaselineProportions) != len(n.Counts) {
			return nil, fmt.Errorf("decoding drift histogram: %d baseline proportions for %d bins", len(n.BaselineProportions), len(n.Counts))
		}
	case api.Categorical:
		if h.Numeric != nil {
			return nil, fmt.Errorf("decoding drift histogram: categorical feature %q with numerical bins", h.Feature)
		}
	default:
		return nil, fmt.Errorf("decoding drift histogram: type %q, want numerical or categorical", h.Type)
	}
	return &h, nil
}
