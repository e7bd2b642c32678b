package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/oklog/run"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/alerting"
	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/cost"
	"github.com/mlectl/mlectl/delivery"
	"github.com/mlectl/mlectl/engine/gpu"
	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/internal/diskguard"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/metaapi"
	predapi "github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/cloudevents"
	"github.com/mlectl/mlectl/predlog/otlplog"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/quality"
	"github.com/mlectl/mlectl/remotestore"
	"github.com/mlectl/mlectl/shadow"
	"github.com/mlectl/mlectl/slo"
	"github.com/mlectl/mlectl/training"
	"github.com/mlectl/mlectl/tsdb"
)

// DefaultSeriesInterval is how often the prediction pipeline writes its
// series (traffic, quality, drift, violations) and the disk free-space
// series into the TSDB.
const DefaultSeriesInterval = 15 * time.Second

// DefaultRetention is the TSDB's retention when Config.Retention is 0.
const DefaultRetention = 15 * 24 * time.Hour

// Config is what Assemble builds a collector from.
type Config struct {
	// Collector is the configuration file's content (limits, query, auth,
	// ingest_auth, metrics_auth, drift, rules, tokens, models).
	Collector collector.Config
	// BaseDir resolves relative paths in Collector (token files, rule
	// files, SLO specs): the configuration file's directory.
	BaseDir string
	// DataDir holds the TSDB, predlog/, meta/ and alerting/.
	DataDir   string
	Retention time.Duration
	// RunbooksDir overlays the shipped runbook library ("" for only it).
	RunbooksDir string
	// Listener is where the collector serves; when nil Assemble listens on
	// Listen (default collector.DefaultListenAddress).
	Listener net.Listener
	Listen   string
	Logger   *slog.Logger

	// The rest tunes a collector for a time-compressed run (the demo);
	// zero values are the collector's defaults.

	// SeriesInterval is how often the pipeline and disk series are written
	// (default DefaultSeriesInterval).
	SeriesInterval time.Duration
	// DriftThreshold and DriftMinHistory tune the streaming drift verdict
	// (skew.Options.Threshold and MinHistory).
	DriftThreshold  float64
	DriftMinHistory float64
	// QualityWindow is how many recent labelled predictions per model
	// version the live quality metrics cover.
	QualityWindow int
	// RestoreJoins is predapi.PipelineOptions.RestoreJoins (-1: none).
	RestoreJoins time.Duration
	// SLOWindows replaces the SLO alert windows of rules.slo_specs (the
	// demo's scaled ones, slo.ParseAlertWindows).
	SLOWindows *slo.AlertWindows
	// MetaClock is the metadata store's clock (time.Now when nil).
	MetaClock func() time.Time
	// LiveAfter, when set, holds back the series writes and rule
	// evaluation of Run until it is closed (the demo writes simulated
	// history first; live series would be newer than it).
	LiveAfter <-chan struct{}
}

// Server is an assembled collector.
type Server struct {
	// Meta is the metadata store (registry, events, audit, runbooks, auth).
	Meta *metaapi.Service
	// Rules is the rules manager; nil when the configuration has no rules.
	Rules *alerting.Manager
	// Pipeline is the prediction log with its drift, quality and contracts.
	Pipeline *predapi.Pipeline
	// CloudEvents ingests KServe/Seldon payload loggers into the Pipeline.
	CloudEvents *cloudevents.Handler
	// OTLPLogs ingests prediction records sent as OpenTelemetry logs.
	OTLPLogs *otlplog.Handler
	// Injector is the game-day injector (restored from the log).
	Injector *gameday.Injector
	// Shadow is the shadow-scoring service.
	Shadow *shadow.Service
	// Engine scores shadow candidates on the backend engine.backend names,
	// chosen per model (engine/gpu.PerModel).
	Engine *gpu.PerModel
	// Training is the training-run log (POST /api/v1/training-runs).
	Training *training.Store

	cfg      Config
	logger   *slog.Logger
	http     *collector.Server
	disk     *diskguard.Guard
	listener net.Listener
	routes   []route.Route
	cluster  *clusterParts // nil without cluster:

	delivery    *delivery.Tracker      // mle_deployments_total, mle_rollbacks_total, ...
	cost        *cost.Tracker          // mle_cost_*; nil without a cost: block
	fallbacks   *prometheus.CounterVec // mle_engine_fallbacks_total{backend}
	storeOpened chan struct{}          // closed once Run opened the TSDB (or failed to)
	db          *tsdb.DB
	storeErr    error
	// Remote mode (storage.metrics: remote; both nil otherwise).
	queue     *remotestore.Queue
	reads     *remotestore.QueryClient
	closeOnce sync.Once
	closeErr  error
}

