package shadow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/registry"
)

// Series written by Live.AppendTo, labelled model, production_version,
// candidate_version and source="live".
const (
	MetricAgreement   = api.MetricShadowAgreementRatio
	MetricAbsDiffMean = api.MetricShadowAbsDiffMean
	MetricAbsDiffP99  = api.MetricShadowAbsDiffP99
	MetricSpearman    = api.MetricShadowSpearman
	MetricPSI         = api.MetricShadowPSI
	MetricRows        = api.MetricShadowRowsTotal
	MetricDropped     = api.MetricShadowDroppedTotal
)

// Registry is the part of the model registry live shadow reads
// (registry.Registry implements it).
type Registry interface {
	Get(ctx context.Context, name string) (registry.ModelState, error)
}

// CandidateOf picks a model's candidate: the newest version at stage
// shadow, else the newest at stage canary. ok is false when there is none.
func CandidateOf(st registry.ModelState) (registry.Version, bool) {
	for _, stage := range []registry.Stage{registry.StageShadow, registry.StageCanary} {
		for i := len(st.Versions) - 1; i >= 0; i-- {
			if st.Versions[i].Stage == stage {
				return st.Versions[i], true
			}
		}
	}
	return registry.Version{}, false
}

// Defaults of LiveOptions.
const (
	DefaultLiveQueue   = 8192
	DefaultLiveWindow  = 10000
	DefaultLiveRefresh = 30 * time.Second
	DefaultLivePending = 1 << 16
)

// LiveOptions configure NewLive; the zero value gives the defaults.
type LiveOptions struct {
	// Registry says each model's production version and candidate; a
	// candidate takes part when its ArtifactURI is a local model file.
	Registry Registry
	Backend  engine.Backend
	// Queue is how many records wait for scoring; when full, arriving
	// records are dropped and counted. Default DefaultLiveQueue.
	Queue int
	// BatchRows is the most records scored in one call (default
	// DefaultBatchRows).
	BatchRows int
	// Window is how many recent pairs per model the rolling comparison
	// covers (default DefaultLiveWindow).
	Window int
	// Refresh is how often a model's candidate is looked up again
	// (default DefaultLiveRefresh).
	Refresh time.Duration
	// MaxPending bounds, per model, the logged records waiting for their
	// partner (default DefaultLivePending).
	MaxPending int
	// Compare tunes the rolling comparison.
	Compare Options
	Logger  *slog.Logger
}

// activeState is a model's candidate state as ingest sees it.
type activeState struct {
	on     bool
	until  int64 // Unix ns after which it is looked up again
	logged bool  // shadow/canary records of the model have been seen
}

// liveItem is a copy of one production record waiting to be scored.
type liveItem struct {
	candidate                 bool // a shadow/canary record (logged pairing only)
	model, version, requestID string
	ts                        int64
	score                     float64
	feats                     *[]predlog.Feature // pooled
}

// liveModel is one model's candidate and rolling comparison.
type liveModel struct {
	resolvedAt  time.Time
	production  string
	cand        *Candidate // nil: no usable candidate
	candVersion string
	remote      bool // the candidate's artifact is not a local file
	uri         string
	filler      *rowFiller
	win         *window // the rolling comparison of scored pairs
	busy        time.Duration
	backend     string // which backend and device scored it (describeBackend)
}

// Live scores arriving production records through each model's registered
// candidate, off the ingest path: ObserveRecords (a predlog/api Observer)
// copies records into a bounded queue and never waits (a full queue drops
// the record and counts it); Run's worker scores them in batches and keeps
// the last Window pairs per model (source "live"). The worker also pairs
// arriving production and shadow/canary records by request id (at most
// MaxPending waiting per model) into a rolling window per candidate version
// (source "logged"), which needs no model file. AppendTo (a predlog/api
// SeriesWriter) writes both. Memory: Queue records (each with its
// features), MaxPending waiting scores and Window pairs per model and
// candidate, and one batch.
type Live struct {
	opts  LiveOptions
	queue chan liveItem
	log   *slog.Logger
	// active: a model's state as last resolved. Records of a model
	// without a usable candidate are skipped at ingest until the state
	// expires (Refresh); then one is queued again so that the worker looks
	// the candidate up anew. Absent models are queued to be resolved.
	active  atomic.Pointer[map[string]activeState]
	dropped sync.Map // model -> *atomic.Uint64
	pool    sync.Pool

	mu     sync.Mutex // guards models and logged
	models map[string]*liveModel
	logged map[string]*loggedModel
}

