package api

import (
	"encoding/json"
	"time"
)

// PredictionRecord is one stored prediction as the collector hands it back
// (GET /api/v1/predictions/sample, one line of the NDJSON export): the
// inputs, the prediction and, when the model logged them, the per-feature
// contributions.
type PredictionRecord struct {
	Model     string    `json:"model"`
	Version   string    `json:"version"`
	Role      string    `json:"role"`
	RequestID string    `json:"request_id,omitempty"`
	TS        time.Time `json:"ts"`
	LatencyMS *float64  `json:"latency_ms,omitempty"`
	// Features are the inputs as logged: a JSON number, string, bool or
	// null each.
	Features map[string]json.RawMessage `json:"features"`
	// Prediction is a number, a label, or class scores (an object).
	Prediction json.RawMessage `json:"prediction,omitempty"`
	Status     string          `json:"status"`
	Injected   bool            `json:"injected,omitempty"`
	// Explanations are the logged contributions by feature; nil when the
	// record carries none.
	Explanations map[string]float64   `json:"explanations,omitempty"`
	FeatureTS    map[string]time.Time `json:"feature_ts,omitempty"`
}
