package api

import "time"

// PathInjections is the game-day injections collection.
const PathInjections = "/api/v1/gameday/injections"

// Injection is one game-day fault injection as GET/POST/DELETE
// /api/v1/gameday/injections answer it. Kind is one of shift, scale, nulls,
// swap, latency, errors. The collector's gameday.Injection (with a typed
// Kind) marshals to this shape.
type Injection struct {
	ID        string     `json:"id"`
	Model     string     `json:"model"`
	Version   string     `json:"version"`
	Feature   string     `json:"feature"`
	Kind      string     `json:"kind"`
	Magnitude float64    `json:"magnitude"`
	Duration  string     `json:"duration"`
	StartedAt time.Time  `json:"started_at"`
	EndsAt    time.Time  `json:"ends_at"`
	StoppedAt *time.Time `json:"stopped_at,omitempty"`
	Active    bool       `json:"active"`
	Records   int64      `json:"records"`
}

// InjectionRequest is the body of POST /api/v1/gameday/injections.
type InjectionRequest struct {
	Model     string  `json:"model"`
	Version   string  `json:"version,omitempty"`
	Feature   string  `json:"feature,omitempty"`
	Kind      string  `json:"kind"`
	Magnitude float64 `json:"magnitude"`
	Duration  string  `json:"duration"`
	Seed      uint64  `json:"seed,omitempty"`
}
