package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"gopkg.in/yaml.v3"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/baseline"
)

// Feature types.
const (
	Numerical   = "numerical"
	Categorical = "categorical"
)

// Violation kinds.
const (
	KindUnknownFeature = "unknown_feature"
	KindMissing        = "missing"
	KindNull           = "null"
	KindWrongType      = "wrong_type"
	KindNonFinite      = "non_finite"
	KindOutOfRange     = "out_of_range"
	KindUnseenCategory = "unseen_category"
	KindNullRate       = "null_rate"
)

// MetricViolations is the series name the Checker writes.
const MetricViolations = api.MetricSchemaViolationsTotal

// Contract is the schema of one model's inputs.
type Contract struct {
	Model string `yaml:"model" json:"model"`
	// Version "" applies to every version without a contract of its own.
	Version      string             `yaml:"version,omitempty" json:"version,omitempty"`
	AllowUnknown bool               `yaml:"allow_unknown,omitempty" json:"allow_unknown,omitempty"`
	Features     map[string]Feature `yaml:"features" json:"features"`
	// Learned marks a contract derived from a training profile; an explicit
	// contract replaces it, a newer profile too.
	Learned bool `yaml:"-" json:"learned,omitempty"`

	// Compiled by Validate: feature names in order, their index, and the
	// indexes of the non-nullable and the null-rate-bounded features.
	names     []string
	specs     []Feature // by index
	index     map[string]int
	required  []int
	nullRated []int
}

// Feature is the contract of one feature.
type Feature struct {
	Type       string   `yaml:"type" json:"type"`
	Min        *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max        *float64 `yaml:"max,omitempty" json:"max,omitempty"`
	Categories []string `yaml:"categories,omitempty" json:"categories,omitempty"`
	Nullable   bool     `yaml:"nullable,omitempty" json:"nullable,omitempty"`
	// MaxNullRate bounds the share of records per flush interval in which
	// the feature is null or missing; 0 means no bound.
	MaxNullRate float64 `yaml:"max_null_rate,omitempty" json:"max_null_rate,omitempty"`

	allowed map[string]bool
}

// Parse reads one contract from YAML; unknown keys are an error.
func Parse(r io.Reader) (*Contract, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var c Contract
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// ParseBytes is Parse on a byte slice.
func ParseBytes(b []byte) (*Contract, error) { return Parse(bytes.NewReader(b)) }

// Validate checks c and prepares it for Check.
func (c *Contract) Validate() error {
	if c.Model == "" {
		return errors.New("contract: model is required")
	}
	if len(c.Features) == 0 {
		return fmt.Errorf("contract for %s: no features", c.Model)
	}
	for name, f := range c.Features {
		switch f.Type {
		case Numerical:
			if len(f.Categories) > 0 {
				return fmt.Errorf("contract for %s: feature %s: categories given for a numerical feature", c.Model, name)
			}
			if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
				return fmt.Errorf("contract for %s: feature %s: min %v is above max %v", c.Model, name, *f.Min, *f.Max)
			}
		case Categorical:
			if f.Min != nil || f.Max != nil {
				return fmt.Errorf("contract for %s: feature %s: min/max given for a categorical feature", c.Model, name)
			}
		default:
			return fmt.Errorf("contract for %s: feature %s: type must be numerical or categorical, not %q", c.Model, name, f.Type)
		}
		if f.MaxNullRate < 0 || f.MaxNullRate > 1 {
			return fmt.Errorf("contract for %s: feature %s: max_null_rate %v is not in [0, 1]", c.Model, name, f.MaxNullRate)
		}
		if len(f.Categories) > 0 {
			f.allowed = make(map[string]bool, len(f.Categories))
			for _, v := range f.Categories {
				f.allowed[v] = true
			}
		}
		c.Features[name] = f
	}
	c.names = c.names[:0]
	for name := range c.Features {
		c.names = append(c.names, name)
	}
	sort.Strings(c.names)
	c.index = make(map[string]int, len(c.names))
	c.specs = make([]Feature, len(c.names))
	c.required, c.nullRated = nil, nil
	for i, name := range c.names {
		c.index[name] = i
		c.specs[i] = c.Features[name]
		if !c.Features[name].Nullable {
			c.required = append(c.required, i)
		}
		if c.Features[name].MaxNullRate > 0 {
			c.nullRated = append(c.nullRated, i)
		}
	}
	return nil
}

