package metaapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/mlectl/mlectl/audit"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/internal/apienv"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/registry"
	"github.com/mlectl/mlectl/runbooks"
)

// Config configures Open.
type Config struct {
	// Dir is the metadata badger directory, e.g. <data-dir>/meta.
	Dir string
	// RunbooksDir overlays the embedded runbook library ("" for only it).
	RunbooksDir string
	// Auth is the tokens/auth part of the collector configuration;
	// AuthBaseDir resolves relative token_file paths.
	Auth        auth.Config
	AuthBaseDir string
	// Models are declared in the configuration file (see DecodeModels) and
	// applied at Open.
	Models []ModelConfig
	// Silencer creates alert silences for runbook steps; nil answers 501.
	Silencer Silencer
	Logger   *slog.Logger
	// Now is the clock (time.Now when nil); tests pin it.
	Now func() time.Time
}

// Silencer is the alerting side of a runbook "silence" step.
type Silencer interface {
	Silence(ctx context.Context, matchers string, d time.Duration, comment, actor string) (id string, err error)
}

// Service is the opened metadata store with its API.
type Service struct {
	DB       *badger.DB
	Registry *registry.Registry
	Events   *events.Store
	Audit    *audit.Log
	Runbooks *runbooks.Library
	Auth     *auth.Authenticator

	handler http.Handler
	logger  *slog.Logger
}

// Open opens (creating if needed) the metadata database in cfg.Dir, loads
// the runbooks and validates the tokens.
func Open(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("metadata directory is empty")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	authn, err := auth.New(cfg.Auth, cfg.AuthBaseDir)
	if err != nil {
		return nil, fmt.Errorf("access control configuration: %w", err)
	}
	lib, err := runbooks.Load(cfg.RunbooksDir)
	if err != nil {
		return nil, err
	}
	opts := badger.DefaultOptions(cfg.Dir).
		WithLogger(badgerLogger{cfg.Logger.With("component", "metadb")}).
		WithNumVersionsToKeep(1).
		WithValueLogFileSize(64 << 20).
		WithMemTableSize(8 << 20).
		WithSyncWrites(true)
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("opening metadata database %s: %w", cfg.Dir, err)
	}
	ev, err := events.NewStore(db, cfg.Now)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &Service{
		DB:       db,
		Events:   ev,
		Audit:    audit.NewLog(db, cfg.Now),
		Runbooks: lib,
		Auth:     authn,
		logger:   cfg.Logger,
	}
	s.Registry = registry.New(db, registry.Options{Now: cfg.Now, Events: ev})
	if err := applyModels(ctx, s.Registry, cfg.Models); err != nil {
		db.Close()
		return nil, fmt.Errorf("applying configured models: %w", err)
	}
	s.handler = New(Deps{Registry: s.Registry, Events: ev, Audit: s.Audit, Runbooks: lib, Auth: authn,
		Silencer: cfg.Silencer, Logger: cfg.Logger, Now: cfg.Now})
	return s, nil
}

// Handler serves the metadata API routes (see Routes).
func (s *Service) Handler() http.Handler { return s.handler }

// Recorder is the event log for other writers (the rules engine).
func (s *Service) Recorder() events.Recorder { return s.Events }

// Routes lists the metadata API for the collector's route table.
func (s *Service) Routes() []route.Route { return Routes(s.handler) }

// Close writes the audit log's pending repeat counts and closes the
// database.
func (s *Service) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	flushErr := s.Audit.Flush(ctx)
	if err := s.DB.Close(); err != nil {
		return fmt.Errorf("closing metadata database: %w", err)
	}
	if flushErr != nil {
		return fmt.Errorf("writing pending audit repeat counts: %w", flushErr)
	}
	return nil
}

type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Infof(f string, a ...any)    {}
func (b badgerLogger) Debugf(f string, a ...any)   {}

// AuditWrites wraps an ingest route that replaces stored reference data
// (baseline and contract uploads) so that every call, allowed or refused,
// is in the audit log with who sent it (the token's name when a valid one
// came along, else anonymous, as under ingest_auth: open) and from where.
// A silently swapped baseline would silence drift alerts.
func (s *Service) AuditWrites(what string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.Auth.Identify(r)
		if err != nil || p.Name == "" {
			p = auth.Principal{Name: auth.Anonymous}
		}
		rec := &apienv.StatusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		status := rec.Code()
		if status == 0 {
			status = http.StatusOK
		}
		detail := what + " upload"
		if p.Role == auth.RoleNone {
			detail += " by an unauthenticated sender (ingest_auth: " + s.Auth.Ingest() + ")"
		}
		if _, err := s.Audit.Append(context.WithoutCancel(r.Context()), audit.Entry{Actor: p.Name, Role: p.Role.String(),
			Method: r.Method, Path: r.URL.Path, Status: status, Detail: detail, Source: auth.SourceAddr(r)}); err != nil {
			s.logger.Error("audit log append failed", "path", r.URL.Path, "actor", p.Name, "err", err)
		}
	})
}
