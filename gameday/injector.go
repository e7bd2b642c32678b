package gameday

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"

	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/baseline"
)

// Kind is what an injection does to matching records.
type Kind string

// Injection kinds; see the package documentation.
const (
	KindShift   Kind = "shift"
	KindScale   Kind = "scale"
	KindNulls   Kind = "nulls"
	KindSwap    Kind = "swap"
	KindLatency Kind = "latency"
	KindErrors  Kind = "errors"
)

// Kinds lists every kind, in documentation order.
var Kinds = []Kind{KindShift, KindScale, KindNulls, KindSwap, KindLatency, KindErrors}

// NeedsFeature reports whether the kind acts on a feature (latency and
// errors act on the whole record).
func (k Kind) NeedsFeature() bool { return k != KindLatency && k != KindErrors }

// fraction reports whether the magnitude is a share of records.
func (k Kind) fraction() bool { return k == KindNulls || k == KindSwap || k == KindErrors }

// EventKind is the event-log kind of injection start and stop events
// (events.KindInjection); Action is "start" or "stop".
const EventKind = events.KindInjection

// Event actions.
const (
	ActionStart = "start"
	ActionStop  = "stop"
)

// Why an injection stopped: the label "reason" of its stop event, also in
// the event's text.
const (
	ReasonEnded            = "duration over"
	ReasonStopped          = "stopped"
	ReasonCollectorStopped = "collector stopped"
)

// MaxDuration bounds one injection.
const MaxDuration = 24 * time.Hour

// Spec asks for one injection.
type Spec struct {
	Model     string
	Version   string // empty: every version
	Feature   string // ignored for latency and errors
	Kind      Kind
	Magnitude float64
	Duration  time.Duration
	// Seed seeds the draws of fraction kinds; 0 derives it from the id.
	Seed uint64
}

