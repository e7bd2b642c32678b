package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Record is one logged prediction, shaped like the collector's prediction
// log line.
type Record struct {
	Model      string
	Version    string
	Role       string // production | shadow | canary
	RequestID  string
	TS         time.Time
	LatencyMS  float64
	Features   map[string]any // float64 or string
	Prediction float64
	Label      float64 // ground truth (known to the simulator; sent later as feedback)
	Status     string  // ok | error
	// Explanations are the per-feature contributions of the prediction,
	// for models that explain (nil otherwise).
	Explanations map[string]float64
}

// Kind says what a model predicts.
type Kind string

const (
	Classifier Kind = "classifier"
	Regressor  Kind = "regressor"
	Ranker     Kind = "ranker"
)

// Model is one simulated model with its live versions.
type Model struct {
	Name       string
	Kind       Kind
	Production string
	Previous   string // the version a rollback goes back to
	Shadow     string
	Profile    *Profile
	Features   []string
	Target     string
	RatePerSec float64
	LatencyMS  float64 // median latency
	ErrorRate  float64
	score      func(row int, p *Profile, shift map[string]float64, version string) float64
	// explain, when set, returns the Shapley values of score's input (nil:
	// the model logs no explanations).
	explain func(row int, p *Profile, shift map[string]float64, version string) map[string]float64
}

// Incident is a staged failure: a feature shift (in standard deviations of
// the feature) and a latency/error regression on one model's production
// version, from At until it is mitigated by a rollback.
type Incident struct {
	Model         string
	Feature       string
	ShiftSigmas   float64
	LatencyFactor float64
	ErrorRate     float64
	At            time.Time
}

// Simulator generates traffic for its models. It is safe for concurrent use.
type Simulator struct {
	mu       sync.Mutex
	models   []*Model
	rng      *rand.Rand
	incident *Incident
	seq      uint64
	carry    map[string]float64 // fractional requests carried between ticks
}

// New returns a simulator over the given models, seeded for reproducibility.
func New(models []*Model, seed uint64) *Simulator {
	return &Simulator{models: models, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), carry: map[string]float64{}}
}

// Models returns the simulated models.
func (s *Simulator) Models() []*Model { return s.models }

// Stage schedules an incident.
func (s *Simulator) Stage(in Incident) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.incident = &in
}

// Incident returns the staged incident, if any.
func (s *Simulator) Incident() (Incident, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.incident == nil {
		return Incident{}, false
	}
	return *s.incident, true
}

// SetProduction switches which version serves production, e.g. after a
// rollback; the incident only affects the version that was live when it
// started.
func (s *Simulator) SetProduction(model, version string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.models {
		if m.Name == model {
			m.Production = version
			return nil
		}
	}
	return fmt.Errorf("simulator: unknown model %q", model)
}

// Tick generates the records of the interval (now-dt, now].
func (s *Simulator) Tick(now time.Time, dt time.Duration) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Record
	for _, m := range s.models {
		want := m.RatePerSec*dt.Seconds() + s.carry[m.Name]
		n := int(want)
		s.carry[m.Name] = want - float64(n)
		affected := s.incident != nil && s.incident.Model == m.Name && !now.Before(s.incident.At) && m.Production != m.Previous
		var shift map[string]float64
		if affected {
			shift = map[string]float64{s.incident.Feature: s.incident.ShiftSigmas * s.std(m, s.incident.Feature)}
		}
		for i := 0; i < n; i++ {
			row := s.rng.IntN(m.Profile.Rows())
			ts := now.Add(-time.Duration(s.rng.Int64N(int64(dt))))
			s.seq++
			features := make(map[string]any, len(m.Features))
			for _, f := range m.Features {
				c := m.Profile.ColumnIndex(f)
				if num := m.Profile.Numeric[c]; num != nil {
					features[f] = num[row] + shift[f]
				} else {
					features[f] = m.Profile.Text[c][row]
				}
			}
			label := s.label(m, row)
			lat := m.LatencyMS * math.Exp(0.35*s.rng.NormFloat64())
			errRate := m.ErrorRate
			if affected {
				lat *= s.incident.LatencyFactor
				errRate = s.incident.ErrorRate
			}
			status := "ok"
			if s.rng.Float64() < errRate {
				status = "error"
			}
			for _, role := range []struct{ role, version string }{{"production", m.Production}, {"shadow", m.Shadow}} {
				if role.version == "" {
					continue
				}
				rec := Record{
					Model: m.Name, Version: role.version, Role: role.role,
					RequestID: fmt.Sprintf("%s-%d", m.Name, s.seq),
					TS:        ts, LatencyMS: lat, Features: features,
					Prediction: m.score(row, m.Profile, shift, role.version),
					Label:      label, Status: status,
				}
				if m.explain != nil {
					rec.Explanations = m.explain(row, m.Profile, shift, role.version)
				}
				if role.role == "shadow" {
					rec.LatencyMS = m.LatencyMS * 1.1 * math.Exp(0.35*s.rng.NormFloat64())
					rec.Status = "ok"
				}
				out = append(out, rec)
			}
		}
	}
	return out
}

func (s *Simulator) label(m *Model, row int) float64 {
	c := m.Profile.ColumnIndex(m.Target)
	if num := m.Profile.Numeric[c]; num != nil {
		return num[row]
	}
	if m.Profile.Text[c][row] == ">50K" {
		return 1
	}
	return 0
}

func (s *Simulator) std(m *Model, feature string) float64 {
	c := m.Profile.ColumnIndex(feature)
	xs := m.Profile.Numeric[c]
	if len(xs) == 0 {
		return 0
	}
	var sum, sq float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	for _, x := range xs {
		sq += (x - mean) * (x - mean)
	}
	return math.Sqrt(sq / float64(len(xs)))
}
