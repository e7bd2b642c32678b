// Command collector runs the mlectl collector: Prometheus remote-write
// ingest and the Prometheus query API over the embedded TSDB.
//
//	collector --listen 127.0.0.1:9710 --data-dir ./data --retention 15d --config collector.yaml
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/alerting"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/internal/diskguard"
	"github.com/mlectl/mlectl/metaapi"
	predapi "github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/shadow"
)

// seriesInterval is how often the prediction pipeline writes its series
// (traffic, quality, drift, violations) into the TSDB.
const seriesInterval = 15 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// options are the parsed command-line flags.
type options struct {
	listen      string
	dataDir     string
	retention   time.Duration
	configFile  string
	runbooksDir string
	logLevel    slog.Level
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("collector", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", collector.DefaultListenAddress, "address to serve HTTP on")
	fs.StringVar(&o.dataDir, "data-dir", "data", "directory of the TSDB")
	retention := fs.String("retention", "15d", "how long samples are kept (Prometheus duration: 15d, 12h, 2w)")
	fs.StringVar(&o.configFile, "config", "", "YAML config file: limits, query, auth, ingest_auth, drift, rules, tokens, models (see README, Collector)")
	fs.StringVar(&o.runbooksDir, "runbooks", "", "directory of runbook *.md files (overlays the shipped library)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	d, err := model.ParseDuration(*retention)
	if err != nil || d <= 0 {
		return o, fmt.Errorf("--retention %q: want a positive duration such as 15d or 36h", *retention)
	}
	o.retention = time.Duration(d)
	if err := o.logLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return o, fmt.Errorf("--log-level %q: %w", *logLevel, err)
	}
	if o.dataDir == "" {
		return o, errors.New("--data-dir must not be empty")
	}
	return o, nil
}

// run is the whole command; listening is signalled on ready (when non-nil)
// with the bound address, so tests can run it in-process with --listen :0.
// It returns the exit status: 2 for bad flags or config, 1 for failures.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- net.Addr) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "collector: %v\n", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.logLevel}))
	cfg, err := loadConfig(o.configFile)
	if err != nil {
		fmt.Fprintf(stderr, "collector: %v\n", err)
		return 2
	}
	cfg.Flags = map[string]string{
		"listen": o.listen, "data-dir": o.dataDir, "retention": model.Duration(o.retention).String(), "config": o.configFile,
	}
	if err := serve(ctx, o, cfg, logger, ready); err != nil {
		fmt.Fprintf(stderr, "collector: %v\n", err)
		return 1
	}
	return 0
}

func loadConfig(path string) (collector.Config, error) {
	if path == "" {
		return collector.Config{}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return collector.Config{}, fmt.Errorf("--config: %w", err)
	}
	defer f.Close()
	cfg, err := collector.ParseConfig(f)
	if err != nil {
		return collector.Config{}, fmt.Errorf("--config %s: %w", path, err)
	}
	return cfg, nil
}

