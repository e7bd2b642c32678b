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
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/common/model"

	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/cost"
	"github.com/mlectl/mlectl/server"
)

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
	if err := cfg.SSH.Validate(); err != nil {
		fmt.Fprintf(stderr, "collector: %v\n", err)
		return 2
	}
	cfg.Flags = map[string]string{
		"listen": o.listen, "data-dir": o.dataDir, "retention": model.Duration(o.retention).String(), "config": o.configFile,
	}
	if err := serve(ctx, o, cfg, logger, ready); err != nil {
		fmt.Fprintf(stderr, "collector: %v\n", err)
		if errors.Is(err, cost.ErrUnknownModel) {
			return 2 // a cost: entry for a model the registry does not know: bad config
		}
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

// serve assembles the collector (package server) and runs it until ctx
// is cancelled: it listens first, so that /-/ready answers 503 while the
// storage opens; on cancellation it drains the in-flight requests, and only
// then flushes and closes the store.
func serve(ctx context.Context, o options, cfg collector.Config, logger *slog.Logger, ready chan<- net.Addr) (err error) {
	baseDir := ""
	if o.configFile != "" {
		baseDir = filepath.Dir(o.configFile)
	}
	srv, err := server.Assemble(ctx, server.Config{
		Collector: cfg, BaseDir: baseDir, DataDir: o.dataDir, Retention: o.retention,
		RunbooksDir: o.runbooksDir, Listen: o.listen, Logger: logger,
	})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, srv.Close()) }()
	logger.Info("collector listening", "addr", srv.Addr().String(), "data_dir", o.dataDir, "retention", model.Duration(o.retention).String())
	if cfg.SSH != nil {
		stopSSH, err := startSSH(cfg.SSH, baseDir, srv.Addr(), logger)
		if err != nil {
			return err
		}
		// The SSH sessions stop first: their in-flight actions still
		// reach the collector.
		parent := ctx
		runCtx, stopRun := context.WithCancel(context.WithoutCancel(parent))
		sshDone := make(chan struct{})
		go func() {
			defer close(sshDone)
			select {
			case <-parent.Done():
			case <-runCtx.Done(): // Run failed on its own
			}
			if err := stopSSH(); err != nil {
				logger.Warn("ssh console shutdown", "err", err)
			}
			stopRun()
		}()
		defer func() { stopRun(); <-sshDone }()
		ctx = runCtx
	}
	if ready != nil {
		ready <- srv.Addr()
	}
	return srv.Run(ctx)
}
