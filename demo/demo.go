package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/mlectl/mlectl/alerting"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/metaapi"
	"github.com/mlectl/mlectl/mlmetrics"
	"github.com/mlectl/mlectl/sim"
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
	// DriftEvery and DriftWindow: how often drift is computed, over how much
	// recent traffic; defaults 10s and 60s (short, so the demo moves).
	DriftEvery, DriftWindow time.Duration
	// Backfill is how much history is simulated before now, so charts are
	// not empty at start; default 10m.
	Backfill time.Duration
	Seed     uint64
	Logger   *slog.Logger
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
		o.DriftEvery = 10 * time.Second
	}
	if o.DriftWindow == 0 {
		o.DriftWindow = time.Minute
	}
	if o.Backfill == 0 {
		o.Backfill = 10 * time.Minute
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
	db      *tsdb.DB
	srv     *collector.Server
	meta    *metaapi.Service
	rules   *alerting.Manager
	agg     *mlmetrics.Aggregator
	windows map[string]*featureWindow
	cancel  context.CancelFunc
	done    chan error
	running int // goroutines that report on done
}

// Start opens the storage, starts the collector and the traffic loop.
func Start(ctx context.Context, opts Options) (*Demo, error) {
	opts = opts.withDefaults()
	d := &Demo{opts: opts, agg: mlmetrics.NewAggregator(), windows: map[string]*featureWindow{}}
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
	for _, m := range models {
		d.windows[m.Name] = newFeatureWindow(m)
	}
	db, err := tsdb.Open(dir, tsdb.Options{Logger: opts.Logger.With("component", "tsdb")})
	if err != nil {
		d.cleanup()
		return nil, fmt.Errorf("demo: open storage: %w", err)
	}
	d.db = db
	srv, err := collector.New(collector.Config{Version: "demo"}, db, opts.Logger.With("component", "collector"))
	if err != nil {
		d.cleanup()
		return nil, fmt.Errorf("demo: collector: %w", err)
	}
	d.srv = srv
	l, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		d.cleanup()
		return nil, fmt.Errorf("demo: listen on %s: %w", opts.Listen, err)
	}
	d.URL = "http://" + l.Addr().String()
	if d.rules, err = d.newAlerting(dir); err != nil {
		_ = l.Close()
		d.cleanup()
		return nil, err
	}
	if err := d.openMeta(ctx, dir, d.rules); err != nil {
		_ = l.Close()
		d.cleanup()
		return nil, err
	}
	d.meta.Mount(srv)
	srv.AttachRules(d.rules)
	d.rules.AttachEvents(d.meta.Recorder(), d.meta.Events)
	alerting.Mount(srv, d.rules.AuditedHandler(d.meta.Auth, d.meta.Audit))
	srv.Handle("POST "+routePath, http.HandlerFunc(d.handleRoute))

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.cancel = cancel
	d.done = make(chan error, 2)
	d.running++
	go func() { d.done <- srv.Serve(runCtx, l) }()
	if err := d.registerVersions(ctx); err != nil {
		_ = d.Close()
		return nil, err
	}

	now := time.Now()
	d.IncidentAt = now.Add(opts.IncidentAfter)
	d.Sim.Stage(sim.Incident{Model: "demand", Feature: "temp", ShiftSigmas: 3, LatencyFactor: 6, ErrorRate: 0.08, At: d.IncidentAt})
	if err := d.backfill(ctx, now); err != nil {
		_ = d.Close()
		return nil, err
	}
	d.running++
	go func() { d.done <- d.loop(runCtx) }()
	d.running++
	go func() { d.done <- d.rules.Run(runCtx) }()
	return d, nil
}

// backfill simulates the history before now so the console has charts.
func (d *Demo) backfill(ctx context.Context, now time.Time) error {
	for t := now.Add(-d.opts.Backfill); t.Before(now); t = t.Add(d.opts.Tick) {
		if err := d.step(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

func (d *Demo) loop(ctx context.Context) error {
	tick := time.NewTicker(d.opts.Tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-tick.C:
			if err := d.step(ctx, now); err != nil {
				d.opts.Logger.Warn("demo traffic step failed", "err", err)
			}
		}
	}
}

// step simulates one tick of traffic ending at now.
func (d *Demo) step(ctx context.Context, now time.Time) error {
	for _, r := range d.Sim.Tick(now, d.opts.Tick) {
		d.agg.Observe(mlmetrics.Prediction{Model: r.Model, Version: r.Version, Role: r.Role, Status: r.Status, LatencySeconds: r.LatencyMS / 1000})
		if r.Role == "production" {
			d.windows[r.Model].add(r)
		}
	}
	if err := d.agg.AppendTo(ctx, d.db, now); err != nil {
		return fmt.Errorf("demo: write traffic series: %w", err)
	}
	if now.UnixMilli()%d.opts.DriftEvery.Milliseconds() >= d.opts.Tick.Milliseconds() {
		return nil
	}
	for _, w := range d.windows {
		w.trim(now, d.opts.DriftWindow)
		if err := w.appendDrift(ctx, d.db, now); err != nil {
			return err
		}
	}
	return nil
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
	if d.rules != nil {
		d.rules.Stop()
		d.rules = nil
	}
	if d.meta != nil {
		if err := d.meta.Close(); err != nil {
			errs = append(errs, fmt.Errorf("demo: close metadata store: %w", err))
		}
		d.meta = nil
	}
	if d.db != nil {
		if err := d.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("demo: close storage: %w", err))
		}
		d.db = nil
	}
	if d.tempDir != "" {
		if err := os.RemoveAll(d.tempDir); err != nil {
			errs = append(errs, fmt.Errorf("demo: remove %s: %w", d.tempDir, err))
		}
		d.tempDir = ""
	}
	return errors.Join(errs...)
}