// Assemble builds every part of the collector and listens; nothing is
// served until Run. On error everything opened so far is closed again.
func Assemble(ctx context.Context, cfg Config) (_ *Server, err error) {
	if cfg.DataDir == "" {
		return nil, errors.New("data directory is empty")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.SeriesInterval == 0 {
		cfg.SeriesInterval = DefaultSeriesInterval
	}
	if cfg.Listen == "" {
		cfg.Listen = collector.DefaultListenAddress
	}
	logger := cfg.Logger
	s := &Server{cfg: cfg, logger: logger, storeOpened: make(chan struct{})}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	if s.http, err = collector.New(cfg.Collector, nil, logger); err != nil {
		return nil, err
	}
	if cfg.Collector.Storage.IsRemote() {
		if err := s.openRemote(); err != nil {
			return nil, err
		}
	}
	s.openCluster()
	if err := s.openRules(); err != nil {
		return nil, err
	}
	var silencer metaapi.Silencer // stays a nil interface without rules
	if s.Rules != nil {
		silencer = s.Rules
	}
	if s.Meta, err = openMeta(ctx, cfg, silencer); err != nil {
		return nil, err
	}
	if s.Rules != nil {
		s.Rules.AttachEvents(s.Meta.Recorder(), s.Meta.Events)
		s.http.AttachRules(s.Rules)
	}
	if err := s.openSLISeries(ctx); err != nil {
		return nil, err
	}
	// Below limits.min_free_disk_bytes free, ingest answers 507 and badger
	// writes wait, instead of badger dying of SIGBUS on a full disk.
	s.disk = s.http.GuardDisk(cfg.DataDir, nil)
	// Game days: the injector rewrites matching records before they are
	// stored and records start/stop in the event log. A model is known
	// when registered or logged (the log is set once open, below).
	ceCfg, err := cloudevents.DecodeConfig(&cfg.Collector.CloudEvents)
	if err != nil {
		return nil, err
	}
	// The payload-logger ingest learns feature names from baselines, so it
	// is a baseline sink of the pipeline, opened before it.
	s.CloudEvents = cloudevents.New(ceCfg, logger.With("component", "cloudevents"), nil)
	known := &gameday.KnownModels{Registry: s.Meta.Registry}
	s.Injector = gameday.New(gameday.Options{Events: s.Meta.Recorder(), Models: known, Logger: logger.With("component", "gameday")})
	if s.Pipeline, err = predapi.OpenPipeline(ctx, cfg.DataDir, predapi.PipelineOptions{
		Logger: logger.With("component", "predlog"),
		Store:  store.Options{DiskGuard: s.disk},
		// The bounds remote write applies to samples: max_future_skew, and
		// no older than the log keeps (retention would delete it at once).
		Limits:       predapi.Limits{MaxFutureSkew: cfg.Collector.Limits.MaxFutureSkew, MaxAge: predapi.DefaultRetention},
		Skew:         skew.Options{Window: cfg.Collector.Drift.Window, Threshold: cfg.DriftThreshold, MinHistory: cfg.DriftMinHistory},
		Quality:      quality.Options{Window: cfg.QualityWindow},
		RestoreJoins: cfg.RestoreJoins,
		Transformers: []predapi.Transformer{s.Injector}, Baselines: []predapi.BaselineSink{s.Injector, s.CloudEvents},
		Owner: s.ownerCheck(),
	}); err != nil {
		return nil, fmt.Errorf("open prediction log: %w", err)
	}
	known.Log = s.Pipeline.Log
	s.CloudEvents.SetIngester(s.Pipeline.Handler)
	s.OTLPLogs = otlplog.New(logger.With("component", "otlp logs"), nil, 0)
	s.OTLPLogs.SetIngester(s.Pipeline.Handler)
	// Injections acknowledged before a crash resume (or end, if their time
	// is over) before ingest is served.
	if err := s.Injector.Restore(ctx, s.Pipeline.Log); err != nil {
		return nil, err
	}
	if err := s.openEngine(); err != nil {
		return nil, err
	}
	if s.Shadow, err = shadow.StartOnPipeline(ctx, s.Pipeline, s.Meta.Registry, s.Engine, logger); err != nil {
		return nil, err
	}
	mounted := s.routeByOwner(s.mounted())
	s.routes = s.table(mounted)
	s.http.Mount(mounted...)
	// Remote write is ingest (ingest_auth); the Prometheus API,
	// status/tsdb and /metrics are reads (metrics_auth for /metrics).
	s.http.GuardWrite(func(h http.Handler) http.Handler { return s.Meta.Auth.RequireIngest(h, nil) })
	s.http.Authorize(s.Meta.Auth)
	if s.listener = cfg.Listener; s.listener == nil {
		if s.listener, err = net.Listen("tcp", cfg.Listen); err != nil {
			return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
		}
	}
	return s, nil
}

// openEngine opens the shadow scoring backend of engine.backend (a device
// named explicitly must open now) and registers mle_engine_fallbacks_total
// on /metrics.
func (s *Server) openEngine() error {
	name := s.cfg.Collector.Engine.BackendName()
	s.fallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: api.MetricEngineFallbacksTotal,
		Help: "Shadow scoring batches a device (backend) failed on and the CPU scored instead.",
	}, []string{"backend"})
	if err := s.http.Registry().Register(s.fallbacks); err != nil {
		return fmt.Errorf("register %s: %w", api.MetricEngineFallbacksTotal, err)
	}
	if name != gpu.BackendCPU {
		for _, b := range []string{gpu.BackendOpenCL, gpu.BackendCUDA} {
			s.fallbacks.WithLabelValues(b) // present at 0 for rate()
		}
	}
	var err error
	s.Engine, err = gpu.NewPerModel(gpu.PerModelOptions{Name: name, AllowCPU: true, OnFallback: s.CountEngineFallback,
		Logger: s.logger.With("component", "engine")})
	if err != nil {
		return fmt.Errorf("--config engine.backend %s: %w", name, err)
	}
	s.logger.Info("shadow scoring backend", "engine.backend", name)
	return nil
}