// loggedModel pairs a model's arriving production and shadow/canary
// records by candidate version and request id (at most
// LiveOptions.MaxPending waiting), one rolling window per candidate
// version. A production record waits once for each candidate version seen,
// so a request that a shadow and a canary both answered pairs with each.
type loggedModel struct {
	pr      *pairer
	cands   []string // candidate versions seen, in arrival order
	windows map[string]*window
}

// maxLoggedCandidates bounds the candidate versions of one model paired at
// once (and their windows); a new one retires the oldest.
const maxLoggedCandidates = 8

// pairKey is the pairer key of one request's side for one candidate.
func pairKey(candidate, requestID string) string { return candidate + "\x00" + requestID }

// window is a rolling comparison: the last len(ring) pairs.
type window struct {
	production string
	ring       []Pair
	next       int
	full       bool
	rows       uint64
	acc        *Accumulator
	stats      Stats
	valid      bool
}

func (w *window) add(p Pair) {
	w.ring[w.next] = p
	w.next++
	if w.next == len(w.ring) {
		w.next, w.full = 0, true
	}
	w.rows++
	w.valid = false
}

func newWindow(size int, opts Options) *window {
	return &window{ring: make([]Pair, size), acc: NewAccumulator(opts)}
}

// result is the window's comparison, cached until a pair is added.
func (w *window) result() Stats {
	if !w.valid {
		w.acc.Reset()
		w.stats, w.valid = w.compare(w.acc), true
	}
	return w.stats
}

// compare adds the window's pairs, oldest first, to acc and returns its result.
func (w *window) compare(acc *Accumulator) Stats {
	if w.full {
		for _, p := range w.ring[w.next:] {
			acc.Add(p)
		}
	}
	for _, p := range w.ring[:w.next] {
		acc.Add(p)
	}
	return acc.Result()
}

// span is the time span of the pairs in the window.
func (w *window) span() (from, to time.Time) {
	n := w.next
	if w.full {
		n = len(w.ring)
	}
	if n == 0 {
		return time.Time{}, time.Time{}
	}
	lo, hi := w.ring[0].TS, w.ring[0].TS
	for _, p := range w.ring[:n] {
		lo, hi = min(lo, p.TS), max(hi, p.TS)
	}
	return time.UnixMilli(lo).UTC(), time.UnixMilli(hi).UTC()
}

// pairModel pairs one model's drained records (logged shadow traffic).
func (l *Live) pairModel(items []liveItem) {
	name := items[0].model
	l.mu.Lock()
	defer l.mu.Unlock()
	lm := l.logged[name]
	for i := range items {
		it := &items[i]
		if it.requestID == "" {
			continue
		}
		if lm == nil {
			if !it.candidate {
				continue // no shadow traffic seen for this model yet
			}
			lm = &loggedModel{pr: newPairer(l.opts.MaxPending), windows: map[string]*window{}}
			l.logged[name] = lm
			l.markLogged(name)
		}
		side := pendingSide{candidate: it.candidate, version: it.version, ts: it.ts, score: it.score}
		if it.candidate {
			if !slices.Contains(lm.cands, it.version) {
				if len(lm.cands) == maxLoggedCandidates {
					// The oldest candidate is retired: its window and
					// series go (its waiting records are given up as the
					// pairer fills).
					delete(lm.windows, lm.cands[0])
					lm.cands = slices.Delete(lm.cands, 0, 1)
				}
				lm.cands = append(lm.cands, it.version)
			}
			if other, ok := lm.pr.offer(pairKey(it.version, it.requestID), side); ok {
				l.addLoggedPair(lm, it.requestID, side, other)
			}
			continue
		}
		for _, c := range lm.cands {
			if other, ok := lm.pr.offer(pairKey(c, it.requestID), side); ok {
				l.addLoggedPair(lm, it.requestID, side, other)
			}
		}
	}
}

// addLoggedPair adds a pair of one request's production and candidate
// sides to the candidate version's window. Called with l.mu held.
func (l *Live) addLoggedPair(lm *loggedModel, requestID string, a, b pendingSide) {
	cand, prod := a, b
	if !cand.candidate {
		cand, prod = b, a
	}
	w := lm.windows[cand.version]
	if w == nil {
		w = newWindow(l.opts.Window, l.opts.Compare)
		lm.windows[cand.version] = w
	}
	w.production = prod.version
	w.add(makePair(requestID, a, b))
}

// markLogged records that name has shadow traffic, so that ingest queues
// its production records for pairing. Called with l.mu held.
func (l *Live) markLogged(name string) {
	old := *l.active.Load()
	act := make(map[string]activeState, len(old)+1)
	for k, v := range old {
		act[k] = v
	}
	st := act[name]
	st.logged = true
	act[name] = st
	l.active.Store(&act)
}

