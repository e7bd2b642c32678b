package mlmetrics

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/api"
)

// LatencyBuckets are the upper bounds (seconds) of the latency histogram;
// they bracket typical online-inference latencies from 1 ms to 10 s.
var LatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Prediction is the part of a prediction record these series need.
type Prediction struct {
	Model, Version, Role, Status string
	LatencySeconds               float64
}

type trafficKey struct{ model, version, role string }

type traffic struct {
	ok, errors float64
	buckets    []float64 // cumulative per LatencyBuckets, plus +Inf at the end
	sum        float64
	// observed is set by Observe and cleared by AppendTo, which keeps in
	// active the last time it found it set.
	observed bool
	active   time.Time
}

// DefaultIdleAfter is how long a model version/role may receive nothing
// before its series end: AppendTo writes Prometheus staleness markers
// for them, as Prometheus does for a series its target stopped exporting.
const DefaultIdleAfter = time.Minute

// Aggregator keeps cumulative counters per model/version/role.
// It is safe for concurrent use.
type Aggregator struct {
	// IdleAfter is how long a model version/role may receive nothing
	// before its series are ended with staleness markers and its counters
	// forgotten (they restart from 0 if it serves again, which rate() and
	// increase() read as a counter reset). Without it a version that a
	// rollback replaced would be exported as serving, at rate 0, until
	// the collector restarts. Default DefaultIdleAfter.
	IdleAfter time.Duration
	mu        sync.Mutex
	traffic   map[trafficKey]*traffic
}

// NewAggregator returns an empty aggregator.
func NewAggregator() *Aggregator {
	return &Aggregator{IdleAfter: DefaultIdleAfter, traffic: map[trafficKey]*traffic{}}
}

// Observe adds one prediction.
func (a *Aggregator) Observe(p Prediction) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := trafficKey{p.Model, p.Version, p.Role}
	tr := a.traffic[k]
	if tr == nil {
		tr = &traffic{buckets: make([]float64, len(LatencyBuckets)+1)}
		a.traffic[k] = tr
	}
	tr.observed = true
	if p.Status == "error" {
		tr.errors++
	} else {
		tr.ok++
	}
	if math.IsNaN(p.LatencySeconds) || p.LatencySeconds < 0 {
		return
	}
	tr.sum += p.LatencySeconds
	i := sort.SearchFloat64s(LatencyBuckets, p.LatencySeconds)
	for j := i; j < len(tr.buckets); j++ {
		tr.buckets[j]++
	}
}

// AppendTo writes the current cumulative values at time ts and commits.
// The series of a model version/role that received nothing for IdleAfter
// get a staleness marker instead, once, and are forgotten.
func (a *Aggregator) AppendTo(ctx context.Context, db storage.Appendable, ts time.Time) error {
	idleAfter := a.IdleAfter
	if idleAfter <= 0 {
		idleAfter = DefaultIdleAfter
	}
	a.mu.Lock()
	keys := make([]trafficKey, 0, len(a.traffic))
	snap := make(map[trafficKey]traffic, len(a.traffic))
	for k, tr := range a.traffic {
		if tr.observed || tr.active.IsZero() {
			tr.observed, tr.active = false, ts
		}
		keys = append(keys, k)
		c := *tr
		c.buckets = append([]float64(nil), tr.buckets...)
		if ts.Sub(tr.active) >= idleAfter {
			// Ended: every value below is written as a staleness marker.
			delete(a.traffic, k)
			stale := math.Float64frombits(value.StaleNaN)
			c.ok, c.errors, c.sum = stale, stale, stale
			for i := range c.buckets {
				c.buckets[i] = stale
			}
		}
		snap[k] = c
	}
	a.mu.Unlock()
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].model != keys[j].model {
			return keys[i].model < keys[j].model
		}
		if keys[i].version != keys[j].version {
			return keys[i].version < keys[j].version
		}
		return keys[i].role < keys[j].role
	})

	app := db.Appender(ctx)
	t := ts.UnixMilli()
	add := func(lset labels.Labels, v float64) error {
		if _, err := app.Append(0, lset, t, v); err != nil {
			return fmt.Errorf("append %s: %w", lset, err)
		}
		return nil
	}
	for _, k := range keys {
		tr := snap[k]
		base := []string{"model", k.model, "version", k.version, "role", k.role}
		for _, st := range []struct {
			status string
			v      float64
		}{{"ok", tr.ok}, {"error", tr.errors}} {
			if err := add(labels.FromStrings(append([]string{"__name__", api.MetricPredictionsTotal, "status", st.status}, base...)...), st.v); err != nil {
				_ = app.Rollback()
				return err
			}
		}
		for i, le := range LatencyBuckets {
			lset := labels.FromStrings(append([]string{"__name__", api.MetricInferenceLatencyBucket, "le", formatLE(le)}, base...)...)
			if err := add(lset, tr.buckets[i]); err != nil {
				_ = app.Rollback()
				return err
			}
		}
		count := tr.buckets[len(LatencyBuckets)]
		series := []struct {
			name, le string
			v        float64
		}{
			{api.MetricInferenceLatencyBucket, "+Inf", count},
			{api.MetricInferenceLatencySum, "", tr.sum},
			{api.MetricInferenceLatencyCount, "", count},
		}
		for _, s := range series {
			ls := append([]string{"__name__", s.name}, base...)
			if s.le != "" {
				ls = append(ls, "le", s.le)
			}
			if err := add(labels.FromStrings(ls...), s.v); err != nil {
				_ = app.Rollback()
				return err
			}
		}
	}
	if err := app.Commit(); err != nil {
		return fmt.Errorf("commit traffic series: %w", err)
	}
	return nil
}

func formatLE(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
