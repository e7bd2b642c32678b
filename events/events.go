package events

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Kind classifies an event. The set is open: writers may add kinds, readers
// must ignore the ones they do not know.
type Kind string

// Event kinds written by mlectl itself.
const (
	KindDeploy        Kind = "deploy"
	KindVersionChange Kind = "version_change"
	KindAlertFiring   Kind = "alert_firing"
	KindAlertResolved Kind = "alert_resolved"
	KindAck           Kind = "ack"
	KindSilence       Kind = "silence"
	KindAction        Kind = "action"
	KindRunbookStep   Kind = "runbook_step"
	// KindInjection is a game-day fault injection starting or stopping
	// (Action "start" or "stop", label injection_id; package gameday).
	KindInjection       Kind = "injection"
	KindAnnotation      Kind = "annotation"
	KindDriftDetected   Kind = "drift_detected"
	KindSLOBreach       Kind = "slo_breach"
	KindIncidentResolve Kind = "incident_resolved"
)

// Result values for action and runbook_step events.
const (
	ResultOK     = "ok"
	ResultFailed = "failed"
	ResultDryRun = "dry_run"
)

// Event is one thing that happened to a model or to the system. Time is UTC
// with nanosecond precision; ID is assigned by the store and orders events
// that share a timestamp.
type Event struct {
	ID      string            `json:"id,omitempty"`
	Time    time.Time         `json:"time"`
	Kind    Kind              `json:"kind"`
	Model   string            `json:"model,omitempty"`
	Version string            `json:"version,omitempty"`
	Actor   string            `json:"actor,omitempty"`
	Text    string            `json:"text,omitempty"`
	Action  string            `json:"action,omitempty"`
	Result  string            `json:"result,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
}

// Validate reports the first field that makes e unfit for the log.
func (e Event) Validate() error {
	if e.Kind == "" {
		return fmt.Errorf("event field kind is empty")
	}
	if len(e.Kind) > 64 {
		return fmt.Errorf("event field kind is longer than 64 bytes")
	}
	if len(e.Text) > 16<<10 {
		return fmt.Errorf("event field text is longer than 16 KiB")
	}
	if len(e.Labels) > 64 {
		return fmt.Errorf("event field labels has more than 64 entries")
	}
	return nil
}

// Recorder appends events. The rules engine, the registry actions and the
// API write through it.
type Recorder interface {
	Record(ctx context.Context, e Event) error
}

// Filter selects events. Zero fields match everything; From is inclusive,
// To exclusive.
type Filter struct {
	Model string
	Kinds []Kind
	From  time.Time
	To    time.Time
	// Limit caps the number of events returned (0: DefaultLimit).
	Limit int
}

// DefaultLimit bounds a query that sets no limit, so one request cannot pull
// an unbounded history into memory.
const DefaultLimit = 10000

func (f Filter) match(e *Event) bool {
	if f.Model != "" && e.Model != f.Model {
		return false
	}
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, e.Kind) {
		return false
	}
	return true
}