// CountEngineFallback counts one batch the named device backend failed on
// (mle_engine_fallbacks_total); engine/gpu calls it through Fallback.
func (s *Server) CountEngineFallback(backend string) {
	s.fallbacks.WithLabelValues(backend).Inc()
}

// openRules builds the rules manager when the configuration has rules.
func (s *Server) openRules() error {
	rulesCfg, err := alerting.DecodeConfig(&s.cfg.Collector.Rules)
	if err != nil {
		return fmt.Errorf("--config %w", err)
	}
	if c := s.cfg.Collector.Cluster; c.EvaluatesFleetRules() {
		// Rules that span models: evaluated here only (cluster.fleet_rules).
		rulesCfg.RuleFiles = append(rulesCfg.RuleFiles, c.FleetRuleFiles...)
	}
	if err := alignDriftWindows(&rulesCfg, s.cfg.Collector.Drift.Window); err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	if rulesCfg.Empty() {
		return nil
	}
	ao, err := rulesCfg.Options(s.cfg.BaseDir)
	if err != nil {
		return fmt.Errorf("--config %w", err)
	}
	if s.cfg.SLOWindows != nil {
		ao.SLOOptions.Windows = s.cfg.SLOWindows
	}
	ao.Storage = s.http.RuleStore()
	ao.QueryFunc = s.ruleQueryFunc()
	ao.StateDir = filepath.Join(s.cfg.DataDir, "alerting")
	ao.CollectorRules = true // CollectorDiskLow/Full on mle_collector_disk_free_bytes
	ao.Logger = s.logger.With("component", "alerting")
	ao.Registerer = s.http.Registry()
	s.Rules, err = alerting.New(ao)
	return err
}

