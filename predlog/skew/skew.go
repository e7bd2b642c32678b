package skew

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	appendseries "github.com/mlectl/mlectl/internal/series"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/drift"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/baseline"
)

// Defaults of Options.
const (
	DefaultWindow      = 5 * time.Minute
	DefaultThreshold   = api.DefaultDriftThreshold
	DefaultMaxFeatures = 512
	historyHours       = 24
)

// Series names.
const (
	MetricScore      = api.MetricFeatureDriftScore
	MetricDrifted    = api.MetricFeatureDrifted
	MetricShare      = api.MetricDatasetDriftShare
	MetricPrediction = api.MetricPredictionDriftScore
	AgainstBaseline  = "baseline"
	AgainstHistory   = "previous_24h"
)

// Options configures a Tracker; zero values mean the defaults.
type Options struct {
	Window      time.Duration // default DefaultWindow; the collector's drift.window
	Alpha       float64       // sketch accuracy, default drift.DefaultSketchAlpha
	Threshold   float64
	MaxFeatures int // per model version; more are ignored
	// MinHistory is how many times the closed window's sample count the
	// previous 24 hours must hold before the window is compared with them
	// (default 1). A two-sample distance is as noisy as its smaller sample:
	// a version that just started serving would otherwise be compared with
	// one earlier window, at √2 the noise of the baseline comparison, and
	// drift on noise. At 4 the noise is within 12% of the baseline's.
	MinHistory float64
}

type mvKey struct{ model, version string }

// series holds the sketches of one feature (or the prediction).
type series struct {
	kind  drift.Kind
	cur   *drift.Sketch
	last  *drift.Sketch // the last closed window's, kept for the histogram; nil before one closes
	hours [historyHours]*drift.Sketch
	hour  [historyHours]int64 // which hour (Unix hours) each slot holds
}

type modelState struct {
	start    int64 // current window start, Unix ms; 0 before the first record
	feats    map[string]*series
	pred     *series
	baseline map[string]*drift.Sketch
	profile  map[string]*baseline.Feature // the training profile's features, for the histogram
	kinds    map[string]drift.Kind
	scores   []score // of the last closed window
	// lastStart and lastEnd span the last closed window (the scored one),
	// Unix ms; 0 before a window closes.
	lastStart, lastEnd int64
}

type score struct {
	feature, method, against string
	v                        float64
	drifted                  bool
	isDefault                bool
}

// Tracker keeps the windows of every model version. It is safe for
// concurrent use.
type Tracker struct {
	opts   Options
	mu     sync.Mutex
	models map[mvKey]*modelState
}

// New returns a tracker with no baselines.
func New(opts Options) *Tracker {
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.Alpha <= 0 {
		opts.Alpha = drift.DefaultSketchAlpha
	}
	if opts.Threshold <= 0 {
		opts.Threshold = DefaultThreshold
	}
	if opts.MaxFeatures <= 0 {
		opts.MaxFeatures = DefaultMaxFeatures
	}
	if opts.MinHistory <= 0 {
		opts.MinHistory = 1
	}
	return &Tracker{opts: opts, models: map[mvKey]*modelState{}}
}

func (t *Tracker) model(k mvKey) *modelState {
	m := t.models[k]
	if m == nil {
		m = &modelState{feats: map[string]*series{}, baseline: map[string]*drift.Sketch{}, kinds: map[string]drift.Kind{}}
		t.models[k] = m
	}
	return m
}

