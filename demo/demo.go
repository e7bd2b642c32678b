package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/server"
	"github.com/mlectl/mlectl/sim"
	"github.com/mlectl/mlectl/slo"
	"github.com/mlectl/mlectl/tsdb"
)

// Options configures a demo. The zero value gives the documented defaults.
type Options struct {
	// DataDir holds the demo's badger directory; empty means a temporary
	// directory removed by Close.
	DataDir string
	// Listen is the collector's address; default 127.0.0.1:0 (any free port).
	Listen string
	// IncidentAfter is when the incident starts; default 60s.
	IncidentAfter time.Duration
	// Tick is the traffic resolution; default 1s.
	Tick time.Duration
	// DriftEvery is how often the pipeline writes its series; DriftWindow is
	// the streaming drift window; defaults 5s and 30s (short, so the demo
	// moves; long enough that the slowest model's window holds 450 rows).
	DriftEvery, DriftWindow time.Duration
	// DriftThreshold is the drift verdict's threshold on the normed
	// Wasserstein / Jensen-Shannon score; default 0.2, above the sampling
	// noise of the demo's 30s windows (see config/drift.yml).
	DriftThreshold float64
	// Backfill is how much history is simulated before now, so charts are
	// not empty at start; default 10m. The SLOs' recorded error ratios go
	// back the whole SLO period (backfillSLOHistory): this history's windows
	// repeated, as a deployment that served them would have recorded.
	Backfill time.Duration
	// LabelLag is the longest delay before a prediction's ground truth
	// arrives as feedback (the shortest is 2s, or LabelLag when smaller);
	// default 30s.
	LabelLag time.Duration
	// QualityWindow is how many recent labelled predictions per model version
	// the live quality metrics cover; default 500 (a demo-sized window).
	QualityWindow int
	// BackfillInBackground makes Start return as soon as the collector
	// serves: the history is simulated afterwards (views fill in as it
	// lands) and live traffic follows it. Backfilled is closed when done.
	BackfillInBackground bool
	// Listener, when set, is where the collector serves (Listen is then
	// ignored): a caller that opens it first can point a client at it
	// while Start runs — requests wait in the accept queue until it serves.
	// Start owns it from then on.
	Listener net.Listener
	// Tokens are API tokens the demo collector knows. Access control stays
	// off (every caller acts as admin), but a delegating token's
	// acting-for name is recorded: `mlectl demo --ssh` gives its SSH
	// console one, so the audit log names the key's owner.
	Tokens []auth.TokenSpec
	Seed   uint64
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.IncidentAfter == 0 {
		o.IncidentAfter = time.Minute
	}
	if o.Tick == 0 {
		o.Tick = time.Second
	}
	if o.DriftEvery == 0 {
		o.DriftEvery = 5 * time.Second
	}
	if o.DriftWindow == 0 {
		o.DriftWindow = 30 * time.Second
	}
	if o.DriftThreshold == 0 {
		o.DriftThreshold = 0.2
	}
	if o.Backfill == 0 {
		o.Backfill = 10 * time.Minute
	}
	if o.LabelLag <= 0 {
		o.LabelLag = 30 * time.Second
	}
	if o.QualityWindow <= 0 {
		o.QualityWindow = 500
	}
	if o.Seed == 0 {
		o.Seed = 2026
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Demo is a running demo: collector, storage and traffic.
type Demo struct {
	// URL is the collector's base URL, e.g. http://127.0.0.1:9710.
	URL string
	// Sim is the traffic simulator (a rollback calls Sim.SetProduction).
	Sim        *sim.Simulator
	IncidentAt time.Time

	opts    Options
	tempDir string
	// srv is the collector, assembled by server.Assemble as cmd/collector
	// assembles it; db is its TSDB once Run opened it.
	srv     *server.Server
	db      *tsdb.DB
	router  *http.Server // the stand-in model server's routing endpoint
	rng     *rand.Rand
	pending []pendingLabel
	cancel  context.CancelFunc
	done    chan error
	running int // goroutines that report on done

	live       chan struct{} // closed when the history is in: series and rules run
	backfilled chan struct{}
	// sloSpecs and sloWindows are the demo's SLOs, whose period history
	// backfillSLOHistory writes.
	sloSpecs   []slo.Spec
	sloWindows *slo.AlertWindows
	// clockBack moves the metadata store's clock back while the demo
	// registers its versions (nanoseconds; 0 otherwise).
	clockBack atomic.Int64
}

// Backfilled is closed once the simulated history is in storage and live
// traffic runs (at once when Start backfilled before returning).
func (d *Demo) Backfilled() <-chan struct{} { return d.backfilled }

// Start opens the storage, starts the collector and the traffic loop.
func Start(ctx context.Context, opts Options) (*Demo, error) {
	opts = opts.withDefaults()
	d := &Demo{opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 7)), live: make(chan struct{}), backfilled: make(chan struct{})}
	dir := opts.DataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "mlectl-demo-")
		if err != nil {
			return nil, fmt.Errorf("demo: create temporary data dir: %w", err)
		}
		dir, d.tempDir = tmp, tmp
	}
	models, err := sim.DemoModels()
	if err != nil {
		d.cleanup()
		return nil, err
	}
	d.Sim = sim.New(models, opts.Seed)
	l, err := opts.Listener, error(nil)
	if l == nil {
		l, err = net.Listen("tcp", opts.Listen)
	}
	if err != nil {
		d.cleanup()
		return nil, fmt.Errorf("demo: listen on %s: %w", opts.Listen, err)
	}
	d.URL = "http://" + l.Addr().String()
	routeURL, err := d.serveRouting()
	if err != nil {
		_ = l.Close()
		d.cleanup()
		return nil, err
	}
	cfg, err := d.serverConfig(dir, routeURL)
	if err != nil {
		_ = l.Close()
		d.cleanup()
		return nil, err
	}
	cfg.Listener = l
	cfg.LiveAfter = d.live
	if d.srv, err = server.Assemble(ctx, cfg); err != nil {
		_ = l.Close()
		d.cleanup()
		return nil, fmt.Errorf("demo: %w", err)
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.cancel = cancel
	d.done = make(chan error, 3)
	d.running++
	go func() { d.done <- d.srv.Run(runCtx) }()
	if d.db, err = d.srv.Storage(ctx); err != nil {
		_ = d.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := d.registerVersions(ctx); err != nil {
		_ = d.Close()
		return nil, err
	}

	now := time.Now()
	if err := d.recordTrainingRuns(ctx, now); err != nil {
		_ = d.Close()
		return nil, err
	}
	if err := d.importBaselines(ctx, now); err != nil {
		_ = d.Close()
		return nil, err
	}
	d.IncidentAt = now.Add(opts.IncidentAfter)
	d.Sim.Stage(sim.Incident{Model: "demand", Feature: "temp", ShiftSigmas: 3, LatencyFactor: 6, ErrorRate: 0.08, At: d.IncidentAt})
	live := func() {
		close(d.live) // the collector's series writes and rule evaluation
		go func() { d.done <- d.loop(runCtx) }()
		close(d.backfilled)
	}
	if !opts.BackfillInBackground {
		if err := d.backfill(ctx, now); err != nil {
			_ = d.Close()
			return nil, err
		}
		d.running++
		live()
		return d, nil
	}
	// The history and the live traffic share the simulator, so they run one
	// after the other in one goroutine; every goroutine reports on done.
	d.running++
	go func() {
		if err := d.backfill(runCtx, now); err != nil && runCtx.Err() == nil {
			opts.Logger.Warn("demo backfill failed; live traffic goes on without history", "err", err)
		}
		live()
	}()
	return d, nil
}

// backfill simulates the history before now so the console has charts. It
// ingests in-process (one HTTP round trip per simulated tick would make the
// start slow) and writes the pipeline's series at simulated time.
func (d *Demo) backfill(ctx context.Context, now time.Time) error {
	lastSeries := time.Time{}
	for t := now.Add(-d.opts.Backfill); t.Before(now); t = t.Add(d.opts.Tick) {
		sims := d.Sim.Tick(t, d.opts.Tick)
		recs := make([]predlog.Record, len(sims))
		for i, r := range sims {
			recs[i] = toRecord(r)
		}
		if err := d.srv.Pipeline.Ingest(ctx, recs); err != nil {
			return fmt.Errorf("demo: backfill ingest: %w", err)
		}
		d.queueLabels(sims)
		if t.Sub(lastSeries) >= d.opts.DriftEvery {
			if err := d.srv.Pipeline.AppendSeries(ctx, d.db, t); err != nil {
				return fmt.Errorf("demo: backfill series: %w", err)
			}
			lastSeries = t
		}
	}
	if err := d.sendDueLabels(ctx, now); err != nil {
		return err
	}
	return d.backfillSLOHistory(ctx, now)
}

func (d *Demo) loop(ctx context.Context) error {
	tick := time.NewTicker(d.opts.Tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-tick.C:
			if err := d.step(ctx, now); err != nil && ctx.Err() == nil {
				d.opts.Logger.Warn("demo traffic step failed", "err", err)
			}
		}
	}
}