// FieldError is a Spec field that is not acceptable.
type FieldError struct {
	Field, Msg string
	// NotFound marks a field naming something that does not exist (an
	// unknown model or feature): HTTP 404 rather than 400.
	NotFound bool
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, a ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// Validate reports the first unacceptable field.
func (s Spec) Validate() error {
	if s.Model == "" {
		return fieldErr("model", "is required")
	}
	if !slices.Contains(Kinds, s.Kind) {
		return fieldErr("kind", "must be one of shift, scale, nulls, swap, latency, errors, not %q", s.Kind)
	}
	if s.Kind.NeedsFeature() && s.Feature == "" {
		return fieldErr("feature", "is required for kind %s", s.Kind)
	}
	m := s.Magnitude
	switch {
	case math.IsNaN(m) || math.IsInf(m, 0):
		return fieldErr("magnitude", "must be a finite number")
	case s.Kind.fraction() && (m < 0 || m > 1):
		return fieldErr("magnitude", "is the fraction of records for kind %s and must be between 0 and 1, not %g", s.Kind, m)
	case (s.Kind == KindScale || s.Kind == KindLatency) && m <= 0:
		return fieldErr("magnitude", "is a factor for kind %s and must be positive, not %g", s.Kind, m)
	case s.Kind == KindShift && m == 0:
		return fieldErr("magnitude", "a shift of 0 standard deviations changes nothing")
	}
	if s.Duration <= 0 {
		return fieldErr("duration", "must be positive, such as 5m")
	}
	if s.Duration > MaxDuration {
		return fieldErr("duration", "must be at most %s, not %s", model.Duration(MaxDuration), model.Duration(s.Duration))
	}
	return nil
}

// Injection is an injection as the API shows it.
type Injection struct {
	ID        string     `json:"id"`
	Model     string     `json:"model"`
	Version   string     `json:"version"`
	Feature   string     `json:"feature"`
	Kind      Kind       `json:"kind"`
	Magnitude float64    `json:"magnitude"`
	Duration  string     `json:"duration"`
	StartedAt time.Time  `json:"started_at"`
	EndsAt    time.Time  `json:"ends_at"`
	StoppedAt *time.Time `json:"stopped_at,omitempty"`
	Active    bool       `json:"active"`
	Records   int64      `json:"records"`
}

// ErrNotFound is returned for an unknown injection id.
var ErrNotFound = errors.New("no such injection")

// ErrUnknownModel wraps the answer of a ModelChecker that does not know the
// model.
var ErrUnknownModel = errors.New("unknown model")

// EventRecorder appends to the event log (events.Store, metaapi's
// Recorder).
type EventRecorder interface {
	Record(ctx context.Context, e events.Event) error
}

// ModelChecker tells whether a model exists (registered, or with logged
// predictions), so that a typo is refused instead of injecting nothing.
type ModelChecker interface {
	ModelKnown(ctx context.Context, model string) (bool, error)
}

// Options configures an Injector; every field is optional.
type Options struct {
	// Now is the clock (time.Now when nil).
	Now    func() time.Time
	Events EventRecorder
	Models ModelChecker
	Logger *slog.Logger
	// KeepEnded is how many ended injections List still shows (default 100).
	KeepEnded int
	// MaxActive bounds the injections active at once (default
	// DefaultMaxActive): every ingested batch goes through each of them.
	MaxActive int
}

// DefaultMaxActive is Options.MaxActive's default.
const DefaultMaxActive = 100

// ErrTooManyActive is returned by Start when MaxActive injections are
// active.
var ErrTooManyActive = errors.New("too many active injections")

// ErrStopping is returned by Start once Shutdown ran: an injection started
// then would never get its stop event.
var ErrStopping = errors.New("the collector is stopping: no injection can start")

// Injector holds the injections and rewrites matching records. It is safe
// for concurrent use.
type Injector struct {
	opts Options

	mu       sync.Mutex
	seq      int
	injs     []*injection // in start order
	stats    map[mvKey]map[string]featureStats
	seenCats map[mfKey]map[string]struct{}
	// seenFeats holds the feature names of each model's traffic (from one
	// record per model and batch, at most maxSeenFeatures), so a typo in
	// an injection's feature is refused instead of rewriting nothing.
	seenFeats map[string]map[string]struct{}
	recorder  EventRecorder
	models    ModelChecker
	stopEvent []events.Event // stop events not yet recorded
	closed    bool           // Shutdown ran
	store     Store          // nil: injections live in memory only
	dirty     []*injection   // ended since their state was last stored
}

type mvKey struct{ model, version string }
type mfKey struct{ model, feature string }

type featureStats struct {
	std  float64
	cats []string
}

type injection struct {
	Injection
	spec    Spec
	rng     *rand.Rand
	stopped bool
}

// New returns an Injector with no injections.
func New(opts Options) *Injector {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.KeepEnded <= 0 {
		opts.KeepEnded = 100
	}
	if opts.MaxActive <= 0 {
		opts.MaxActive = DefaultMaxActive
	}
	return &Injector{opts: opts, recorder: opts.Events, models: opts.Models, stats: map[mvKey]map[string]featureStats{}, seenCats: map[mfKey]map[string]struct{}{}}
}

// SetBaseline keeps the σ and categories of a model version's features
// (the injector is a predlog/api BaselineSink).
func (in *Injector) SetBaseline(p *baseline.Profile) error {
	m := make(map[string]featureStats, len(p.Features))
	for _, f := range p.Features {
		st := featureStats{std: f.Std}
		for _, c := range f.Categories {
			st.cats = append(st.cats, c.Value)
		}
		sort.Strings(st.cats)
		m[f.Name] = st
	}
	in.mu.Lock()
	in.stats[mvKey{p.Model, p.Version}] = m
	in.mu.Unlock()
	return nil
}

// Sigma is the unit of a shift for a feature of a model version: the
// baseline standard deviation, or 1 (absolute units) without one.
func (in *Injector) Sigma(model, version, feature string) float64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.sigmaLocked(model, version, feature)
}

func (in *Injector) sigmaLocked(model, version, feature string) float64 {
	if st, ok := in.stats[mvKey{model, version}][feature]; ok && st.std > 0 && !math.IsNaN(st.std) {
		return st.std
	}
	return 1
}

func seedOf(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return h.Sum64()
}

// NewRand is the generator of an injection's fraction draws: one Float64
// per matching record (see Transform), then, for a swap that hits, one
// IntN over the other categories in sorted order.
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }

