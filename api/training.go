package api

import "time"

// Training run statuses (POST /api/v1/training-runs).
const (
	TrainingSucceeded = "succeeded"
	TrainingFailed    = "failed"
	TrainingCancelled = "cancelled"
)

// TrainingStatuses lists the statuses a training run may report.
var TrainingStatuses = []string{TrainingSucceeded, TrainingFailed, TrainingCancelled}

// TrainingRun is one training job of a model (POST and GET
// /api/v1/training-runs). Cost is what the job cost, in the unit the
// collector's cost: block prices serving in; Version is the version the
// run produced (empty for a run that produced none). ID and Recorded are
// set by the collector.
type TrainingRun struct {
	ID       string    `json:"id,omitempty"`
	Model    string    `json:"model"`
	Version  string    `json:"version,omitempty"`
	Status   string    `json:"status"`
	Started  time.Time `json:"started"`
	Ended    time.Time `json:"ended"`
	Cost     float64   `json:"cost"`
	Recorded time.Time `json:"recorded,omitempty"`
}