// LoggedStats is the rolling comparison of model's logged shadow traffic
// against candidate; ok is false when there is none.
func (l *Live) LoggedStats(model, candidate string) (LiveStats, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lm := l.logged[model]
	if lm == nil || lm.windows[candidate] == nil {
		return LiveStats{}, false
	}
	w := lm.windows[candidate]
	return LiveStats{ProductionVersion: w.production, CandidateVersion: candidate, Stats: w.result(), Rows: w.rows}, true
}

// NewLive returns a live shadow scorer; start its worker with Run.
func NewLive(opts LiveOptions) *Live {
	if opts.Queue <= 0 {
		opts.Queue = DefaultLiveQueue
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	if opts.Window <= 0 {
		opts.Window = DefaultLiveWindow
	}
	if opts.Refresh <= 0 {
		opts.Refresh = DefaultLiveRefresh
	}
	if opts.Backend == nil {
		opts.Backend = engine.DefaultBackend()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultLivePending
	}
	l := &Live{opts: opts, queue: make(chan liveItem, opts.Queue), log: opts.Logger,
		models: map[string]*liveModel{}, logged: map[string]*loggedModel{}}
	l.active.Store(&map[string]activeState{})
	return l
}

// ObserveRecords implements predlog/api.Observer: it queues a copy of every
// scorable production record of a model that has (or may have) a live
// candidate, with its features, and the scores of shadow/canary records and
// of production records of models with shadow traffic, for logged pairing.
// It never blocks: a full queue drops the record and counts it.
func (l *Live) ObserveRecords(recs []predlog.Record) {
	active := *l.active.Load()
	var now int64
	for i := range recs {
		r := &recs[i]
		if r.Status != predlog.StatusOK {
			continue
		}
		candidate := r.Role == predlog.RoleShadow || r.Role == predlog.RoleCanary
		if !candidate && r.Role != predlog.RoleProduction {
			continue
		}
		if candidate && r.RequestID == "" {
			continue
		}
		st, known := active[r.Model]
		scoreIt := !candidate
		if scoreIt && known && !st.on {
			if now == 0 {
				now = time.Now().UnixNano()
			}
			if now < st.until {
				scoreIt = false // no live candidate: at most logged pairing
				if !st.logged || r.RequestID == "" {
					continue
				}
			}
		}
		score, ok := numericPrediction(r)
		if !ok {
			continue
		}
		var feats *[]predlog.Feature
		if scoreIt {
			feats, _ = l.pool.Get().(*[]predlog.Feature)
			if feats == nil {
				feats = new([]predlog.Feature)
			}
			*feats = append((*feats)[:0], r.Features...)
		}
		it := liveItem{candidate: candidate, model: r.Model, version: r.Version, requestID: r.RequestID, ts: r.TS, score: score, feats: feats}
		select {
		case l.queue <- it:
		default:
			l.release(feats)
			l.dropCounter(r.Model).Add(1)
		}
	}
}

func (l *Live) release(feats *[]predlog.Feature) {
	if feats == nil {
		return
	}
	clear(*feats)
	*feats = (*feats)[:0]
	l.pool.Put(feats)
}

func (l *Live) dropCounter(model string) *atomic.Uint64 {
	if c, ok := l.dropped.Load(model); ok {
		return c.(*atomic.Uint64)
	}
	c, _ := l.dropped.LoadOrStore(model, new(atomic.Uint64))
	return c.(*atomic.Uint64)
}

// Dropped is how many records of model the full queue dropped.
func (l *Live) Dropped(model string) uint64 {
	if c, ok := l.dropped.Load(model); ok {
		return c.(*atomic.Uint64).Load()
	}
	return 0
}

// Run scores queued records until ctx is done.
func (l *Live) Run(ctx context.Context) {
	batch := make([]liveItem, 0, l.opts.BatchRows)
	rb := newReplayBatch(l.opts.BatchRows, 0)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case it := <-l.queue:
			batch = append(batch, it)
		}
	drain:
		for len(batch) < cap(batch) {
			select {
			case it := <-l.queue:
				batch = append(batch, it)
			default:
				break drain
			}
		}
		l.scoreBatch(ctx, batch, &rb)
		for i := range batch {
			l.release(batch[i].feats)
			batch[i] = liveItem{}
		}
	}
}