// serve listens first, so that /-/ready answers 503 while the storage opens,
// then attaches the store. On cancellation it stops accepting, drains the
// in-flight requests, and only then flushes and closes the store.
func serve(ctx context.Context, o options, cfg collector.Config, logger *slog.Logger, ready chan<- net.Addr) (err error) {
	srv, err := collector.New(cfg, nil, logger)
	if err != nil {
		return err
	}
	baseDir := ""
	if o.configFile != "" {
		baseDir = filepath.Dir(o.configFile)
	}
	rulesCfg, err := alerting.DecodeConfig(&cfg.Rules)
	if err != nil {
		return fmt.Errorf("--config %w", err)
	}
	if err := alignDriftWindows(&rulesCfg, cfg.Drift.Window); err != nil {
		return fmt.Errorf("--config %s: %w", o.configFile, err)
	}
	var am *alerting.Manager
	var silencer metaapi.Silencer // stays a nil interface without alerting
	if !rulesCfg.Empty() {
		ao, err := rulesCfg.Options(baseDir)
		if err != nil {
			return fmt.Errorf("--config %w", err)
		}
		ao.Storage = srv.RuleStore()
		ao.StateDir = filepath.Join(o.dataDir, "alerting")
		ao.CollectorRules = true // CollectorDiskLow/Full on mle_collector_disk_free_bytes
		ao.Logger = logger.With("component", "alerting")
		ao.Registerer = srv.Registry()
		if am, err = alerting.New(ao); err != nil {
			return err
		}
		defer am.Stop()
		srv.AttachRules(am)
		silencer = am
	}
	meta, err := openMeta(ctx, o, cfg, logger, silencer)
	if err != nil {
		return err
	}
	if am != nil {
		am.AttachEvents(meta.Recorder(), meta.Events)
		alerting.Mount(srv, am.AuditedHandler(meta.Auth, meta.Audit))
	}
	defer func() {
		if cerr := meta.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	meta.Mount(srv)
	// Remote write, prediction logs, feedback, baselines and contracts are
	// ingest: open to any client that can reach the collector (ingest_auth:
	// open, the default, like Prometheus's receiver) or, with ingest_auth:
	// token, only to tokens of role ingest or higher. The GETs beside them
	// are reads like any other (a viewer token under auth: strict).
	srv.GuardWrite(func(h http.Handler) http.Handler { return meta.Auth.RequireIngest(h, nil) })
	// The Prometheus API, status/tsdb and /metrics: reads (a viewer token
	// under auth: strict; /metrics per metrics_auth).
	srv.Authorize(meta.Auth)
	// Game days: the injector rewrites matching records before they are
	// stored and records start/stop in the event log.
	// Below limits.min_free_disk_bytes free, ingest answers 507 and badger
	// writes wait, instead of badger dying of SIGBUS on a full disk.
	disk := srv.GuardDisk(o.dataDir, nil)
	knownModels := &gameday.KnownModels{Registry: meta.Registry}
	injector := gameday.New(gameday.Options{Events: meta.Recorder(), Models: knownModels, Logger: logger.With("component", "gameday")})
	pipeline, err := predapi.OpenPipeline(ctx, o.dataDir, predapi.PipelineOptions{Logger: logger.With("component", "predlog"),
		Store: store.Options{DiskGuard: disk},
		// The bounds remote write applies to samples: max_future_skew, and
		// no older than the log keeps (retention would delete it at once).
		Limits: predapi.Limits{MaxFutureSkew: cfg.Limits.MaxFutureSkew, MaxAge: predapi.DefaultRetention},
		Skew:   skew.Options{Window: cfg.Drift.Window}, // drift.window in the config file
		Middleware: func(pattern string, h http.Handler) http.Handler {
			if strings.HasPrefix(pattern, http.MethodGet+" ") {
				return meta.Auth.Require(auth.RoleViewer, h, nil)
			}
			h = meta.Auth.RequireIngest(h, nil)
			if strings.HasPrefix(pattern, http.MethodPut+" ") { // baselines, contracts: audited even when ingest is open
				what := "baseline"
				if strings.Contains(pattern, "/contracts/") {
					what = "contract"
				}
				h = meta.AuditWrites(what, h)
			}
			return h
		},
		Transformers: []predapi.Transformer{injector}, Baselines: []predapi.BaselineSink{injector}})
	if err != nil {
		return fmt.Errorf("open prediction log: %w", err)
	}
	defer func() {
		if cerr := pipeline.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	// Injections acknowledged before a crash resume (or end, if their time
	// is over) before ingest is served.
	if err := injector.Restore(ctx, pipeline.Log); err != nil {
		return err
	}
	pipeline.Mount(srv)
	// The open drift windows' histograms (for the console's drift tab) are
	// reads: viewer role.
	skew.NewHandler(pipeline.Skew, func(h http.Handler) http.Handler {
		return meta.Auth.Require(auth.RoleViewer, h, nil)
	}).Mount(srv)
	knownModels.Log = pipeline.Log
	gameday.NewHandler(injector, gameday.HandlerOptions{Auth: meta.Auth, Audit: meta.Audit, Logger: logger.With("component", "gameday")}).Mount(srv)
	shadowSvc, err := shadow.StartOnPipeline(ctx, pipeline, meta.Registry, func(h http.Handler) http.Handler {
		return meta.Auth.Require(auth.RoleViewer, h, nil)
	}, srv, logger)
	if err != nil {
		return err
	}
	defer shadowSvc.Close() // before the registry and the log close
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	logger.Info("collector listening", "addr", l.Addr().String(), "data_dir", o.dataDir, "retention", model.Duration(o.retention).String())
	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx, l) }()
	// Game-day injections can start as soon as the API is served (storage
	// may take a while to open): the injector ends them on time from now
	// on, and records the stop of the active ones when serving ends, on
	// every path out of here.
	injectorDone := make(chan struct{})
	go func() { defer close(injectorDone); injector.Run(serveCtx, time.Second) }()
	if ready != nil {
		ready <- l.Addr()
	}

	st, err := openStore(ctx, o, logger, srv)
	if err != nil {
		stopServing()
		<-served
		<-injectorDone
		return err
	}
	srv.Attach(st)
	logger.Info("collector ready: storage open")
	seriesDone := make(chan struct{})
	go func() {
		defer close(seriesDone)
		diskDone := make(chan struct{})
		go func() { defer close(diskDone); writeDiskSeries(serveCtx, disk, st, logger) }()
		pipeline.Run(serveCtx, st, seriesInterval)
		<-injectorDone
		<-diskDone
	}()
	rulesDone := make(chan struct{})
	if am != nil {
		go func() { defer close(rulesDone); _ = am.Run(serveCtx) }()
	} else {
		close(rulesDone)
	}

	serveErr := <-served // returns once ctx is cancelled and requests drained
	stopServing()
	<-rulesDone // rule evaluation and series writes stop before the store closes
	<-seriesDone
	if err := closeStore(st, logger); err != nil {
		return errors.Join(serveErr, err)
	}
	return serveErr
}

