package api

import (
	"fmt"
	"time"
)

// EventKind classifies an event. The set is open: writers may add kinds,
// readers must ignore the ones they do not know.
type EventKind string

// Event kinds written by mlectl itself.
const (
	KindDeploy        EventKind = "deploy"
	KindVersionChange EventKind = "version_change"
	KindAlertFiring   EventKind = "alert_firing"
	KindAlertResolved EventKind = "alert_resolved"
	KindAck           EventKind = "ack"
	KindSilence       EventKind = "silence"
	KindAction        EventKind = "action"
	KindRunbookStep   EventKind = "runbook_step"
	// KindInjection is a game-day fault injection starting or stopping
	// (Action "start" or "stop", label injection_id; package gameday).
	KindInjection       EventKind = "injection"
	KindAnnotation      EventKind = "annotation"
	KindDriftDetected   EventKind = "drift_detected"
	KindSLOBreach       EventKind = "slo_breach"
	KindIncidentResolve EventKind = "incident_resolved"
)

// Result values for action and runbook_step events.
const (
	ResultOK     = "ok"
	ResultFailed = "failed"
	ResultDryRun = "dry_run"
)

// DefaultEventLimit bounds an event query that sets no limit, so one
// request cannot pull an unbounded history into memory.
const DefaultEventLimit = 10000

// Event is one thing that happened to a model or to the system (GET and
// POST /api/v1/events). Time is UTC with nanosecond precision; ID is
// assigned by the store and orders events that share a timestamp.
type Event struct {
	ID      string            `json:"id,omitempty"`
	Time    time.Time         `json:"time"`
	Kind    EventKind         `json:"kind"`
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
