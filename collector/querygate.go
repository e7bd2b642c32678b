package collector

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	rtrace "runtime/trace"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/util/annotations"
)

// queryGate is the admission of queries, kept apart from ingest so that
// queries cannot starve it:
//
//   - at most query.max_concurrency PromQL queries evaluate at once
//     (Prometheus's active query tracker semantics: the engine calls Insert
//     before it evaluates and blocks there while the gate is full, until
//     the query's context ends);
//   - of the reads that touch storage (query, query_range, series, labels,
//     remote read, …) at most cpuShare run on a CPU at once: half of
//     GOMAXPROCS, at least one. The others wait their turn, and a running
//     one hands its turn over every handOverEvery samples when another is
//     waiting. So at least half the CPUs are always free for ingest, the
//     HTTP server and the garbage collector, however many queries come in;
//   - a running query pauses while ingest requests are in flight (checked
//     every yieldEvery samples), for as long as they are, within a budget:
//     its pauses add up to at most maxPausedShare of its time (plus
//     pauseGrace), each at most maxYield. A burst of remote writes (a
//     sender's shards flushing together) thus gets every CPU, as when no
//     query runs, while under ingest that never stops a query still runs
//     at least half the time.
type queryGate struct {
	slots    chan struct{}
	cpu      chan struct{} // turns on a CPU (half of GOMAXPROCS, at least 1)
	queued   atomic.Int64  // reads waiting for a turn
	ingest   atomic.Int64  // ingest requests in flight, for the fast check
	mu       sync.Mutex
	n        int           // ingest requests in flight, under mu
	idle     chan struct{} // closed when n drops to 0; under mu
	waiting  prometheus.Gauge
	yielded  prometheus.Counter
	maxYield time.Duration
}

const (
	// yieldEvery is how many samples a query's iterator reads between
	// checks for ingest in flight (a check is one atomic load), a fraction
	// of a millisecond of evaluation.
	yieldEvery = 256
	// handOverEvery is how many samples a read evaluates in its CPU turn
	// before it hands the turn to a waiting read.
	handOverEvery = 1024
	// seriesCost is what opening a series' iterator counts for: the store
	// may read and decode the series' whole range there.
	seriesCost = 64
	// maxYield bounds one pause of a query for ingest: long enough for a
	// burst of concurrent remote writes to finish on a loaded machine.
	maxYield = 20 * time.Millisecond
	// maxPausedShare bounds the share of a query's time spent paused for
	// ingest, so that ingest that never stops slows queries at most 2×.
	maxPausedShare = 0.5
	// pauseGrace is what a query may pause before it has run long enough
	// to have earned pauses.
	pauseGrace = 5 * time.Millisecond
)

func newQueryGate(maxConcurrency int, reg prometheus.Registerer) *queryGate {
	if maxConcurrency <= 0 {
		maxConcurrency = 1 << 20 // negative: no limit
	}
	g := &queryGate{
		slots:    make(chan struct{}, maxConcurrency),
		cpu:      make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
		maxYield: maxYield,
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mlectl_collector_queries_waiting",
			Help: "PromQL queries waiting for a slot (query.max_concurrency).",
		}),
		yielded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mlectl_collector_query_ingest_yields_total",
			Help: "Times a running query paused because ingest requests were in flight.",
		}),
	}
	g.idle = make(chan struct{})
	close(g.idle)
	reg.MustRegister(g.waiting, g.yielded, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "mlectl_collector_queries_running",
		Help: "PromQL queries running (at most query.max_concurrency).",
	}, func() float64 { return float64(len(g.slots)) }))
	return g
}

// GetMaxConcurrent implements promql.QueryTracker.
func (g *queryGate) GetMaxConcurrent() int { return cap(g.slots) }

