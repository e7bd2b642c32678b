package events

import (
	"context"
	"slices"
	"time"

	"github.com/mlectl/mlectl/api"
)

// Kind classifies an event; the wire type lives in package api.
type Kind = api.EventKind

// Event kinds written by mlectl itself (see package api).
const (
	KindDeploy          = api.KindDeploy
	KindVersionChange   = api.KindVersionChange
	KindAlertFiring     = api.KindAlertFiring
	KindAlertResolved   = api.KindAlertResolved
	KindAck             = api.KindAck
	KindSilence         = api.KindSilence
	KindAction          = api.KindAction
	KindRunbookStep     = api.KindRunbookStep
	KindInjection       = api.KindInjection
	KindAnnotation      = api.KindAnnotation
	KindDriftDetected   = api.KindDriftDetected
	KindSLOBreach       = api.KindSLOBreach
	KindIncidentResolve = api.KindIncidentResolve
)

// Result values for action and runbook_step events.
const (
	ResultOK     = api.ResultOK
	ResultFailed = api.ResultFailed
	ResultDryRun = api.ResultDryRun
)

// Event is one thing that happened to a model or to the system; the wire
// type lives in package api.
type Event = api.Event

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
const DefaultLimit = api.DefaultEventLimit

func (f Filter) match(e *Event) bool {
	if f.Model != "" && e.Model != f.Model {
		return false
	}
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, e.Kind) {
		return false
	}
	return true
}
