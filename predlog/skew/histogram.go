package skew

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/drift"
	"github.com/mlectl/mlectl/predlog/baseline"
)

// Bin counts of Histogram.
const (
	DefaultBins = 20
	MaxBins     = 100
)

// ErrNotFound is wrapped by Histogram's errors for an unknown model,
// version or feature.
var ErrNotFound = errors.New("not found")

// ParamError is a request Histogram cannot answer as asked; Field names
// the parameter to change.
type ParamError struct {
	Field, Msg string
}

func (e *ParamError) Error() string { return e.Field + ": " + e.Msg }

// Window names of Histogram.
const (
	WindowScored = api.WindowScored
	WindowOpen   = api.WindowOpen
)

// Histogram is one feature's distribution in a window of its model version
// beside its training profile's (api.DriftHistogram).
type Histogram = api.DriftHistogram

// Window is the window the counts come from (api.DriftWindow).
type Window = api.DriftWindow

// BaselineInfo summarises the training profile the bins come from.
type BaselineInfo = api.BaselineInfo

// NumericBins are the window's counts over the baseline's bins.
type NumericBins = api.NumericBins

// CategoryCount is one category's count in the window and share of the
// training profile.
type CategoryCount = api.CategoryCount

// Histogram returns feature's distribution in a window of model's version
// beside its baseline. window is WindowScored (or empty) for the last closed
// window, falling back to the open one before a window has closed, or
// WindowOpen; version may be empty when the model has one version; bins is
// the number of numerical bins (0 for DefaultBins).
func (t *Tracker) Histogram(model, version, feature, window string, bins int) (*Histogram, error) {
	switch window {
	case "":
		window = WindowScored
	case WindowScored, WindowOpen:
	default:
		return nil, &ParamError{"window", fmt.Sprintf("want %q or %q, got %q", WindowScored, WindowOpen, window)}
	}
	if bins == 0 {
		bins = DefaultBins
	}
	if bins < 1 || bins > MaxBins {
		return nil, &ParamError{"bins", fmt.Sprintf("want 1 to %d bins, got %d", MaxBins, bins)}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if version == "" {
		var vs []string
		for k := range t.models {
			if k.model == model {
				vs = append(vs, k.version)
			}
		}
		sort.Strings(vs)
		switch len(vs) {
		case 0:
			return nil, fmt.Errorf("model %q has no drift window (no predictions or baseline received): %w", model, ErrNotFound)
		case 1:
			version = vs[0]
		default:
			return nil, &ParamError{"version", fmt.Sprintf("model %q has several versions (%s); name one", model, strings.Join(vs, ", "))}
		}
	}
	m := t.models[mvKey{model, version}]
	if m == nil {
		return nil, fmt.Errorf("model %q version %q has no drift window (no predictions or baseline received): %w", model, version, ErrNotFound)
	}
	s := m.feats[feature]
	prof := m.profile[feature]
	if s == nil && prof == nil {
		return nil, fmt.Errorf("model %q version %q has no feature %q in its window or baseline: %w", model, version, feature, ErrNotFound)
	}
	if window == WindowScored && m.lastEnd == 0 {
		window = WindowOpen // no window has closed yet
	}
	var cur *drift.Sketch
	switch {
	case s != nil && window == WindowOpen:
		cur = s.cur
	case s != nil && s.last != nil:
		cur = s.last
	case s != nil:
		cur = t.newSketch(s.kind) // first seen after the scored window closed
	default:
		cur = t.newSketch(m.kinds[feature])
	}
	if prof != nil && (prof.Type == baseline.Categorical) != (cur.Kind() == drift.Categorical) {
		prof = nil // the window saw the other kind before the profile came
	}
	h := &Histogram{Model: model, Version: version, Feature: feature, Type: baseline.Numerical,
		Window: Window{Kind: window, Length: t.opts.Window.Seconds(), Samples: cur.Count(), Missing: cur.Missing()}}
	switch {
	case window == WindowScored:
		start, end := time.UnixMilli(m.lastStart).UTC(), time.UnixMilli(m.lastEnd).UTC()
		h.Window.Start, h.Window.End = &start, &end
		h.Window.Length = end.Sub(start).Seconds()
	case m.start != 0:
		start := time.UnixMilli(m.start).UTC()
		end := start.Add(t.opts.Window)
		h.Window.Start, h.Window.End = &start, &end
	}
	if cur.Kind() == drift.Categorical {
		h.Type = baseline.Categorical
		h.Categories = categories(cur, prof, h)
		return h, nil
	}
	edges := binEdges(prof, cur, bins)
	sh, err := cur.Histogram(edges)
	if err != nil {
		return nil, fmt.Errorf("histogram of %s: %w", feature, err)
	}
	h.Numeric = &NumericBins{Edges: edges, Counts: sh.Counts, Below: sh.Below, Above: sh.Above, Uncertain: sh.Uncertain}
	if prof != nil {
		h.Baseline = &BaselineInfo{Rows: prof.Count, Sampled: len(prof.Sample)}
		if len(prof.Sample) > 0 {
			h.Numeric.BaselineProportions = proportions(prof.Sample, edges)
		}
	}
	return h, nil
}

// binEdges are bins equal bins over the profile's range, else over the
// window's; a single value v gets [v-0.5, v+0.5] as numpy does.
func binEdges(prof *baseline.Feature, cur *drift.Sketch, bins int) []float64 {
	lo, hi := 0.0, 1.0
	switch {
	case prof != nil && (prof.Min != 0 || prof.Max != 0):
		lo, hi = prof.Min, prof.Max
	case prof != nil && len(prof.Sample) > 0:
		lo, hi = prof.Sample[0], prof.Sample[len(prof.Sample)-1]
	case cur.Count() > 0:
		lo, hi = cur.Range()
	}
	if !(hi > lo) {
		lo, hi = lo-0.5, lo+0.5
	}
	edges := make([]float64, bins+1)
	for i := range edges {
		edges[i] = lo + (hi-lo)*float64(i)/float64(bins)
	}
	edges[bins] = hi
	return edges
}

// proportions bins values over edges (numpy's rule: [e_i, e_i+1), the last
// bin closed) and divides by len(values); values outside are dropped.
func proportions(values, edges []float64) []float64 {
	out := make([]float64, len(edges)-1)
	last := edges[len(edges)-1]
	for _, v := range values {
		if v < edges[0] || v > last || math.IsNaN(v) {
			continue
		}
		i, _ := slices.BinarySearch(edges, v)
		if i < len(edges) && edges[i] == v {
			i++ // v sits on edge i: bin i
		}
		out[min(i-1, len(out)-1)]++
	}
	for i := range out {
		out[i] /= float64(len(values))
	}
	return out
}

// categories joins the window's exact label counts with the profile's
// shares, the profile's most frequent first, then the window's.
func categories(cur *drift.Sketch, prof *baseline.Feature, h *Histogram) []CategoryCount {
	labels, _ := cur.Labels()
	out := make([]CategoryCount, 0, len(labels))
	idx := map[string]int{}
	if prof != nil {
		total := 0
		for _, c := range prof.Categories {
			total += c.Count
		}
		h.Baseline = &BaselineInfo{Rows: prof.Count, Sampled: total}
		for _, c := range prof.Categories {
			p := 0.0
			if total > 0 {
				p = float64(c.Count) / float64(total)
			}
			if i, ok := idx[c.Value]; ok {
				*out[i].BaselineProportion += p
				continue
			}
			idx[c.Value] = len(out)
			out = append(out, CategoryCount{Value: c.Value, BaselineProportion: &p})
		}
	}
	for _, l := range labels {
		if i, ok := idx[l.Label]; ok {
			out[i].Count = l.Count
			continue
		}
		cc := CategoryCount{Value: l.Label, Count: l.Count}
		if prof != nil {
			cc.BaselineProportion = new(float64)
		}
		out = append(out, cc)
	}
	sort.SliceStable(out, func(i, j int) bool {
		pi, pj := share(out[i]), share(out[j])
		if pi != pj {
			return pi > pj
		}
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Value < out[j].Value
	})
	return out
}

func share(c CategoryCount) float64 {
	if c.BaselineProportion == nil {
		return 0
	}
	return *c.BaselineProportion
}
