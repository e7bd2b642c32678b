package api

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Stage is where a model version serves.
type Stage string

// Stages. StageNone is a registered version that serves nothing.
const (
	StageNone       Stage = "none"
	StageProduction Stage = "production"
	StageShadow     Stage = "shadow"
	StageCanary     Stage = "canary"
	StageArchived   Stage = "archived"
)

// ParseStage accepts the stage names (and "" for none).
func ParseStage(s string) (Stage, error) {
	switch Stage(s) {
	case "", StageNone:
		return StageNone, nil
	case StageProduction, StageShadow, StageCanary, StageArchived:
		return Stage(s), nil
	}
	return "", fmt.Errorf("stage %q is not one of none, production, shadow, canary, archived", s)
}

// Model is a named model and how actions on it are carried out
// (GET/PUT /api/v1/models/{model}).
type Model struct {
	Name        string         `json:"name"`
	Owner       string         `json:"owner,omitempty"`
	Description string         `json:"description,omitempty"`
	Actuator    ActuatorConfig `json:"actuator"`
	// ProductionHistory lists earlier production versions, oldest first; a
	// rollback without --to returns to the last one.
	ProductionHistory []string `json:"production_history,omitempty"`
	// LastAction is the last action that changed stages, for the
	// double-rollback guard and for display.
	LastAction *ActionRecord `json:"last_action,omitempty"`
	Revision   uint64        `json:"revision"`
	CreatedAt  time.Time     `json:"created_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
}

// ActionRecord is a committed action.
type ActionRecord struct {
	Action      string    `json:"action"`
	FromVersion string    `json:"from_version,omitempty"`
	ToVersion   string    `json:"to_version"`
	Actor       string    `json:"actor,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	At          time.Time `json:"at"`
}

// Version is one trained artifact of a model.
type Version struct {
	Model       string             `json:"model"`
	Version     string             `json:"version"`
	ArtifactURI string             `json:"artifact_uri"`
	SHA256      string             `json:"sha256"`
	Owner       string             `json:"owner,omitempty"`
	CreatedAt   time.Time          `json:"created_at"`
	Metrics     map[string]float64 `json:"metrics,omitempty"`
	// Baseline is the reference data set drift is measured against.
	Baseline       string    `json:"baseline,omitempty"`
	Stage          Stage     `json:"stage"`
	TrafficPercent float64   `json:"traffic_percent"`
	StageChangedAt time.Time `json:"stage_changed_at,omitempty"`
}

// ModelState is a model with all its versions, oldest first.
type ModelState struct {
	Model
	Production string    `json:"production,omitempty"`
	Versions   []Version `json:"versions"`
	// Collector is the model's owner in a cluster (see ModelCollector).
	Collector *ModelCollector `json:"collector,omitempty"`
}

// ErrInvalid is wrapped by the validation errors of request bodies.
var ErrInvalid = errors.New("invalid request")

var nameSyntax = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidName reports whether s can name a model or version.
func ValidName(s string) bool { return nameSyntax.MatchString(s) }

var sha256Syntax = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate reports the first field that makes v unfit for registration.
func (v Version) Validate() error {
	switch {
	case !ValidName(v.Model):
		return fmt.Errorf("%w: field model %q must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}", ErrInvalid, v.Model)
	case !ValidName(v.Version):
		return fmt.Errorf("%w: field version %q must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}", ErrInvalid, v.Version)
	case v.ArtifactURI == "":
		return fmt.Errorf("%w: field artifact_uri is empty", ErrInvalid)
	case !sha256Syntax.MatchString(v.SHA256):
		return fmt.Errorf("%w: field sha256 must be 64 lowercase hex digits", ErrInvalid)
	}
	return nil
}

// Action kinds.
const (
	ActionRollback   = "rollback"
	ActionPromote    = "promote"
	ActionSetTraffic = "set_traffic"
)

// ActionRequest asks for one stage change.
type ActionRequest struct {
	Action string `json:"action"`
	Model  string `json:"model"`
	// Version is the target; a rollback without one returns to the previous
	// production version.
	Version        string  `json:"version,omitempty"`
	TrafficPercent float64 `json:"traffic_percent,omitempty"`
	Reason         string  `json:"reason,omitempty"`
	Actor          string  `json:"actor,omitempty"`
	DryRun         bool    `json:"dry_run,omitempty"`
}

// StageChange is one version's stage before and after an action.
type StageChange struct {
	Version     string  `json:"version"`
	FromStage   Stage   `json:"from_stage"`
	ToStage     Stage   `json:"to_stage"`
	FromTraffic float64 `json:"from_traffic_percent"`
	ToTraffic   float64 `json:"to_traffic_percent"`
	ArtifactURI string  `json:"artifact_uri"`
	SHA256      string  `json:"sha256"`
}

// ActionResult says what an action did (or, with DryRun, would do).
type ActionResult struct {
	Action      string          `json:"action"`
	Model       string          `json:"model"`
	FromVersion string          `json:"from_version,omitempty"`
	ToVersion   string          `json:"to_version"`
	DryRun      bool            `json:"dry_run"`
	Actuator    string          `json:"actuator"`
	Checks      []string        `json:"checks"`
	Changes     []StageChange   `json:"changes"`
	Request     ActuatorRequest `json:"actuator_request"`
	Revision    uint64          `json:"revision"`
}

// ModelSpec is the body of PUT /api/v1/models/{model}.
type ModelSpec struct {
	Owner       string         `json:"owner,omitempty"`
	Description string         `json:"description,omitempty"`
	Actuator    ActuatorConfig `json:"actuator"`
}

// ActionBody is the body of POST /api/v1/models/{model}/rollback, promote
// and traffic.
type ActionBody struct {
	Version        string   `json:"version,omitempty"`
	TrafficPercent *float64 `json:"traffic_percent,omitempty"`
	Reason         string   `json:"reason,omitempty"`
	DryRun         bool     `json:"dry_run,omitempty"`
}