// SetBaseline makes p the reference of its model version.
func (t *Tracker) SetBaseline(p *baseline.Profile) error {
	ref := map[string]*drift.Sketch{}
	kinds := map[string]drift.Kind{}
	prof := map[string]*baseline.Feature{}
	for i := range p.Features {
		f := &p.Features[i]
		fc := *f
		prof[f.Name] = &fc
		s, err := baseline.Sketch(f, t.opts.Alpha)
		if err != nil {
			return fmt.Errorf("feature %s: %w", f.Name, err)
		}
		ref[f.Name] = s
		kinds[f.Name] = s.Kind()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.model(mvKey{p.Model, p.Version})
	m.baseline = ref
	m.profile = prof
	m.kinds = kinds
	return nil
}

func (t *Tracker) newSeries(kind drift.Kind) *series {
	s := &series{kind: kind}
	s.cur = t.newSketch(kind)
	return s
}

func (t *Tracker) newSketch(kind drift.Kind) *drift.Sketch {
	if kind == drift.Categorical {
		return drift.NewCategoricalSketch()
	}
	s, _ := drift.NewNumericSketch(t.opts.Alpha) // alpha was validated by New's default or the caller
	return s
}

func kindOf(v predlog.Value) (drift.Kind, bool) {
	switch v.Kind {
	case predlog.KindNumber:
		return drift.Numerical, true
	case predlog.KindString, predlog.KindBool:
		return drift.Categorical, true
	}
	return 0, false
}

func add(s *series, v predlog.Value) {
	switch v.Kind {
	case predlog.KindNull, predlog.KindAbsent:
		s.cur.AddMissing()
	case predlog.KindNumber:
		if s.kind == drift.Numerical && !math.IsNaN(v.Num) && !math.IsInf(v.Num, 0) {
			_ = s.cur.Add(v.Num)
		}
	case predlog.KindString:
		if s.kind == drift.Categorical {
			_ = s.cur.AddLabel(v.Str)
		}
	case predlog.KindBool:
		if s.kind == drift.Categorical {
			if v.IsTrue() {
				_ = s.cur.AddLabel("True")
			} else {
				_ = s.cur.AddLabel("False")
			}
		}
	}
}

// ObserveRecords adds the records' features and predictions to the current
// window of their model version. Injected records are included: a game day
// is meant to move these series.
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
		for _, f := range r.Features {
			s := m.feats[f.Name]
			if s == nil {
				if len(m.feats) >= t.opts.MaxFeatures {
					continue
				}
				kind, ok := m.kinds[f.Name]
				if !ok {
					if kind, ok = kindOf(f.Value); !ok {
						continue
					}
				}
				s = t.newSeries(kind)
				m.feats[f.Name] = s
			}
			add(s, f.Value)
		}
		if r.Prediction.Scores == nil && r.Prediction.Kind != predlog.KindAbsent {
			if m.pred == nil {
				if kind, ok := kindOf(r.Prediction.Value); ok {
					m.pred = t.newSeries(kind)
				}
			}
			if m.pred != nil {
				add(m.pred, r.Prediction.Value)
			}
		}
	}
}

// history merges the hourly buckets of the 24 hours up to hour (the
// current window is not folded in yet, so it is never its own history).
func (t *Tracker) history(s *series, hour int64) *drift.Sketch {
	var h *drift.Sketch
	for i, b := range s.hours {
		if b == nil || s.hour[i] > hour || s.hour[i] <= hour-historyHours {
			continue
		}
		if h == nil {
			h = t.newSketch(s.kind)
		}
		_ = h.Merge(b)
	}
	return h
}

// close ends the current window of s: returns its sketch, keeps it as
// s.last and folds it into its hour's bucket.
func (t *Tracker) close(s *series, hour int64) *drift.Sketch {
	w := s.cur
	s.last = w
	s.cur = t.newSketch(s.kind)
	slot := int(hour % historyHours)
	if s.hours[slot] == nil || s.hour[slot] != hour {
		s.hours[slot] = t.newSketch(s.kind)
		s.hour[slot] = hour
	}
	_ = s.hours[slot].Merge(w)
	return w
}