// writeDiskSeries writes mle_collector_disk_free_bytes (and the reserve)
// every seriesInterval, so the shipped CollectorDiskLow rule can see them.
// Run stops with ctx; the writes are small WAL appends, made even while
// ingest is refused.
func writeDiskSeries(ctx context.Context, g *diskguard.Guard, db storage.Appendable, logger *slog.Logger) {
	t := time.NewTicker(seriesInterval)
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

// closeStore flushes buffered samples to disk (when the store can) and
// closes it, bounded so that a stuck disk cannot hang shutdown forever.
func closeStore(st collector.Store, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var flushErr error
	if f, ok := st.(interface{ Flush(context.Context) error }); ok {
		if flushErr = f.Flush(ctx); flushErr != nil {
			flushErr = fmt.Errorf("flush storage: %w", flushErr)
		}
	}
	if err := st.Close(); err != nil {
		return errors.Join(flushErr, fmt.Errorf("close storage: %w", err))
	}
	logger.Info("collector stopped: storage flushed and closed")
	return flushErr
}

// openMeta opens the metadata service (registry, events, runbooks, audit) in
// its own badger directory beside the TSDB.
func openMeta(ctx context.Context, o options, cfg collector.Config, logger *slog.Logger, silencer metaapi.Silencer) (*metaapi.Service, error) {
	tokens, err := auth.DecodeTokens(&cfg.Tokens)
	if err != nil {
		return nil, fmt.Errorf("--config tokens: %w", err)
	}
	models, err := metaapi.DecodeModels(&cfg.Models)
	if err != nil {
		return nil, fmt.Errorf("--config models: %w", err)
	}
	baseDir := ""
	if o.configFile != "" {
		baseDir = filepath.Dir(o.configFile)
	}
	meta, err := metaapi.Open(ctx, metaapi.Config{
		Dir:         filepath.Join(o.dataDir, "meta"),
		RunbooksDir: o.runbooksDir,
		Auth:        auth.Config{Mode: cfg.Auth, Ingest: cfg.IngestAuth, Metrics: cfg.MetricsAuth, Tokens: tokens},
		AuthBaseDir: baseDir,
		Models:      models,
		Silencer:    silencer,
		Logger:      logger.With("component", "meta"),
	})
	if err != nil {
		return nil, fmt.Errorf("open metadata store: %w", err)
	}
	return meta, nil
}