// step posts one tick of traffic ending at now, and the labels now due.
func (d *Demo) step(ctx context.Context, now time.Time) error {
	sims := d.Sim.Tick(now, d.opts.Tick)
	recs := make([]predlog.Record, len(sims))
	for i, r := range sims {
		recs[i] = toRecord(r)
	}
	if err := d.postPredictions(ctx, recs); err != nil {
		return err
	}
	d.queueLabels(sims)
	return d.sendDueLabels(ctx, now)
}

// Close stops traffic and the collector, flushes and closes the storage and
// removes the temporary directory.
func (d *Demo) Close() error {
	var errs []error
	if d.cancel != nil {
		d.cancel()
		for range d.running {
			if err := <-d.done; err != nil {
				errs = append(errs, err)
			}
		}
		d.cancel, d.running = nil, 0
	}
	errs = append(errs, d.cleanup())
	return errors.Join(errs...)
}

func (d *Demo) cleanup() error {
	var errs []error
	if d.srv != nil {
		if err := d.srv.Close(); err != nil {
			errs = append(errs, fmt.Errorf("demo: %w", err))
		}
		d.srv = nil
	}
	if d.router != nil {
		_ = d.router.Close()
		d.router = nil
	}
	if d.tempDir != "" {
		if err := os.RemoveAll(d.tempDir); err != nil {
			errs = append(errs, fmt.Errorf("demo: remove %s: %w", d.tempDir, err))
		}
		d.tempDir = ""
	}
	return errors.Join(errs...)
}
