package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mlectl/mlectl/gameday"
)

// Duration is a YAML duration ("30s", "5m", "1h30m").
type Duration time.Duration

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration such as 30s or 5m", n.Line)
	}
	v, err := gameday.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Scenario is one game-day exercise.
type Scenario struct {
	Name string `yaml:"name" json:"name"`
	// Collector is the collector's base URL; mlectl's --collector overrides it.
	Collector string `yaml:"collector,omitempty" json:"collector,omitempty"`
	Model     string `yaml:"model" json:"model"`
	// Version limits the injections to one version (default: every version).
	Version string `yaml:"version,omitempty" json:"version,omitempty"`
	// Poll is how often alerts are read (default 5s).
	Poll    Duration `yaml:"poll,omitempty" json:"poll,omitempty"`
	Loadgen *Loadgen `yaml:"loadgen,omitempty" json:"loadgen,omitempty"`
	Steps   []Step   `yaml:"steps" json:"steps"`

	// Dir resolves relative paths (the scenario file's directory).
	Dir string `yaml:"-" json:"-"`
}

// Loadgen is synthetic traffic for the run, when no real traffic flows.
type Loadgen struct {
	CSV              string  `yaml:"csv" json:"csv"`
	Rate             float64 `yaml:"rate" json:"rate"`
	Version          string  `yaml:"version" json:"version"`
	PredictionColumn string  `yaml:"prediction_column,omitempty" json:"prediction_column,omitempty"`
	// Order is random (default: rows drawn at random) or sequential.
	Order string `yaml:"order,omitempty" json:"order,omitempty"`
	Seed  uint64 `yaml:"seed,omitempty" json:"seed,omitempty"`
}

// Step does exactly one thing.
type Step struct {
	Wait   *Duration `yaml:"wait,omitempty" json:"wait,omitempty"`
	Inject *Inject   `yaml:"inject,omitempty" json:"inject,omitempty"`
	Expect *Expect   `yaml:"expect,omitempty" json:"expect,omitempty"`
	// Stop ends the scenario's injections: "all" or "last".
	Stop string `yaml:"stop,omitempty" json:"stop,omitempty"`
}

// Inject starts an injection on the scenario's model.
type Inject struct {
	Feature   string       `yaml:"feature,omitempty" json:"feature,omitempty"`
	Kind      gameday.Kind `yaml:"kind" json:"kind"`
	Magnitude float64      `yaml:"magnitude" json:"magnitude"`
	Duration  Duration     `yaml:"duration" json:"duration"`
	// Version overrides the scenario's version.
	Version string `yaml:"version,omitempty" json:"version,omitempty"`
	Seed    uint64 `yaml:"seed,omitempty" json:"seed,omitempty"`
}

// Expect waits for an alert.
type Expect struct {
	Alert       string            `yaml:"alert" json:"alert"`
	FiresWithin Duration          `yaml:"fires_within" json:"fires_within"`
	Labels      map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
}

// MaxSteps bounds a scenario.
const MaxSteps = 1000

// MinPoll is the shortest poll interval: each poll reads the collector's
// alerts, so a shorter one would hammer the collector under exercise.
const MinPoll = 100 * time.Millisecond

// Decode reads a scenario strictly: unknown keys, a step with none or
// several actions, and invalid values are errors naming the field.
func Decode(data []byte) (*Scenario, error) {
	var sc Scenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&sc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("scenario is empty; want model and steps")
		}
		return nil, fmt.Errorf("scenario: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("scenario: want one YAML document, found more")
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return &sc, nil
}

// Load reads and decodes a scenario file; relative paths in it resolve
// against its directory.
func Load(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	sc, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sc.Dir = filepath.Dir(path)
	return sc, nil
}

// Validate reports the first invalid field, by its path.
func (sc *Scenario) Validate() error {
	if strings.TrimSpace(sc.Model) == "" {
		return errors.New("model: is required")
	}
	if sc.Poll < 0 || (sc.Poll > 0 && time.Duration(sc.Poll) < MinPoll) {
		return fmt.Errorf("poll: must be at least %s (each poll reads the collector's alerts), not %s", MinPoll, time.Duration(sc.Poll))
	}
	if lg := sc.Loadgen; lg != nil {
		switch {
		case lg.CSV == "":
			return errors.New("loadgen.csv: is required (a CSV file, one column per feature)")
		case !(lg.Rate > 0) || lg.Rate > 1e6:
			return fmt.Errorf("loadgen.rate: must be between 0 and 1000000 records per second, not %g", lg.Rate)
		case lg.Order != "" && lg.Order != "random" && lg.Order != "sequential":
			return fmt.Errorf("loadgen.order: must be random or sequential, not %q", lg.Order)
		case lg.Version == "" && sc.Version == "":
			return errors.New("loadgen.version: is required (or set the scenario's version)")
		}
	}
	if len(sc.Steps) == 0 {
		return errors.New("steps: want at least one step")
	}
	if len(sc.Steps) > MaxSteps {
		return fmt.Errorf("steps: at most %d steps, got %d", MaxSteps, len(sc.Steps))
	}
	for i, st := range sc.Steps {
		at := fmt.Sprintf("steps[%d]", i)
		n := 0
		for _, set := range []bool{st.Wait != nil, st.Inject != nil, st.Expect != nil, st.Stop != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: want exactly one of wait, inject, expect, stop; got %d", at, n)
		}
		switch {
		case st.Wait != nil:
			if *st.Wait <= 0 {
				return fmt.Errorf("%s.wait: must be positive", at)
			}
		case st.Inject != nil:
			in := st.Inject
			spec := gameday.Spec{Model: sc.Model, Version: in.Version, Feature: in.Feature, Kind: in.Kind,
				Magnitude: in.Magnitude, Duration: time.Duration(in.Duration)}
			if err := spec.Validate(); err != nil {
				var fe *gameday.FieldError
				if errors.As(err, &fe) {
					return fmt.Errorf("%s.inject.%s: %s", at, fe.Field, fe.Msg)
				}
				return fmt.Errorf("%s.inject: %w", at, err)
			}
		case st.Expect != nil:
			if strings.TrimSpace(st.Expect.Alert) == "" {
				return fmt.Errorf("%s.expect.alert: is required (an alert name such as FeatureDrift)", at)
			}
			if st.Expect.FiresWithin <= 0 {
				return fmt.Errorf("%s.expect.fires_within: must be positive, such as 5m", at)
			}
		default:
			if !slices.Contains([]string{"all", "last"}, st.Stop) {
				return fmt.Errorf("%s.stop: must be all or last, not %q", at, st.Stop)
			}
		}
	}
	return nil
}