// openMeta opens the metadata service (registry, events, runbooks, audit)
// in its own badger directory beside the TSDB.
func openMeta(ctx context.Context, cfg Config, silencer metaapi.Silencer) (*metaapi.Service, error) {
	tokens, err := auth.DecodeTokens(&cfg.Collector.Tokens)
	if err != nil {
		return nil, fmt.Errorf("--config tokens: %w", err)
	}
	models, err := metaapi.DecodeModels(&cfg.Collector.Models)
	if err != nil {
		return nil, fmt.Errorf("--config models: %w", err)
	}
	c := cfg.Collector
	meta, err := metaapi.Open(ctx, metaapi.Config{
		Dir:         filepath.Join(cfg.DataDir, "meta"),
		RunbooksDir: cfg.RunbooksDir,
		Auth:        auth.Config{Mode: c.Auth, Ingest: c.IngestAuth, Metrics: c.MetricsAuth, Tokens: tokens},
		AuthBaseDir: cfg.BaseDir,
		Models:      models,
		Silencer:    silencer,
		Logger:      cfg.Logger.With("component", "meta"),
		Now:         cfg.MetaClock,
	})
	if err != nil {
		return nil, fmt.Errorf("open metadata store: %w", err)
	}
	return meta, nil
}

// alignDriftWindows makes the drift rules count windows of the length the
// pipeline writes: rules.drift.window defaults to drift.window, and the two
// may not disagree.
func alignDriftWindows(rules *alerting.Config, window time.Duration) error {
	if rules.Drift == nil || window == 0 {
		return nil
	}
	switch w := time.Duration(rules.Drift.Window); {
	case w == 0:
		rules.Drift.Window = model.Duration(window)
	case w != window:
		return fmt.Errorf("rules.drift.window (%s) differs from drift.window (%s): the drift rules would count windows of the wrong length; set one of them", model.Duration(w), model.Duration(window))
	}
	return nil
}

// Addr is where the collector listens.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// URL is the collector's base URL, e.g. http://127.0.0.1:9710.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// Handler serves the collector's whole API (what Run serves).
func (s *Server) Handler() http.Handler { return s.http.Handler() }

// Mounted lists every route on the HTTP server's mux, as the mux recorded
// them when they were registered (the route table's test compares it with
// Routes).
func (s *Server) Mounted() []collector.Route { return s.http.Routes() }

// Storage waits until Run has opened the TSDB and returns it.
func (s *Server) Storage(ctx context.Context) (*tsdb.DB, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.storeOpened:
		return s.db, s.storeErr
	}
}

// Run serves until ctx is cancelled (or serving fails). It listens first,
// so that /-/ready answers 503 while the TSDB opens, then attaches it and
// runs the series writes and rule evaluation (after Config.LiveAfter). On
// the way out the HTTP server drains its in-flight requests, the loops and
// the injector stop (the injector records the end of active injections),
// and only then is the TSDB flushed and closed. Call Close afterwards.
func (s *Server) Run(ctx context.Context) error {
	var g run.Group
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	g.Add(func() error { <-runCtx.Done(); return nil }, func(error) { stop() })

	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	g.Add(func() error { return s.http.Serve(serveCtx, s.listener) }, func(error) { stopServing() })

	// Game-day injections can start as soon as the API is served: the
	// injector ends them on time from now on, and records the stop of the
	// active ones when it is interrupted, before the event log closes.
	injCtx, stopInjector := context.WithCancel(context.WithoutCancel(ctx))
	g.Add(func() error { s.Injector.Run(injCtx, time.Second); return nil }, func(error) { stopInjector() })

	loopCtx, stopLoops := context.WithCancel(context.WithoutCancel(ctx))
	g.Add(func() error { return s.runStorage(loopCtx) }, func(error) { stopLoops() })

	err := g.Run()
	if s.queue != nil {
		// After the HTTP server drained: every acknowledged sample is in
		// the queue's log; the sender's position is saved.
		if cerr := s.queue.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close forwarding queue: %w", cerr))
		}
	}
	if s.db != nil {
		err = errors.Join(err, closeStore(s.db, s.logger))
	}
	return err
}