// scoreBatch scores a drained batch model by model.
func (l *Live) scoreBatch(ctx context.Context, items []liveItem, rbp **replayBatch) {
	sort.SliceStable(items, func(i, j int) bool { return items[i].model < items[j].model })
	for lo := 0; lo < len(items); {
		hi := lo + 1
		for hi < len(items) && items[hi].model == items[lo].model {
			hi++
		}
		l.pairModel(items[lo:hi])
		if err := l.scoreModel(ctx, items[lo:hi], rbp); err != nil && ctx.Err() == nil {
			l.log.Warn("live shadow scoring failed", "model", items[lo].model, "err", err)
		}
		lo = hi
	}
}

func (l *Live) scoreModel(ctx context.Context, items []liveItem, rbp **replayBatch) error {
	name := items[0].model
	// Only production records queued with their features are scored.
	n := 0
	for i := range items {
		if items[i].feats != nil {
			items[i], items[n] = items[n], items[i]
			n++
		}
	}
	items = items[:n]
	if n == 0 {
		return nil
	}
	m := l.resolve(ctx, name)
	if m == nil || m.cand == nil {
		return nil
	}
	c := *m.cand
	nf := c.Model.NumFeatures()
	rb := *rbp
	if rb.b.Cols != nf || rb.b.Rows < len(items) {
		rb = newReplayBatch(max(len(items), l.opts.BatchRows), nf)
		*rbp = rb
	}
	start := time.Now()
	rb.n = 0
	for i := range items {
		it := &items[i]
		m.filler.fill(rb.b.Row(rb.n), *it.feats)
		rb.ids[rb.n], rb.ts[rb.n], rb.prod[rb.n], rb.injected[rb.n] = it.requestID, it.ts, it.score, false
		rb.n++
	}
	var pairs []Pair
	var none int
	err := rb.score(ctx, l.opts.Backend, c, nil, func(p Pair) { pairs = append(pairs, p) }, &none)
	if err != nil {
		return err
	}
	busy := time.Since(start)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.models[name] != m {
		return nil // the candidate changed meanwhile
	}
	for i, p := range pairs {
		m.win.production = items[i].version
		m.win.add(p)
	}
	m.busy += busy
	m.backend = describeBackend(l.opts.Backend, c.Model)
	return nil
}