// Learn derives a contract from a training profile: the training range and
// categories, nullable where training had missing values, and a null-rate
// bound of twice the training rate (at least 1%).
func Learn(p *baseline.Profile) *Contract {
	c := &Contract{Model: p.Model, Version: p.Version, Features: map[string]Feature{}, Learned: true}
	for _, fp := range p.Features {
		f := Feature{Type: fp.Type, Nullable: fp.Missing > 0}
		if fp.Missing > 0 && fp.Count+fp.Missing > 0 {
			f.MaxNullRate = math.Min(1, math.Max(0.01, 2*float64(fp.Missing)/float64(fp.Count+fp.Missing)))
		}
		if fp.Type == baseline.Numerical {
			lo, hi := fp.Min, fp.Max
			f.Min, f.Max = &lo, &hi
		} else {
			for _, cat := range fp.Categories {
				f.Categories = append(f.Categories, cat.Value)
			}
		}
		c.Features[fp.Name] = f
	}
	_ = c.Validate()
	return c
}

// Violation is one broken rule in one record.
type Violation struct {
	Feature, Kind string
}

// Check appends the violations of r to dst. present, when not nil, must
// have room for one entry per contract feature; Check sets it to whether
// the record carries a non-null value of each (the null-rate input).
func (c *Contract) Check(dst []Violation, r *predlog.Record, present []bool) []Violation {
	var stack [64]bool
	seen := stack[:0]
	if len(c.names) <= len(stack) {
		seen = stack[:len(c.names)]
	} else {
		seen = make([]bool, len(c.names))
	}
	for _, f := range r.Features {
		i, ok := c.index[f.Name]
		if !ok {
			if !c.AllowUnknown {
				dst = append(dst, Violation{f.Name, KindUnknownFeature})
			}
			continue
		}
		spec := &c.specs[i]
		seen[i] = f.Kind != predlog.KindNull
		if k := spec.check(f.Value); k != "" {
			dst = append(dst, Violation{f.Name, k})
		}
	}
	for _, i := range c.required {
		if !seen[i] && r.Feature(c.names[i]).Kind == predlog.KindAbsent {
			dst = append(dst, Violation{c.names[i], KindMissing})
		}
	}
	if present != nil {
		copy(present, seen)
	}
	return dst
}

func (f *Feature) check(v predlog.Value) string {
	switch v.Kind {
	case predlog.KindNull:
		if !f.Nullable {
			return KindNull
		}
		return ""
	case predlog.KindNumber:
		if f.Type != Numerical {
			return KindWrongType
		}
		if f.Min != nil && v.Num < *f.Min || f.Max != nil && v.Num > *f.Max {
			return KindOutOfRange
		}
		return ""
	case predlog.KindString:
		if f.Type == Numerical {
			if isNonFinite(v.Str) {
				return KindNonFinite
			}
			return KindWrongType
		}
		if f.allowed != nil && !f.allowed[v.Str] {
			return KindUnseenCategory
		}
		return ""
	case predlog.KindBool:
		if f.Type == Numerical {
			return KindWrongType
		}
		// pandas spells booleans True/False, JSON true/false: accept both.
		t := strconv.FormatBool(v.IsTrue())
		if f.allowed != nil && !f.allowed[t] && !f.allowed[strings.ToUpper(t[:1])+t[1:]] {
			return KindUnseenCategory
		}
	}
	return ""
}

func isNonFinite(s string) bool {
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "nan", "inf", "infinity":
		return true
	}
	return false
}

type vkey struct{ model, version, feature, kind string }
type mvKey struct{ model, version string }

// nullWindow counts records and null-or-missing values per feature of one
// model version in the current flush interval.
type nullWindow struct {
	records float64
	nulls   []float64 // per contract feature index
	c       *Contract // the contract the indexes refer to
}