// Insert implements promql.QueryTracker: it takes a slot, waiting while
// all are taken.
func (g *queryGate) Insert(ctx context.Context, _ string) (int, error) {
	select {
	case g.slots <- struct{}{}:
		return 0, nil
	default:
	}
	// Waiting for a slot, a read lets go of its CPU turn: the slot holders
	// may be waiting for a turn.
	t, _ := ctx.Value(turnKey{}).(*turn)
	if t != nil && t.held {
		<-g.cpu
		t.held = false
	}
	g.waiting.Inc()
	var err error
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		err = fmt.Errorf("query waited for one of the %d query slots (query.max_concurrency) until: %w", cap(g.slots), context.Cause(ctx))
	}
	g.waiting.Dec()
	if t != nil && !t.held {
		if terr := g.takeTurn(ctx); terr != nil {
			if err == nil {
				<-g.slots
				err = fmt.Errorf("query waited for a CPU turn until: %w", terr)
			}
			return 0, err
		}
		t.held = true
	}
	return 0, err
}

// Delete implements promql.QueryTracker.
func (g *queryGate) Delete(int) { <-g.slots }

// Close implements promql.QueryTracker.
func (g *queryGate) Close() error { return nil }

// ingesting wraps an ingest handler so that running queries yield to it.
func (g *queryGate) ingesting(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.enterIngest()
		defer g.leaveIngest()
		defer rtrace.StartRegion(r.Context(), "ingest").End()
		h.ServeHTTP(w, r)
	})
}

func (g *queryGate) enterIngest() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	if g.n == 1 {
		g.idle = make(chan struct{})
	}
	g.ingest.Store(int64(g.n))
}

func (g *queryGate) leaveIngest() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.n == 0 {
		close(g.idle)
	}
	g.ingest.Store(int64(g.n))
}

// pauseBudget is what one query has paused for ingest so far; only the
// query's own goroutine touches it.
type pauseBudget struct {
	start  time.Time
	paused time.Duration
}

// allowance is how long the query may pause now: maxPausedShare of its
// time so far plus pauseGrace, less what it has paused, at most maxYield.
func (b *pauseBudget) allowance(now time.Time, maxYield time.Duration) time.Duration {
	if b.start.IsZero() {
		b.start = now
	}
	earned := time.Duration(maxPausedShare*float64(now.Sub(b.start))) + pauseGrace - b.paused
	return min(earned, maxYield)
}

// yield pauses the calling query while ingest is in flight, within the
// query's pause budget b, or until ctx ends.
func (g *queryGate) yield(ctx context.Context, b *pauseBudget) {
	if g.ingest.Load() == 0 {
		return
	}
	now := time.Now()
	wait := b.allowance(now, g.maxYield)
	if wait <= 0 {
		return
	}
	g.mu.Lock()
	idle := g.idle
	g.mu.Unlock()
	g.yielded.Inc()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	case <-ctx.Done():
	}
	b.paused += time.Since(now)
}

// turnKey carries a read's *turn in its request context.
type turnKey struct{}

// turn is one read's CPU turn; only the read's own goroutine touches it
// (the engine evaluates a query on the goroutine that serves it).
type turn struct {
	held bool
	// budget is the read's pauses for ingest, over all its selectors.
	budget pauseBudget
}

// reading wraps a read route that touches storage: it runs in a CPU turn.
func (g *queryGate) reading(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := g.takeTurn(r.Context()); err != nil {
			writeAPIError(w, http.StatusServiceUnavailable, "unavailable", "waiting for a query turn: "+err.Error())
			return
		}
		t := &turn{held: true}
		defer func() {
			if t.held {
				<-g.cpu
			}
		}()
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), turnKey{}, t)))
	})
}

