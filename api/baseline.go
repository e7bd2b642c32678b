package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Feature types.
const (
	Numerical   = "numerical"
	Categorical = "categorical"
)

// Profile is a training profile of one model version (GET and PUT
// /api/v1/baselines/{model}/{version}).
type Profile struct {
	Model    string           `json:"model"`
	Version  string           `json:"version"`
	Rows     int              `json:"rows"`
	Created  time.Time        `json:"created"`
	Features []FeatureProfile `json:"features"`
}

// FeatureProfile profiles one column.
type FeatureProfile struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Count   int    `json:"count"`
	Missing int    `json:"missing"`
	// Numerical.
	Min       float64   `json:"min,omitempty"`
	Max       float64   `json:"max,omitempty"`
	Mean      float64   `json:"mean,omitempty"`
	Std       float64   `json:"std,omitempty"`
	Quantiles []float64 `json:"quantiles,omitempty"` // 0, 0.1, ..., 1
	Sample    []float64 `json:"sample,omitempty"`    // sorted
	// Categorical.
	Categories []Category `json:"categories,omitempty"`
}

// Category is one categorical value and how often it occurred.
type Category struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Feature returns the named feature's profile, or nil.
func (p *Profile) Feature(name string) *FeatureProfile {
	for i := range p.Features {
		if p.Features[i].Name == name {
			return &p.Features[i]
		}
	}
	return nil
}

// Marshal encodes p as JSON, the form the API and the store use.
func (p *Profile) Marshal() ([]byte, error) { return json.Marshal(p) }

// UnmarshalProfile decodes a profile written by Marshal and checks it.
func UnmarshalProfile(b []byte) (*Profile, error) {
	var p Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("baseline profile: %w", err)
	}
	if p.Model == "" || p.Version == "" {
		return nil, errors.New("baseline profile: model and version are required")
	}
	for _, f := range p.Features {
		if f.Name == "" || (f.Type != Numerical && f.Type != Categorical) {
			return nil, fmt.Errorf("baseline profile: feature %q has type %q, want numerical or categorical", f.Name, f.Type)
		}
	}
	return &p, nil
}