// Checker applies contracts to records and keeps the violation counters. It
// is safe for concurrent use.
type Checker struct {
	mu        sync.Mutex
	contracts map[mvKey]*Contract
	counts    map[vkey]float64
	windows   map[mvKey]*nullWindow
	scratch   []Violation
	present   []bool
}

// NewChecker returns a checker without contracts.
func NewChecker() *Checker {
	return &Checker{contracts: map[mvKey]*Contract{}, counts: map[vkey]float64{}, windows: map[mvKey]*nullWindow{}}
}

// Set installs c (replacing the contract of the same model and version); a
// schema change mid-stream applies from the next record on, and counts
// already made are kept.
func (k *Checker) Set(c *Contract) error {
	if err := c.Validate(); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.contracts[mvKey{c.Model, c.Version}] = c
	return nil
}

// Get returns the contract that applies to model/version, or nil.
func (k *Checker) Get(model, version string) *Contract {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.get(model, version)
}

func (k *Checker) get(model, version string) *Contract {
	if c := k.contracts[mvKey{model, version}]; c != nil {
		return c
	}
	return k.contracts[mvKey{model, ""}]
}

// ObserveRecords checks every record and counts its violations.
func (k *Checker) ObserveRecords(recs []predlog.Record) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := range recs {
		r := &recs[i]
		c := k.get(r.Model, r.Version)
		if c == nil {
			continue
		}
		if cap(k.present) < len(c.names) {
			k.present = make([]bool, len(c.names))
		}
		present := k.present[:len(c.names)]
		k.scratch = c.Check(k.scratch[:0], r, present)
		for _, v := range k.scratch {
			k.counts[vkey{r.Model, r.Version, v.Feature, v.Kind}]++
		}
		if len(c.nullRated) == 0 {
			continue
		}
		mv := mvKey{r.Model, r.Version}
		w := k.windows[mv]
		if w == nil || w.c != c {
			// New or replaced contract: start the interval afresh.
			w = &nullWindow{nulls: make([]float64, len(c.names)), c: c}
			k.windows[mv] = w
		}
		w.records++
		for _, i := range c.nullRated {
			if !present[i] {
				w.nulls[i]++
			}
		}
	}
}

// Counts returns a copy of the violation counters, keyed
// model/version/feature/kind.
func (k *Checker) Counts() map[[4]string]float64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(map[[4]string]float64, len(k.counts))
	for key, v := range k.counts {
		out[[4]string{key.model, key.version, key.feature, key.kind}] = v
	}
	return out
}

// closeWindows turns the finished interval's null rates into null_rate
// violations and starts a new interval.
func (k *Checker) closeWindows() {
	for mv, w := range k.windows {
		if w.records > 0 {
			for _, i := range w.c.nullRated {
				name := w.c.names[i]
				if w.nulls[i]/w.records > w.c.Features[name].MaxNullRate {
					k.counts[vkey{mv.model, mv.version, name, KindNullRate}]++
				}
			}
		}
		delete(k.windows, mv)
	}
}

// AppendTo closes the current null-rate interval and writes every counter
// at ts.
func (k *Checker) AppendTo(ctx context.Context, db storage.Appendable, ts time.Time) error {
	k.mu.Lock()
	k.closeWindows()
	keys := make([]vkey, 0, len(k.counts))
	for key := range k.counts {
		keys = append(keys, key)
	}
	vals := make([]float64, len(keys))
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.model != b.model {
			return a.model < b.model
		}
		if a.version != b.version {
			return a.version < b.version
		}
		if a.feature != b.feature {
			return a.feature < b.feature
		}
		return a.kind < b.kind
	})
	for i, key := range keys {
		vals[i] = k.counts[key]
	}
	k.mu.Unlock()
	app := db.Appender(ctx)
	t := ts.UnixMilli()
	for i, key := range keys {
		lset := labels.FromStrings("__name__", MetricViolations, "feature", key.feature, "kind", key.kind, "model", key.model, "version", key.version)
		if _, err := app.Append(0, lset, t, vals[i]); err != nil {
			_ = app.Rollback()
			return fmt.Errorf("append %s: %w", lset, err)
		}
	}
	if err := app.Commit(); err != nil {
		return fmt.Errorf("commit schema violation series: %w", err)
	}
	return nil
}