func (t *Tracker) compare(feature string, ref, cur *drift.Sketch, against string, out []score) []score {
	if ref == nil || cur == nil || ref.Count() == 0 || cur.Count() == 0 || ref.Kind() != cur.Kind() {
		return out
	}
	b, err := drift.EstimateBinned(ref, cur)
	if err != nil {
		return out
	}
	if cur.Kind() == drift.Categorical {
		out = append(out, score{feature, "jensen_shannon", against, b.JensenShannon, b.JensenShannon >= t.opts.Threshold, true})
		return append(out, score{feature, "psi", against, b.PSI, false, false})
	}
	ks, err := drift.EstimateKS(ref, cur)
	if err != nil {
		return out
	}
	_, wn, err := drift.EstimateWasserstein(ref, cur)
	if err != nil {
		return out
	}
	out = append(out, score{feature, "wasserstein_normed", against, wn.Value, wn.Value >= t.opts.Threshold, true})
	out = append(out, score{feature, "ks", against, ks.Value, false, false})
	return append(out, score{feature, "psi", against, b.PSI, false, false})
}

// enough returns hist when it holds at least MinHistory times w's samples,
// else nil (no comparison with the previous 24 hours yet).
func (t *Tracker) enough(hist, w *drift.Sketch) *drift.Sketch {
	if hist == nil || w == nil || float64(hist.Count()) < t.opts.MinHistory*float64(w.Count()) {
		return nil
	}
	return hist
}

// rotate closes every model's window that is at least Window old at now and
// computes its scores.
func (t *Tracker) rotate(now time.Time) {
	nowMS := now.UnixMilli()
	for _, m := range t.models {
		if m.start == 0 || nowMS-m.start < t.opts.Window.Milliseconds() {
			continue
		}
		hour := m.start / 3_600_000
		var scores []score
		names := make([]string, 0, len(m.feats))
		for name := range m.feats {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			s := m.feats[name]
			hist := t.history(s, hour)
			w := t.close(s, hour)
			scores = t.compare(name, m.baseline[name], w, AgainstBaseline, scores)
			scores = t.compare(name, t.enough(hist, w), w, AgainstHistory, scores)
		}
		if m.pred != nil {
			hist := t.history(m.pred, hour)
			w := t.close(m.pred, hour)
			for _, sc := range t.compare("", t.enough(hist, w), w, AgainstHistory, nil) {
				sc.feature = "\x00prediction"
				scores = append(scores, sc)
			}
		}
		m.scores = scores
		m.lastStart, m.lastEnd = m.start, nowMS
		m.start = nowMS
	}
}

// AppendTo closes windows that are due at ts and writes the scores of every
// model version's last closed window.
func (t *Tracker) AppendTo(ctx context.Context, db storage.Appendable, ts time.Time) error {
	t.mu.Lock()
	t.rotate(ts)
	var samples []appendseries.Sample
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
		drifted := map[string]int{}
		total := map[string]int{}
		for _, s := range m.scores {
			if s.feature == "\x00prediction" {
				samples = append(samples, appendseries.Sample{Labels: labels.FromStrings("__name__", MetricPrediction, "against", s.against, "method", s.method, "model", k.model, "version", k.version), V: s.v})
				continue
			}
			samples = append(samples, appendseries.Sample{Labels: labels.FromStrings("__name__", MetricScore, "against", s.against, "feature", s.feature, "method", s.method, "model", k.model, "version", k.version), V: s.v})
			if s.isDefault {
				v := 0.0
				if s.drifted {
					v = 1
					drifted[s.against]++
				}
				total[s.against]++
				samples = append(samples, appendseries.Sample{Labels: labels.FromStrings("__name__", MetricDrifted, "against", s.against, "feature", s.feature, "model", k.model, "version", k.version), V: v})
			}
		}
		for _, against := range []string{AgainstBaseline, AgainstHistory} {
			if total[against] > 0 {
				samples = append(samples, appendseries.Sample{Labels: labels.FromStrings("__name__", MetricShare, "against", against, "model", k.model, "version", k.version), V: float64(drifted[against]) / float64(total[against])})
			}
		}
	}
	t.mu.Unlock()
	return appendseries.AppendFinite(ctx, db, ts, "drift series", samples)
}