// Start validates spec, starts the injection and records its start event.
// actor names who started it.
func (in *Injector) Start(ctx context.Context, spec Spec, actor string) (Injection, error) {
	if err := spec.Validate(); err != nil {
		return Injection{}, err
	}
	in.mu.Lock()
	models := in.models
	in.mu.Unlock()
	if models != nil {
		ok, err := models.ModelKnown(ctx, spec.Model)
		if err != nil {
			return Injection{}, fmt.Errorf("checking model %q: %w", spec.Model, err)
		}
		if !ok {
			return Injection{}, &FieldError{Field: "model", Msg: fmt.Sprintf("model %q is not registered and has no logged predictions", spec.Model), NotFound: true}
		}
	}
	if !spec.Kind.NeedsFeature() {
		spec.Feature = ""
	} else if known := in.features(spec.Model); len(known) > 0 && !slices.Contains(known, spec.Feature) {
		return Injection{}, &FieldError{Field: "feature", NotFound: true,
			Msg: fmt.Sprintf("model %s has no feature %q (its baselines and traffic have: %s)", spec.Model, spec.Feature, strings.Join(known, ", "))}
	}
	now := in.opts.Now().UTC()
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return Injection{}, ErrStopping
	}
	in.expireLocked(now)
	active := 0
	for _, x := range in.injs {
		if !x.stopped {
			active++
		}
	}
	if active >= in.opts.MaxActive {
		in.mu.Unlock()
		in.flush(ctx, nil)
		return Injection{}, fmt.Errorf("%w: %d active, the most allowed at once; stop one first (mlectl gameday list, mlectl gameday stop ID)", ErrTooManyActive, active)
	}
	in.seq++
	id := "inj-" + strconv.FormatInt(now.UnixMilli(), 36) + "-" + strconv.Itoa(in.seq)
	seed := spec.Seed
	if seed == 0 {
		seed = seedOf(id)
	}
	inj := &injection{
		Injection: Injection{
			ID: id, Model: spec.Model, Version: spec.Version, Feature: spec.Feature, Kind: spec.Kind,
			Magnitude: spec.Magnitude, Duration: model.Duration(spec.Duration).String(),
			StartedAt: now, EndsAt: now.Add(spec.Duration), Active: true,
		},
		spec: spec,
		rng:  NewRand(seed),
	}
	in.injs = append(in.injs, inj)
	out := inj.Injection
	rec, store := in.recorder, in.store
	in.mu.Unlock()
	if store != nil {
		// An acknowledged injection survives a crash: store it first.
		if err := putInjection(ctx, store, inj.Injection, spec); err != nil {
			in.mu.Lock()
			in.injs = slices.DeleteFunc(in.injs, func(x *injection) bool { return x == inj })
			in.mu.Unlock()
			return Injection{}, fmt.Errorf("storing injection %s (it did not start): %w", id, err)
		}
	}
	in.flush(ctx, nil) // the stop events of those that just expired
	in.opts.Logger.Info("game-day injection started", "id", id, "model", spec.Model, "version", spec.Version,
		"feature", spec.Feature, "kind", spec.Kind, "magnitude", spec.Magnitude, "duration", out.Duration, "actor", actor)
	if rec != nil {
		rctx, cancel := recordCtx(ctx)
		defer cancel()
		if err := rec.Record(rctx, in.event(out, ActionStart, actor, "", now)); err != nil {
			in.opts.Logger.Warn("recording the injection start event failed", "id", id, "err", err)
		}
	}
	return out, nil
}

// recordTimeout bounds writing one call's events.
const recordTimeout = 10 * time.Second

// recordCtx is the context of an event write: the injection has already
// started or stopped, so a caller that went away (a closed HTTP request)
// must not lose its event.
func recordCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

