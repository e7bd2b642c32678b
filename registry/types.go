package registry

import (
	"errors"

	"github.com/mlectl/mlectl/api"
)

// Stage is where a version serves (the wire type lives in package api).
type Stage = api.Stage

// Stages. StageNone is a registered version that serves nothing.
const (
	StageNone       = api.StageNone
	StageProduction = api.StageProduction
	StageShadow     = api.StageShadow
	StageCanary     = api.StageCanary
	StageArchived   = api.StageArchived
)

// ParseStage accepts the stage names (and "" for none).
func ParseStage(s string) (Stage, error) { return api.ParseStage(s) }

// Model is a named model and how actions on it are carried out.
type Model = api.Model

// ActionRecord is a committed action.
type ActionRecord = api.ActionRecord

// Version is one trained artifact of a model; Validate checks it for
// registration.
type Version = api.Version

// ModelState is a model with all its versions, oldest first.
type ModelState = api.ModelState

// Errors callers map to HTTP statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrConflict = errors.New("conflict")
	ErrPrecheck = errors.New("pre-check failed")
	ErrInvalid  = api.ErrInvalid
	ErrActuator = errors.New("actuator failed")
)

// ValidName reports whether s can name a model or version.
func ValidName(s string) bool { return api.ValidName(s) }
