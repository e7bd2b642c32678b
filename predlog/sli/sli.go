package sli

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/internal/series"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/predlog"
)

// Series names.
const (
	MetricAttributionMeanAbs = api.MetricFeatureAttributionMeanAbs
	MetricAttributionChange  = api.MetricFeatureAttributionChange
	MetricExplanationCover   = api.MetricExplanationCoverageRatio
	MetricFreshness          = api.MetricFeatureFreshnessSeconds
)

// Defaults of Options.
const (
	DefaultWindow      = 5 * time.Minute
	DefaultMaxFeatures = 512
	DefaultMaxSamples  = 8192
)

// Quantiles of mle_feature_freshness_seconds.
var Quantiles = []float64{0.5, 0.99}

// Options configures a Tracker; zero values mean the defaults.
type Options struct {
	Window      time.Duration // default DefaultWindow; the collector's drift.window
	MaxFeatures int           // per model version; more are ignored
	MaxSamples  int           // feature ages kept per feature and window
}

type mvKey struct{ model, version string }

// attrSum accumulates one feature's contributions in a window.
type attrSum struct {
	sumAbs float64
	n      int64
}

// ages is one feature's freshness sample in a window: every age while
// there are at most max, a uniform reservoir of them beyond.
type ages struct {
	v    []float64
	seen int64
}

func (a *ages) add(x float64, max int, rng *rand.Rand) {
	a.seen++
	if len(a.v) < max {
		a.v = append(a.v, x)
		return
	}
	if j := rng.Int64N(a.seen); j < int64(max) {
		a.v[j] = x
	}
}

// closed is what the last closed window of a model version measured.
type closed struct {
	records, explained int64
	meanAbs            map[string]float64
	change             map[string]float64
	fresh              map[string][]float64 // per Quantiles
}

type modelState struct {
	start              int64 // current window start, Unix ms; 0 before the first record
	records, explained int64
	attr               map[string]*attrSum
	ages               map[string]*ages
	everExplained      bool
	reference          map[string]float64 // first window's mean |contribution| per feature
	last               closed
}

// Tracker keeps the windows of every model version. It is safe for
// concurrent use.
type Tracker struct {
	opts   Options
	mu     sync.Mutex
	models map[mvKey]*modelState
	rng    *rand.Rand
}

// New returns an empty tracker.
func New(opts Options) *Tracker {
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.MaxFeatures <= 0 {
		opts.MaxFeatures = DefaultMaxFeatures
	}
	if opts.MaxSamples <= 0 {
		opts.MaxSamples = DefaultMaxSamples
	}
	return &Tracker{opts: opts, models: map[mvKey]*modelState{}, rng: rand.New(rand.NewPCG(1, 2))}
}

func (t *Tracker) model(k mvKey) *modelState {
	m := t.models[k]
	if m == nil {
		m = &modelState{attr: map[string]*attrSum{}, ages: map[string]*ages{}, reference: map[string]float64{}}
		t.models[k] = m
	}
	return m
}

// ObserveRecords adds the records' explanations and feature ages to the
// current window of their model version.
func (t *Tracker) ObserveRecords(recs []predlog.Record) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var last mvKey
	var m *modelState
	for i := range recs {
		r := &recs[i]
		if k := (mvKey{r.Model, r.Version}); m == nil || k != last {
			m, last = t.model(k), k
		}
		if m.start == 0 {
			m.start = r.TS
		}
		m.records++
		if len(r.Explanations) > 0 {
			m.explained++
			m.everExplained = true
		}
		for _, x := range r.Explanations {
			s := m.attr[x.Name]
			if s == nil {
				if len(m.attr) >= t.opts.MaxFeatures {
					continue
				}
				s = &attrSum{}
				m.attr[x.Name] = s
			}
			s.sumAbs += math.Abs(x.Num)
			s.n++
		}
		for _, ft := range r.FeatureTS {
			a := m.ages[ft.Name]
			if a == nil {
				if len(m.ages) >= t.opts.MaxFeatures {
					continue
				}
				a = &ages{}
				m.ages[ft.Name] = a
			}
			a.add(float64(r.TS-ft.TS)/1000, t.opts.MaxSamples, t.rng)
		}
	}
}

// Quantile is the nearest-rank q-quantile of sorted (not empty): the
// smallest value with at least q of the sample at or below it.
func Quantile(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// rotate closes every model's window that is at least Window old at now.
func (t *Tracker) rotate(now time.Time) {
	nowMS := now.UnixMilli()
	for _, m := range t.models {
		if m.start == 0 || nowMS-m.start < t.opts.Window.Milliseconds() {
			continue
		}
		c := closed{records: m.records, explained: m.explained, meanAbs: map[string]float64{}, change: map[string]float64{}, fresh: map[string][]float64{}}
		for name, s := range m.attr {
			if s.n == 0 {
				continue
			}
			mean := s.sumAbs / float64(s.n)
			ref, ok := m.reference[name]
			if !ok {
				ref = mean
				m.reference[name] = ref
			}
			c.meanAbs[name] = mean
			c.change[name] = mean - ref
		}
		for name, a := range m.ages {
			if len(a.v) == 0 {
				continue
			}
			slices.Sort(a.v)
			qs := make([]float64, len(Quantiles))
			for i, q := range Quantiles {
				qs[i] = Quantile(a.v, q)
			}
			c.fresh[name] = qs
		}
		m.last = c
		m.records, m.explained = 0, 0
		clear(m.attr)
		clear(m.ages)
		m.start = nowMS
	}
}

// AppendTo closes windows that are due at ts and writes the values of every
// model version's last closed window.
func (t *Tracker) AppendTo(ctx context.Context, db storage.Appendable, ts time.Time) error {
	var samples []series.Sample
	t.mu.Lock()
	t.rotate(ts)
	keys := make([]mvKey, 0, len(t.models))
	for k := range t.models {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].model != keys[j].model {
			return keys[i].model < keys[j].model
		}
		return keys[i].version < keys[j].version
	})
	for _, k := range keys {
		m := t.models[k]
		c := &m.last
		if m.everExplained && c.records > 0 {
			samples = append(samples, series.Sample{Labels: labels.FromStrings("__name__", MetricExplanationCover, "model", k.model, "version", k.version), V: float64(c.explained) / float64(c.records)})
		}
		for _, name := range sortedKeys(c.meanAbs) {
			samples = append(samples,
				series.Sample{Labels: labels.FromStrings("__name__", MetricAttributionMeanAbs, "feature", name, "model", k.model, "version", k.version), V: c.meanAbs[name]},
				series.Sample{Labels: labels.FromStrings("__name__", MetricAttributionChange, "feature", name, "model", k.model, "version", k.version), V: c.change[name]})
		}
		for _, name := range sortedKeys(c.fresh) {
			for i, q := range Quantiles {
				samples = append(samples, series.Sample{Labels: labels.FromStrings("__name__", MetricFreshness, "feature", name, "model", k.model,
					"quantile", strconv.FormatFloat(q, 'g', -1, 64), "version", k.version), V: c.fresh[name][i]})
			}
		}
	}
	t.mu.Unlock()
	return series.AppendFinite(ctx, db, ts, "explanation and freshness series", samples)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