func (in *Injector) event(inj Injection, action, actor, reason string, at time.Time) events.Event {
	what := fmt.Sprintf("%s %s by %g", inj.Kind, inj.Feature, inj.Magnitude)
	switch inj.Kind {
	case KindShift:
		what = fmt.Sprintf("shift %s by %gσ", inj.Feature, inj.Magnitude)
	case KindScale:
		what = fmt.Sprintf("scale %s ×%g", inj.Feature, inj.Magnitude)
	case KindNulls:
		what = fmt.Sprintf("null %s in %g%% of records", inj.Feature, 100*inj.Magnitude)
	case KindSwap:
		what = fmt.Sprintf("swap the category of %s in %g%% of records", inj.Feature, 100*inj.Magnitude)
	case KindLatency:
		what = fmt.Sprintf("latency ×%g", inj.Magnitude)
	case KindErrors:
		what = fmt.Sprintf("errors in %g%% of records", 100*inj.Magnitude)
	}
	text := fmt.Sprintf("game day %s: %s for %s", inj.ID, what, inj.Duration)
	if action == ActionStop {
		text = fmt.Sprintf("game day %s stopped (%s): %s (%d records injected)", inj.ID, reason, what, inj.Records)
	}
	labels := map[string]string{"injection_id": inj.ID, "kind": string(inj.Kind), "magnitude": strconv.FormatFloat(inj.Magnitude, 'g', -1, 64)}
	if reason != "" {
		labels["reason"] = reason
	}
	if inj.Feature != "" {
		labels["feature"] = inj.Feature
	}
	return events.Event{Time: at, Kind: EventKind, Model: inj.Model, Version: inj.Version, Actor: actor,
		Action: action, Result: events.ResultOK, Text: text, Labels: labels}
}

// Stop ends an active injection now and records its stop event; stopping
// an ended one returns it unchanged.
func (in *Injector) Stop(ctx context.Context, id, actor string) (Injection, error) {
	now := in.opts.Now().UTC()
	in.mu.Lock()
	in.expireLocked(now)
	var inj *injection
	for _, x := range in.injs {
		if x.ID == id {
			inj = x
		}
	}
	if inj == nil {
		in.mu.Unlock()
		return Injection{}, fmt.Errorf("%w %q (it may have ended more than %d injections ago or before a restart)", ErrNotFound, id, in.opts.KeepEnded)
	}
	var ev *events.Event
	if !inj.stopped {
		inj.stopped, inj.Active = true, false
		t := now
		inj.StoppedAt = &t
		in.dirty = append(in.dirty, inj)
		e := in.event(inj.Injection, ActionStop, actor, ReasonStopped, now)
		ev = &e
	}
	out := in.snapshot(inj)
	in.mu.Unlock()
	in.flush(ctx, ev)
	return out, nil
}

func (in *Injector) snapshot(inj *injection) Injection {
	out := inj.Injection
	if out.StoppedAt != nil {
		t := *out.StoppedAt
		out.StoppedAt = &t
	}
	return out
}

// expireLocked ends the injections whose end time has passed, queueing
// their stop events (dated at their end), and forgets old ended ones.
func (in *Injector) expireLocked(now time.Time) {
	ended := 0
	for _, inj := range in.injs {
		if !inj.stopped && !now.Before(inj.EndsAt) {
			inj.stopped, inj.Active = true, false
			t := inj.EndsAt
			inj.StoppedAt = &t
			in.dirty = append(in.dirty, inj)
			in.stopEvent = append(in.stopEvent, in.event(inj.Injection, ActionStop, "gameday", ReasonEnded, t))
		}
		if inj.stopped {
			ended++
		}
	}
	for i := 0; ended > in.opts.KeepEnded && i < len(in.injs); {
		if in.injs[i].stopped {
			in.injs = slices.Delete(in.injs, i, i+1)
			ended--
			continue
		}
		i++
	}
}

// flush records the queued stop events (and extra, when not nil) outside
// the lock.
func (in *Injector) flush(ctx context.Context, extra *events.Event) {
	in.mu.Lock()
	evs := in.stopEvent
	in.stopEvent = nil
	rec := in.recorder
	type ended struct {
		inj  Injection
		spec Spec
	}
	var toStore []ended
	if in.store != nil {
		for _, x := range in.dirty {
			toStore = append(toStore, ended{in.snapshot(x), x.spec})
		}
	}
	in.dirty = nil
	store := in.store
	in.mu.Unlock()
	if len(toStore) > 0 {
		sctx, cancel := recordCtx(ctx)
		for _, e := range toStore {
			// Best effort: an end not stored is found again at restore,
			// where an injection past its end is ended then.
			if err := putInjection(sctx, store, e.inj, e.spec); err != nil {
				in.opts.Logger.Warn("storing the end of an injection failed", "id", e.inj.ID, "err", err)
			}
		}
		cancel()
	}
	if extra != nil {
		evs = append(evs, *extra)
	}
	if rec == nil || len(evs) == 0 {
		return
	}
	rctx, cancel := recordCtx(ctx)
	defer cancel()
	for _, e := range evs {
		if err := rec.Record(rctx, e); err != nil {
			in.opts.Logger.Warn("recording the injection stop event failed", "id", e.Labels["injection_id"], "err", err)
		}
	}
}

