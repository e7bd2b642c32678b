package api

import "time"

// Window kinds of DriftHistogram.
const (
	// WindowScored is the last closed window, the one the drift scores
	// (mle_feature_drift_score) were computed from: the default.
	WindowScored = "scored"
	// WindowOpen is the window still filling.
	WindowOpen = "open"
)

// DriftHistogram is GET /api/v1/drift/{model}/features/{feature}/histogram:
// one feature's distribution in a window of its model version
// (the scored window by default) beside its training profile's.
type DriftHistogram struct {
	Model   string      `json:"model"`
	Version string      `json:"version"`
	Feature string      `json:"feature"`
	Type    string      `json:"type"` // Numerical or Categorical
	Window  DriftWindow `json:"window"`
	// Baseline is nil when no training profile names the feature.
	Baseline *BaselineInfo `json:"baseline"`
	// Numeric is set for numerical features, Categories for categorical.
	Numeric    *NumericBins    `json:"numeric,omitempty"`
	Categories []CategoryCount `json:"categories,omitempty"`
}

// DriftWindow is the window the counts come from. Kind is WindowScored for the
// last closed window (Start to End: when it opened and when it was closed
// and scored, at the first series write at or after Start plus the window
// length) or WindowOpen for the open window (it opened at Start, the model
// version's first record or when its previous window closed, and is closed
// at the first series write at or after End). An answer asked for the
// scored window is the open one, saying so, until the first window closes.
// Start and End are absent before the model version's first record. Length
// is End minus Start. Samples are the values seen (missing ones apart).
type DriftWindow struct {
	Kind    string     `json:"kind"`
	Start   *time.Time `json:"start,omitempty"`
	End     *time.Time `json:"end,omitempty"`
	Length  float64    `json:"length_seconds"`
	Samples uint64     `json:"samples"`
	Missing uint64     `json:"missing"`
}

// BaselineInfo summarises the training profile the bins come from.
type BaselineInfo struct {
	Rows    int `json:"rows"`    // the feature's profiled count
	Sampled int `json:"sampled"` // values its proportions are computed from
}

// NumericBins are the window's counts over the baseline's bins: Bins equal
// bins over the profile's [min, max] (over the window's own range without a
// profile). Below and Above count window values outside the edges. The
// counts come from the window's sketch: a sketch bucket (about 1% of |x|
// wide) straddling an edge is split by linear interpolation and counted in
// Uncertain, so the counts are exact when Uncertain is 0 and otherwise off
// by at most 2*Uncertain in total (L1). BaselineProportions bin the
// profile's sample (exact for profiles of up to 10000 rows).
type NumericBins struct {
	Edges               []float64 `json:"edges"`
	Counts              []float64 `json:"counts"`
	Below               float64   `json:"below"`
	Above               float64   `json:"above"`
	Uncertain           float64   `json:"uncertain"`
	BaselineProportions []float64 `json:"baseline_proportions"`
}

// CategoryCount is one category: its exact count in the window and its
// share of the training profile (nil without a profile).
type CategoryCount struct {
	Value              string   `json:"value"`
	Count              uint64   `json:"count"`
	BaselineProportion *float64 `json:"baseline_proportion"`
}
