package api

import "time"

// ActiveAlert is an active alert as the collector's alerting engine holds
// it (GET /api/v1/alerts/state): with the id acks use, the ack and the
// silences muting it.
type ActiveAlert struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	State           string            `json:"state"`
	Labels          map[string]string `json:"labels"`
	Annotations     map[string]string `json:"annotations"`
	Value           float64           `json:"value"`
	ActiveAt        time.Time         `json:"activeAt"`
	FiredAt         *time.Time        `json:"firedAt,omitempty"`
	KeepFiringSince *time.Time        `json:"keepFiringSince,omitempty"`
	Ack             *Ack              `json:"ack,omitempty"`
	SilencedBy      []string          `json:"silencedBy,omitempty"`
	// Collector is the collector whose alerting engine holds the alert,
	// when the collector is one of a cluster (absent otherwise): the
	// list merges every collector's, and acks and silences of the alert
	// go to this collector. Reachable false: it did not answer this
	// listing, and the alert is as last seen from it.
	Collector *ModelCollector `json:"collector,omitempty"`
}

// Ack records that a responder has taken an alert. It lasts until the
// alert resolves.
type Ack struct {
	AlertID string    `json:"alertId"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
}

// AckRequest is the body of POST /api/v1/alerts/ack.
type AckRequest struct {
	ID      string `json:"id"`
	Comment string `json:"comment,omitempty"`
}

// SilenceRequest is the body of POST /api/v1/silences: Matchers is a
// selector such as {alertname="X",model="fraud"}; either EndsAt or
// Duration (a Go or Prometheus duration) bounds it.
type SilenceRequest struct {
	Matchers string    `json:"matchers"`
	StartsAt time.Time `json:"startsAt,omitzero"`
	EndsAt   time.Time `json:"endsAt,omitzero"`
	Duration string    `json:"duration,omitempty"`
	Comment  string    `json:"comment"`
}

// Silence is one alert silence (GET/POST /api/v1/silences). The
// collector's alerting.Silence (which also holds the parsed matchers)
// marshals to this shape.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  string    `json:"matchers"`
	StartsAt  time.Time `json:"startsAt"`
	EndsAt    time.Time `json:"endsAt"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`
	// Model is set on silences created for a deploy.
	Model string `json:"model,omitempty"`
	// Status is "active", "pending" or "expired" at the time of the answer.
	Status string `json:"status,omitempty"`
}