// Expire ends the injections that are due and records their stop events.
func (in *Injector) Expire(ctx context.Context) {
	in.mu.Lock()
	in.expireLocked(in.opts.Now().UTC())
	in.mu.Unlock()
	in.flush(ctx, nil)
}

// List returns the injections, active and ended, newest first.
func (in *Injector) List(ctx context.Context) []Injection {
	in.Expire(ctx)
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]Injection, 0, len(in.injs))
	for i := len(in.injs) - 1; i >= 0; i-- {
		out = append(out, in.snapshot(in.injs[i]))
	}
	return out
}

// Get returns one injection.
func (in *Injector) Get(ctx context.Context, id string) (Injection, error) {
	for _, inj := range in.List(ctx) {
		if inj.ID == id {
			return inj, nil
		}
	}
	return Injection{}, fmt.Errorf("%w %q", ErrNotFound, id)
}

// Shutdown ends every active injection now, recording each stop event with
// reason "collector stopped" (actor "collector"), so that the timeline shows
// no injection that never ends: a graceful stop ends a game day, a crash
// does not (Restore resumes it). Batches transformed afterwards are left alone,
// and Start refuses new injections (ErrStopping) from then on.
// Run calls it when its context is done; call it before the event log
// closes.
func (in *Injector) Shutdown(ctx context.Context) {
	now := in.opts.Now().UTC()
	in.mu.Lock()
	in.closed = true
	in.expireLocked(now)
	var evs []events.Event
	for _, inj := range in.injs {
		if inj.stopped {
			continue
		}
		inj.stopped, inj.Active = true, false
		t := now
		inj.StoppedAt = &t
		in.dirty = append(in.dirty, inj)
		evs = append(evs, in.event(inj.Injection, ActionStop, "collector", ReasonCollectorStopped, now))
	}
	in.stopEvent = append(in.stopEvent, evs...)
	in.mu.Unlock()
	if len(evs) > 0 {
		in.opts.Logger.Info("game-day injections ended: the collector is stopping", "injections", len(evs))
	}
	in.flush(ctx, nil)
}

// Run ends due injections every interval (so their stop events are written
// on time even without traffic) until ctx is done, then ends the active
// ones (Shutdown).
func (in *Injector) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			in.Shutdown(ctx) // its events are written on a context of their own
			return
		case <-t.C:
			in.Expire(ctx)
		}
	}
}

// Transform applies every active injection to the matching records, in the
// order the injections started, and marks the records it changed Injected.
// An injection matches a record of its model (and version, when set).
// Per kind, the records it looks at and what it does:
//
//	shift, scale  the feature is a number: value+magnitude·σ, value·magnitude
//	nulls         the feature is present and not null: one draw u; u < magnitude → null
//	swap          the feature is a string: one draw u; u < magnitude → another
//	              category, rng.IntN over the others (sorted), if there is one
//	latency       latency_ms is a number: ·magnitude
//	errors        status is ok: one draw u; u < magnitude → "error"
//
// The records an injection changed count toward its Records only when the
// returned commit is called, once the batch is stored (a batch the log
// refuses was never injected as far as anyone can see). A batch stored
// after its injection stopped still counts, but not in the stop event
// already recorded.
func (in *Injector) Transform(recs []predlog.Record) (commit func()) {
	now := in.opts.Now()
	type hit struct {
		inj *injection
		n   int64
	}
	var hits []hit
	in.mu.Lock()
	defer in.mu.Unlock()
	in.noteFeatures(recs)
	for _, inj := range in.injs {
		if inj.stopped || now.Before(inj.StartedAt) || !now.Before(inj.EndsAt) {
			continue
		}
		var n int64
		for i := range recs {
			r := &recs[i]
			if r.Model != inj.Model || (inj.Version != "" && r.Version != inj.Version) {
				continue
			}
			if in.apply(inj, r) {
				r.Injected = true
				n++
			}
		}
		if n > 0 {
			hits = append(hits, hit{inj, n})
		}
	}
	if len(hits) == 0 {
		return nil
	}
	return func() {
		in.mu.Lock()
		defer in.mu.Unlock()
		for _, h := range hits {
			h.inj.Records += h.n
		}
	}
}