func (g *queryGate) takeTurn(ctx context.Context) error {
	select {
	case g.cpu <- struct{}{}:
		return nil
	default:
	}
	g.queued.Add(1)
	defer g.queued.Add(-1)
	select {
	case g.cpu <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// handOver gives t's CPU turn to a waiting read, if any, and takes one
// again. Turns always come back: a holder never waits for anything
// unbounded while it holds one (Insert lets go of it to wait for a slot).
func (g *queryGate) handOver(t *turn) {
	if t == nil || !t.held || g.queued.Load() == 0 {
		return
	}
	<-g.cpu
	t.held = false
	runtime.Gosched()
	g.queued.Add(1)
	g.cpu <- struct{}{}
	g.queued.Add(-1)
	t.held = true
}

// yieldingQueryable hands queries queriers whose iterators yield to ingest.
type yieldingQueryable struct {
	storage.SampleAndChunkQueryable
	gate *queryGate
}

func (q yieldingQueryable) Querier(mint, maxt int64) (storage.Querier, error) {
	inner, err := q.SampleAndChunkQueryable.Querier(mint, maxt)
	if err != nil {
		return nil, err
	}
	return yieldingQuerier{inner, q.gate}, nil
}

type yieldingQuerier struct {
	storage.Querier
	gate *queryGate
}

func (q yieldingQuerier) Select(ctx context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	t, _ := ctx.Value(turnKey{}).(*turn)
	set := &yieldingSeriesSet{SeriesSet: q.Querier.Select(ctx, sortSeries, hints, ms...), ctx: ctx, gate: q.gate, turn: t}
	set.budget = &set.own
	if t != nil {
		set.budget = &t.budget
	}
	return set
}

type yieldingSeriesSet struct {
	storage.SeriesSet
	ctx  context.Context
	gate *queryGate
	turn *turn // the read's CPU turn; nil outside reading
	// n counts the samples read through all of this set's iterators (they
	// run on the query's goroutine, one after another).
	n int
	// budget is the read's (its turn's) pause budget, or own outside
	// reading (rule evaluation).
	budget *pauseBudget
	own    pauseBudget
}

func (s *yieldingSeriesSet) At() storage.Series {
	return yieldingSeries{Series: s.SeriesSet.At(), set: s}
}

func (s *yieldingSeriesSet) Warnings() annotations.Annotations { return s.SeriesSet.Warnings() }

type yieldingSeries struct {
	storage.Series
	set *yieldingSeriesSet
}

func (s yieldingSeries) Iterator(it chunkenc.Iterator) chunkenc.Iterator {
	s.set.advance(seriesCost)
	if y, ok := it.(*yieldingIterator); ok {
		y.Iterator = s.Series.Iterator(y.Iterator)
		y.set = s.set
		return y
	}
	return &yieldingIterator{Iterator: s.Series.Iterator(it), set: s.set}
}

type yieldingIterator struct {
	chunkenc.Iterator
	set *yieldingSeriesSet
}

func (it *yieldingIterator) tick() { it.set.advance(1) }

// advance counts k units of work, hands the CPU turn over each time the
// count passes a multiple of handOverEvery and yields to ingest each time
// it passes one of yieldEvery.
func (s *yieldingSeriesSet) advance(k int) {
	before := s.n
	s.n += k
	if before/yieldEvery == s.n/yieldEvery {
		return
	}
	if before/handOverEvery != s.n/handOverEvery {
		s.gate.handOver(s.turn)
	}
	s.gate.yield(s.ctx, s.budget)
}

func (it *yieldingIterator) Next() chunkenc.ValueType {
	it.tick()
	return it.Iterator.Next()
}

func (it *yieldingIterator) Seek(t int64) chunkenc.ValueType {
	it.tick()
	return it.Iterator.Seek(t)
}

// The rest delegates explicitly, so that the wrapper keeps the fast paths
// of the wrapped iterator's value accessors.
func (it *yieldingIterator) At() (int64, float64) { return it.Iterator.At() }
func (it *yieldingIterator) AtHistogram(h *histogram.Histogram) (int64, *histogram.Histogram) {
	return it.Iterator.AtHistogram(h)
}
func (it *yieldingIterator) AtFloatHistogram(fh *histogram.FloatHistogram) (int64, *histogram.FloatHistogram) {
	return it.Iterator.AtFloatHistogram(fh)
}
func (it *yieldingIterator) AtT() int64 { return it.Iterator.AtT() }
func (it *yieldingIterator) Err() error { return it.Iterator.Err() }
