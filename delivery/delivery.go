package delivery

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/internal/series"
	"github.com/mlectl/mlectl/timeline"
)

// Defaults of Options.
const (
	DefaultPeriod    = 30 * 24 * time.Hour
	DefaultRecompute = time.Minute
	// maxPeriodEvents bounds the events one recomputation reads.
	maxPeriodEvents = 200_000
)

// Options configures Open; zero values are the defaults.
type Options struct {
	// Period is the window of the change failure ratio and the restore
	// times (default DefaultPeriod; the collector's delivery.period).
	Period time.Duration
	// Recompute is how often the period figures are recomputed from the
	// log when no event they read arrived (default DefaultRecompute: the
	// period slides); an event that they read makes the next write
	// recompute them. The counters are always current.
	Recompute time.Duration
}

// Log is the event log the tracker reads and follows.
type Log interface {
	Query(ctx context.Context, f events.Filter) ([]events.Event, error)
	Observe(fn func(events.Event))
}

type mv struct{ model, version string }

// figures are the period values of one model.
type figures struct {
	deploys, failed int
	// weekDeploys and weekRollbacks are counted over the last 7 days,
	// whatever the period.
	weekDeploys, weekRollbacks int
	lastRestore                time.Duration
	meanRestore                time.Duration
	restored                   int
}

// Tracker keeps the counters and the period figures. It is safe for
// concurrent use.
type Tracker struct {
	log  Log
	opts Options

	mu        sync.Mutex
	deploys   map[mv]int64
	rollbacks map[string]int64
	seen      map[string]struct{} // IDs of the events counted

	computedAt time.Time
	period     map[string]figures
	dirty      bool // an event the period figures read arrived since computedAt
}

// IsDeploy reports whether e deployed a version to production.
func IsDeploy(e events.Event) bool {
	switch e.Kind {
	case events.KindDeploy:
		stage, ok := e.Labels[api.LabelStage]
		return !ok || stage == string(api.StageProduction)
	case events.KindAction:
		return e.Action == api.ActionPromote && e.Result == events.ResultOK
	}
	return false
}

// IsRollback reports whether e rolled a model back.
func IsRollback(e events.Event) bool {
	return e.Kind == events.KindAction && e.Action == api.ActionRollback && e.Result == events.ResultOK
}

// Open counts the deploys and rollbacks in log and follows it from now on.
func Open(ctx context.Context, log Log, opts Options) (*Tracker, error) {
	if opts.Period <= 0 {
		opts.Period = DefaultPeriod
	}
	if opts.Recompute <= 0 {
		opts.Recompute = DefaultRecompute
	}
	t := &Tracker{log: log, opts: opts, deploys: map[mv]int64{}, rollbacks: map[string]int64{}, seen: map[string]struct{}{}}
	// Follow first, then count what is stored: an event appended between
	// the two is seen twice and counted once (by its ID).
	log.Observe(t.observe)
	evs, err := log.Query(ctx, events.Filter{Kinds: []events.Kind{events.KindDeploy, events.KindAction}, Limit: math.MaxInt})
	if err != nil {
		return nil, fmt.Errorf("counting deploys and rollbacks in the event log: %w", err)
	}
	for _, e := range evs {
		t.observe(e)
	}
	return t, nil
}

func (t *Tracker) observe(e events.Event) {
	deploy, rollback := IsDeploy(e), IsRollback(e)
	if e.Model == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if slices.Contains(periodKinds, e.Kind) {
		t.dirty = true // the period figures are recomputed at the next write
	}
	if !deploy && !rollback {
		return
	}
	if _, dup := t.seen[e.ID]; dup && e.ID != "" {
		return
	}
	t.seen[e.ID] = struct{}{}
	if deploy {
		t.deploys[mv{e.Model, e.Version}]++
		if _, ok := t.rollbacks[e.Model]; !ok {
			t.rollbacks[e.Model] = 0
		}
	} else {
		t.rollbacks[e.Model]++
	}
}

// periodKinds are the events the period figures read.
var periodKinds = []events.Kind{events.KindDeploy, events.KindAction, events.KindAlertFiring, events.KindAlertResolved,
	events.KindIncidentResolve, events.KindDriftDetected, events.KindSLOBreach, events.KindAck}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// week is the window of the deploys-per-week gauges.
const week = 7 * 24 * time.Hour

// recompute reads the period (and at least the week) before now from the log.
func (t *Tracker) recompute(ctx context.Context, now time.Time) (map[string]figures, error) {
	from, weekFrom := now.Add(-t.opts.Period), now.Add(-week)
	evs, err := t.log.Query(ctx, events.Filter{Kinds: periodKinds, From: earliest(from, weekFrom), To: now.Add(time.Nanosecond), Limit: maxPeriodEvents})
	if err != nil {
		return nil, err
	}
	byModel := map[string][]events.Event{}
	weeks := map[string]figures{}
	for _, e := range evs {
		if e.Model == "" {
			continue
		}
		if !e.Time.Before(weekFrom) {
			w := weeks[e.Model]
			switch {
			case IsDeploy(e):
				w.weekDeploys++
			case IsRollback(e):
				w.weekRollbacks++
			}
			weeks[e.Model] = w
		}
		if !e.Time.Before(from) {
			byModel[e.Model] = append(byModel[e.Model], e)
		}
	}
	out := map[string]figures{}
	for model, w := range weeks {
		if w.weekDeploys > 0 || w.weekRollbacks > 0 {
			out[model] = w
		}
	}
	for model, evs := range byModel {
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
		f := changeFailures(evs)
		f.weekDeploys, f.weekRollbacks = weeks[model].weekDeploys, weeks[model].weekRollbacks
		restores := Restores(model, evs)
		if len(restores) > 0 {
			var sum time.Duration
			for _, d := range restores {
				sum += d
			}
			f.restored, f.lastRestore, f.meanRestore = len(restores), restores[len(restores)-1], sum/time.Duration(len(restores))
		}
		if f.deploys > 0 || f.restored > 0 || f.weekDeploys > 0 || f.weekRollbacks > 0 {
			out[model] = f
		}
	}
	return out, nil
}