// maxSeenFeatures bounds the feature names remembered per model.
const maxSeenFeatures = 512

// noteFeatures remembers the feature names of the first record of each
// model in recs. The caller holds in.mu.
func (in *Injector) noteFeatures(recs []predlog.Record) {
	last := ""
	for i := range recs {
		r := &recs[i]
		if r.Model == last {
			continue
		}
		last = r.Model
		seen := in.seenFeats[r.Model]
		if seen == nil {
			if in.seenFeats == nil {
				in.seenFeats = map[string]map[string]struct{}{}
			}
			seen = map[string]struct{}{}
			in.seenFeats[r.Model] = seen
		}
		for _, f := range r.Features {
			if len(seen) >= maxSeenFeatures {
				break
			}
			seen[f.Name] = struct{}{}
		}
	}
}

// features lists, sorted, the feature names model's baselines and traffic
// have shown; empty when nothing is known about them.
func (in *Injector) features(model string) []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	set := map[string]struct{}{}
	for k, st := range in.stats {
		if k.model == model {
			for name := range st {
				set[name] = struct{}{}
			}
		}
	}
	for name := range in.seenFeats[model] {
		set[name] = struct{}{}
	}
	out := make([]string, 0, len(set))
	for name := range set {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func featureIndex(r *predlog.Record, name string) int {
	for i := range r.Features {
		if r.Features[i].Name == name {
			return i
		}
	}
	return -1
}

func (in *Injector) apply(inj *injection, r *predlog.Record) bool {
	m := inj.Magnitude
	switch inj.Kind {
	case KindLatency:
		if r.LatencyMS.Kind != predlog.KindNumber {
			return false
		}
		r.LatencyMS = predlog.Float(r.LatencyMS.Num * m)
		return true
	case KindErrors:
		if r.Status != predlog.StatusOK {
			return false
		}
		if inj.rng.Float64() >= m {
			return false
		}
		r.Status = predlog.StatusError
		return true
	}
	fi := featureIndex(r, inj.Feature)
	if fi < 0 {
		return false
	}
	f := &r.Features[fi]
	switch inj.Kind {
	case KindShift:
		if f.Kind != predlog.KindNumber {
			return false
		}
		f.Value = predlog.Float(f.Num + m*in.sigmaLocked(r.Model, r.Version, inj.Feature))
		return true
	case KindScale:
		if f.Kind != predlog.KindNumber {
			return false
		}
		f.Value = predlog.Float(f.Num * m)
		return true
	case KindNulls:
		if f.Kind == predlog.KindNull {
			return false
		}
		if inj.rng.Float64() >= m {
			return false
		}
		f.Value = predlog.Null
		return true
	case KindSwap:
		if f.Kind != predlog.KindString {
			return false
		}
		cats := in.categoriesLocked(r.Model, r.Version, inj.Feature, f.Str)
		if inj.rng.Float64() >= m {
			return false
		}
		others := make([]string, 0, len(cats))
		for _, c := range cats {
			if c != f.Str {
				others = append(others, c)
			}
		}
		if len(others) == 0 {
			return false
		}
		f.Value = predlog.String(others[inj.rng.IntN(len(others))])
		return true
	}
	return false
}

// maxSeenCategories bounds the categories remembered from traffic per model
// feature.
const maxSeenCategories = 1024

// categoriesLocked notes cur as seen and returns the categories known for
// the feature: the baseline's and those seen in traffic, sorted.
func (in *Injector) categoriesLocked(model, version, feature, cur string) []string {
	k := mfKey{model, feature}
	seen := in.seenCats[k]
	if seen == nil {
		seen = map[string]struct{}{}
		in.seenCats[k] = seen
	}
	if len(seen) < maxSeenCategories {
		seen[cur] = struct{}{}
	}
	set := make(map[string]struct{}, len(seen))
	for c := range seen {
		set[c] = struct{}{}
	}
	for _, c := range in.stats[mvKey{model, version}][feature].cats {
		set[c] = struct{}{}
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