// runStorage opens the TSDB, attaches it, and runs the loops that write
// into it until ctx is done.
func (s *Server) runStorage(ctx context.Context) error {
	retention := s.cfg.Retention
	if r := s.cfg.Collector.Storage.LocalRetention; s.queue != nil && r > 0 {
		retention = r // the embedded TSDB is a short-term cache
	}
	db, err := tsdb.Open(s.cfg.DataDir, tsdb.Options{
		Retention:  retention,
		Logger:     s.logger.With("component", "tsdb"),
		Registerer: s.http.Registry(),
		DiskGuard:  s.disk, // seals wait while the disk is below its reserve
	})
	if err != nil {
		s.storeErr = fmt.Errorf("open storage in %s: %w", s.cfg.DataDir, err)
		close(s.storeOpened)
		return s.storeErr
	}
	s.db = db
	close(s.storeOpened)
	store := s.metricsStore(db)
	s.http.Attach(store)
	s.logger.Info("collector ready: storage open")
	var forwarding sync.WaitGroup
	defer forwarding.Wait()
	forwarding.Go(func() { s.runForwarding(ctx) })
	if s.cfg.LiveAfter != nil {
		select {
		case <-ctx.Done():
			return nil
		case <-s.cfg.LiveAfter:
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { writeDiskSeries(ctx, s.disk, store, s.cfg.SeriesInterval, s.logger) })
	wg.Go(func() { s.Pipeline.Run(ctx, store, s.cfg.SeriesInterval) })
	wg.Go(func() { s.CloudEvents.Run(ctx, store, s.cfg.SeriesInterval) })
	wg.Go(func() { s.runCluster(ctx, store) })
	wg.Go(func() { s.writeSLISeries(ctx, store) })
	if s.Rules != nil {
		wg.Go(func() { _ = s.Rules.Run(ctx) })
	}
	wg.Wait()
	return nil
}

// Close releases what Assemble opened: the shadow worker (before the
// registry and the log close), the prediction log, the metadata store and
// the rules manager. It does not end active game-day injections (Run
// does, on its way out): closed without Run, a server is like one that
// crashed, and the next Assemble resumes them.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.Shadow != nil {
			s.Shadow.Close()
		}
		if s.Engine != nil {
			if err := s.Engine.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close scoring devices: %w", err))
			}
		}
		if s.Pipeline != nil {
			if err := s.Pipeline.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close prediction log: %w", err))
			}
		}
		if s.Meta != nil {
			if err := s.Meta.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if s.Rules != nil {
			s.Rules.Stop()
		}
		if s.queue != nil {
			if err := s.queue.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close forwarding queue: %w", err))
			}
		}
		if s.listener != nil {
			_ = s.listener.Close() // Serve closed it already after Run
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// writeDiskSeries writes mle_collector_disk_free_bytes (and the reserve)
// every interval, so the shipped CollectorDiskLow rule can see them. It
// stops with ctx; the writes are small WAL appends, made even while
// ingest is refused.
func writeDiskSeries(ctx context.Context, g *diskguard.Guard, db storage.Appendable, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := g.AppendTo(ctx, db, time.Now()); err != nil && ctx.Err() == nil {
			logger.Warn("writing the disk free space series failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// closeStore flushes buffered samples to disk and closes the TSDB,
// bounded so that a stuck disk cannot hang shutdown forever.
func closeStore(db *tsdb.DB, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var flushErr error
	if flushErr = db.Flush(ctx); flushErr != nil {
		flushErr = fmt.Errorf("flush storage: %w", flushErr)
	}
	if err := db.Close(); err != nil {
		return errors.Join(flushErr, fmt.Errorf("close storage: %w", err))
	}
	logger.Info("collector stopped: storage flushed and closed")
	return flushErr
}