// changeFailures counts the deploys of evs (one model, in time order) and
// how many of them a rollback followed.
func changeFailures(evs []events.Event) figures {
	var f figures
	var failed []bool
	for _, e := range evs {
		switch {
		case IsDeploy(e):
			failed = append(failed, false)
		case IsRollback(e):
			for i := len(failed) - 1; i >= 0; i-- {
				if !failed[i] {
					failed[i] = true
					break
				}
			}
		}
	}
	f.deploys = len(failed)
	for _, x := range failed {
		if x {
			f.failed++
		}
	}
	return f
}

func ticket(e events.Event) bool { return e.Labels["severity"] == "ticket" }

func alertKey(e events.Event) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(e.Labels)) {
		b.WriteString(k + "=" + e.Labels[k] + "\xff")
	}
	return b.String()
}

// Restores cuts the incidents out of evs (one model, in time order) and
// returns the time to restore of each resolved one, in order: the
// timeline's impact started to resolved.
func Restores(model string, evs []events.Event) []time.Duration {
	var out []time.Duration
	start := -1
	var incident []events.Event
	firing := map[string]bool{}
	closeAt := func(e events.Event) {
		rep := timeline.Build(model, incident[0].Time, e.Time.Add(time.Nanosecond), incident)
		if d := rep.Durations.TimeToResolve; d != nil && *d >= 0 {
			out = append(out, *d)
		}
		start, incident = -1, nil
		clear(firing)
	}
	for i, e := range evs {
		switch e.Kind {
		case events.KindAlertFiring, events.KindDriftDetected, events.KindSLOBreach:
			if ticket(e) {
				continue
			}
			if start < 0 {
				start = i
			}
			incident = append(incident, e)
			if e.Kind == events.KindAlertFiring {
				firing[alertKey(e)] = true
			}
		case events.KindAlertResolved:
			if start < 0 || !firing[alertKey(e)] {
				continue
			}
			incident = append(incident, e)
			delete(firing, alertKey(e))
			if len(firing) == 0 {
				closeAt(e)
			}
		case events.KindIncidentResolve:
			if start >= 0 {
				incident = append(incident, e)
				closeAt(e)
			}
		default:
			if start >= 0 {
				incident = append(incident, e)
			}
		}
	}
	return out
}

// AppendTo writes the series at ts, recomputing the period figures when
// they are older than Options.Recompute.
func (t *Tracker) AppendTo(ctx context.Context, db storage.Appendable, ts time.Time) error {
	t.mu.Lock()
	stale := t.period == nil || t.dirty || ts.Sub(t.computedAt) >= t.opts.Recompute || ts.Before(t.computedAt)
	t.dirty = false // an event arriving during the recomputation sets it again
	t.mu.Unlock()
	if stale {
		period, err := t.recompute(ctx, ts)
		if err != nil {
			return fmt.Errorf("delivery series: %w", err)
		}
		t.mu.Lock()
		t.period, t.computedAt = period, ts
		t.mu.Unlock()
	}
	t.mu.Lock()
	samples := []series.Sample{{Labels: labels.FromStrings("__name__", api.MetricDeliveryPeriodSeconds), V: t.opts.Period.Seconds()}}
	for k, n := range t.deploys {
		samples = append(samples, series.Sample{Labels: labels.FromStrings("__name__", api.MetricDeploymentsTotal, "model", k.model, "version", k.version), V: float64(n)})
	}
	for m, n := range t.rollbacks {
		samples = append(samples, series.Sample{Labels: labels.FromStrings("__name__", api.MetricRollbacksTotal, "model", m), V: float64(n)})
	}
	for m, f := range t.period {
		if f.weekDeploys > 0 || f.weekRollbacks > 0 {
			samples = append(samples,
				series.Sample{Labels: labels.FromStrings("__name__", api.MetricDeploymentsLastWeek, "model", m), V: float64(f.weekDeploys)},
				series.Sample{Labels: labels.FromStrings("__name__", api.MetricRollbacksLastWeek, "model", m), V: float64(f.weekRollbacks)})
		}
		if f.deploys > 0 {
			samples = append(samples, series.Sample{Labels: labels.FromStrings("__name__", api.MetricChangeFailureRatio, "model", m), V: float64(f.failed) / float64(f.deploys)})
		}
		if f.restored > 0 {
			samples = append(samples,
				series.Sample{Labels: labels.FromStrings("__name__", api.MetricTimeToRestoreSeconds, "model", m), V: f.lastRestore.Seconds()},
				series.Sample{Labels: labels.FromStrings("__name__", api.MetricMeanTimeToRestore, "model", m), V: f.meanRestore.Seconds()})
		}
	}
	t.mu.Unlock()
	sort.Slice(samples, func(i, j int) bool { return labels.Compare(samples[i].Labels, samples[j].Labels) < 0 })
	return series.AppendFinite(ctx, db, ts, "delivery series", samples)
}