// resolve returns the model's state, looking its candidate up again when
// Refresh has passed.
func (l *Live) resolve(ctx context.Context, name string) *liveModel {
	l.mu.Lock()
	m := l.models[name]
	l.mu.Unlock()
	if m != nil && time.Since(m.resolvedAt) < l.opts.Refresh {
		return m
	}
	now := time.Now()
	nm := &liveModel{resolvedAt: now}
	keep := false
	if l.opts.Registry != nil {
		st, err := l.opts.Registry.Get(ctx, name)
		switch {
		case err == nil:
			nm.production = st.Production
			if v, ok := CandidateOf(st); ok {
				nm.uri, nm.candVersion = v.ArtifactURI, v.Version
				// The same candidate: keep the loaded model and its window
				// (or, for a remote artifact, the verdict and no new log line).
				keep = m != nil && m.candVersion == v.Version && m.uri == v.ArtifactURI && (m.cand != nil || m.remote)
				if !keep {
					nm.cand, nm.remote = l.load(name, v)
				}
			}
		case !errors.Is(err, registry.ErrNotFound):
			l.log.Warn("live shadow: registry lookup failed", "model", name, "err", err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if keep {
		m.resolvedAt, m.production = now, nm.production
		nm = m
	} else {
		if nm.cand != nil {
			nm.filler = newRowFiller(nm.cand.Features)
			nm.win = newWindow(l.opts.Window, l.opts.Compare)
		}
		if m != nil && m.cand != nil && (nm.cand == nil || nm.cand.Model != m.cand.Model) {
			forgetModel(l.opts.Backend, m.cand.Model) // the replaced candidate's device memory
		}
		l.models[name] = nm
	}
	old := *l.active.Load()
	act := make(map[string]activeState, len(old)+1)
	for k, v := range old {
		act[k] = v
	}
	act[name] = activeState{on: nm.cand != nil, until: now.Add(l.opts.Refresh).UnixNano(), logged: old[name].logged}
	l.active.Store(&act)
	return nm
}

// load loads a candidate's model file; remote reports an artifact that is
// not a local file (not retried until the registry changes), while a local
// file that fails to load is tried again at the next Refresh.
func (l *Live) load(name string, v registry.Version) (c *Candidate, remote bool) {
	path, err := LocalArtifact(v.ArtifactURI)
	if err != nil {
		l.log.Info("live shadow off for this candidate", "model", name, "version", v.Version, "reason", err.Error())
		return nil, true
	}
	cand, err := LoadCandidate(path, v.Version, nil)
	if err != nil {
		l.log.Warn("live shadow off for this candidate", "model", name, "version", v.Version, "err", err)
		return nil, false
	}
	l.log.Info("live shadow scoring", "model", name, "candidate", v.Version, "artifact", path)
	return &cand, false
}

// LiveStats is a model's rolling comparison.
type LiveStats struct {
	ProductionVersion, CandidateVersion string
	// From and To are the times of the oldest and newest pair in the window.
	From, To time.Time
	Stats
	Rows, Dropped uint64
	RowsPerSecond float64
	// Backend says which backend and device scored the candidate.
	Backend string
}

// Stats returns the rolling comparison of model; ok is false when it has no
// live candidate.
func (l *Live) Stats(model string) (LiveStats, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.models[model]
	if m == nil || m.cand == nil {
		return LiveStats{}, false
	}
	return l.statsLocked(model, m), true
}

// StatsWith is Stats with the rolling window compared under opts (a report
// asking for another threshold, tolerance or top N).
func (l *Live) StatsWith(model string, opts Options) (LiveStats, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.models[model]
	if m == nil || m.cand == nil {
		return LiveStats{}, false
	}
	s := l.statsLocked(model, m)
	s.Stats = m.win.compare(NewAccumulator(opts))
	return s, true
}

func (l *Live) statsLocked(name string, m *liveModel) LiveStats {
	w := m.win
	s := LiveStats{ProductionVersion: w.production, CandidateVersion: m.cand.Version, Stats: w.result(),
		Rows: w.rows, Dropped: l.Dropped(name), Backend: m.backend}
	s.From, s.To = w.span()
	if s.ProductionVersion == "" {
		s.ProductionVersion = m.production
	}
	if m.busy > 0 {
		s.RowsPerSecond = float64(w.rows) / m.busy.Seconds()
	}
	return s
}

// AppendTo implements predlog/api.SeriesWriter: the rolling figures of
// every model with a live candidate.
func (l *Live) AppendTo(ctx context.Context, db storage.Appendable, ts time.Time) error {
	type sample struct {
		name string
		v    float64
	}
	type group struct {
		lset  labels.Labels
		items []sample
	}
	l.mu.Lock()
	names := make([]string, 0, len(l.models))
	for n, m := range l.models {
		if m.cand != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	groups := make([]group, 0, len(names))
	for _, n := range names {
		s := l.statsLocked(n, l.models[n])
		lset := labels.FromStrings("candidate_version", s.CandidateVersion, "model", n,
			"production_version", s.ProductionVersion, "source", SourceLive)
		groups = append(groups, group{lset, []sample{
			{MetricAgreement, s.Agreement}, {MetricAbsDiffMean, s.MeanAbsDiff}, {MetricAbsDiffP99, s.P99AbsDiff},
			{MetricSpearman, s.Spearman}, {MetricPSI, s.PSI},
			{MetricRows, float64(s.Rows)}, {MetricDropped, float64(s.Dropped)},
		}})
	}
	names = names[:0]
	for n := range l.logged {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		lm := l.logged[n]
		cands := make([]string, 0, len(lm.windows))
		for c := range lm.windows {
			cands = append(cands, c)
		}
		sort.Strings(cands)
		for _, c := range cands {
			w := lm.windows[c]
			s := w.result()
			lset := labels.FromStrings("candidate_version", c, "model", n,
				"production_version", w.production, "source", SourceLogged)
			groups = append(groups, group{lset, []sample{
				{MetricAgreement, s.Agreement}, {MetricAbsDiffMean, s.MeanAbsDiff}, {MetricAbsDiffP99, s.P99AbsDiff},
				{MetricSpearman, s.Spearman}, {MetricPSI, s.PSI},
				{MetricRows, float64(w.rows)}, {MetricDropped, float64(l.Dropped(n))},
			}})
		}
	}
	l.mu.Unlock()
	if len(groups) == 0 {
		return nil
	}
	app := db.Appender(ctx)
	ms := ts.UnixMilli()
	for _, g := range groups {
		for _, s := range g.items {
			if math.IsNaN(s.v) || math.IsInf(s.v, 0) {
				continue
			}
			b := labels.NewBuilder(g.lset)
			b.Set(labels.MetricName, s.name)
			lset := b.Labels()
			if _, err := app.Append(0, lset, ms, s.v); err != nil {
				_ = app.Rollback()
				return fmt.Errorf("append %s: %w", lset, err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		return fmt.Errorf("commit shadow series: %w", err)
	}
	return nil
}
