package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	v1 "github.com/prometheus/prometheus/web/api/v1"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/internal/apienv"
	"github.com/mlectl/mlectl/internal/diskguard"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/tsdb"
)

// Store is the storage the collector writes to and queries. Both the
// project's tsdb.DB and Prometheus's own TSDB satisfy it.
type Store interface {
	storage.Storage
}

// StatsSource is implemented by stores that can describe their contents for
// /api/v1/status/tsdb (the project's tsdb.DB does).
type StatsSource interface {
	Stats() tsdb.Stats
}

// Server is the collector's HTTP server: remote-write ingest, the Prometheus
// query API and operational endpoints. It holds no global state; its
// metrics live in its own registry (see Registry).
type Server struct {
	cfg    Config
	logger *slog.Logger
	reg    *prometheus.Registry
	m      *serverMetrics

	store  atomic.Pointer[storeBox] // nil until the store is attached
	rules  atomic.Pointer[rulesBox] // nil until a rules engine is attached
	access atomic.Pointer[access]   // nil until Authorize
	// backend answers the query routes in remote mode (see ReadThrough).
	backend atomic.Pointer[http.Handler]
	// backendStatus answers /api/v1/status/tsdb in remote mode (see
	// StatusThrough).
	backendStatus atomic.Pointer[http.Handler]
	// routeList is what New mounted (see Routes); written only in New.
	routeList []Route
	limiter   *seriesLimiter
	engine    *promql.Engine
	queries   *queryGate // query admission, apart from ingest
	api       *v1.API
	rw2       http.Handler
	write     http.Handler // POST /api/v1/write; GuardWrite wraps it
	// ingestGuard is GuardWrite's middleware, applied at request time to
	// the ingest routes of Prometheus's API (the OTLP receiver).
	ingestGuard atomic.Pointer[func(http.Handler) http.Handler]
	handler     http.Handler
	mux         *http.ServeMux
	// allowed lists the methods mounted per path shape (wildcard names
	// blanked), for the 405 answer to any other method; written by Mount
	// before Serve, read by requests after.
	allowed map[string][]string
	bufPool sync.Pool                       // *[]byte scratch for decompressed payloads; see putDecodeBuffer
	disk    atomic.Pointer[diskguard.Guard] // nil: no free-space check
	start   time.Time
}

type storeBox struct{ Store }

// New builds a Server. store may be nil: the server then answers 503 on
// /-/ready and on every data endpoint until Attach is called, which lets a
// process listen while its storage is still opening.
func New(cfg Config, store Store, logger *slog.Logger) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:     cfg,
		logger:  logger,
		reg:     prometheus.NewRegistry(),
		limiter: newSeriesLimiter(cfg.Limits.MaxSeriesPerMetric, cfg.Limits.MaxSeries),
		start:   time.Now(),
	}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.m = newServerMetrics(s.reg)
	if err := s.buildAPI(); err != nil {
		return nil, err
	}
	s.write = http.HandlerFunc(s.handleWrite)
	s.handler = s.routes()
	if store != nil {
		s.Attach(store)
	}
	return s, nil
}

// Attach makes store the server's storage and marks the server ready.
func (s *Server) Attach(store Store) { s.store.Store(&storeBox{store}) }

// GuardDisk makes remote write answer 507 while dir's filesystem has less
// than limits.min_free_disk_bytes free, exposes the free space on /metrics,
// and returns the guard for the stores under dir (tsdb.Options.DiskGuard,
// the prediction log's store.Options.DiskGuard). probe nil is statfs.
func (s *Server) GuardDisk(dir string, probe diskguard.Probe) *diskguard.Guard {
	g := diskguard.New(dir, s.cfg.Limits.MinFreeDiskBytes, probe)
	for _, c := range g.Collectors() {
		if err := s.reg.Register(c); err != nil {
			s.logger.Warn("disk space metric not registered", "err", err)
		}
	}
	s.disk.Store(g)
	return g
}

// DiskGuard is the guard GuardDisk set, or nil.
func (s *Server) DiskGuard() *diskguard.Guard { return s.disk.Load() }

// Ready reports whether a store is attached.
func (s *Server) Ready() bool { return s.store.Load() != nil }

// Registry is the registry behind /metrics; callers may register their own
// collectors in it.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// ShutdownTimeout bounds how long Serve waits for in-flight requests once
// its context is cancelled.
const ShutdownTimeout = 30 * time.Second

// Serve answers requests on l until ctx is cancelled, then stops accepting
// connections and waits (up to ShutdownTimeout) for in-flight requests to
// finish. It does not close the store: the caller owns it and should flush
// and close it after Serve returns.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("collector http server: %w", err)
	case <-ctx.Done():
	}
	s.logger.Info("collector shutting down: draining in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	if err != nil {
		return fmt.Errorf("collector http server shutdown: %w", err)
	}
	return nil
}

// GuardWrite wraps the remote-write handler and the OTLP receiver in mw
// (the collector's ingest access control, see auth.RequireIngest). Call it
// before Serve; the routes stay instrumented, so refusals are counted by
// code.
func (s *Server) GuardWrite(mw func(http.Handler) http.Handler) {
	s.write = mw(s.write)
	s.ingestGuard.Store(&mw)
}

// Mount registers routes (the subsystems' endpoints from the collector's
// route table, package server) on the server's mux, instrumented like the
// built-in routes, and lists them in Routes with their roles. Their
// handlers bring their own access control. More specific patterns win over
// the "/api/v1/" catch-all. Routes of the ingest role (prediction records,
// feedback, OTLP logs, uploads) count as ingest in flight for the query
// gate, as remote write does, so that running queries yield to them too.
// Call it before Serve.
func (s *Server) Mount(routes ...route.Route) {
	for _, r := range routes {
		s.addRoute(Route{Pattern: r.Pattern, Methods: methods(r.Method), Role: r.Role, Ruled: r.Role != auth.RoleNone || r.Open})
		h := r.Handler
		if r.Role == auth.RoleIngest {
			h = s.queries.ingesting(h)
		}
		s.mux.Handle(r.MuxPattern(), s.m.instrument(r.MuxPattern(), h))
		s.answerOtherMethods(r)
	}
}

// wildcardName matches a ServeMux wildcard, so patterns that differ only in
// wildcard names share one method list.
var wildcardName = regexp.MustCompile(`\{[^}]*\}`)

// answerOtherMethods makes a request with a method the path has no route
// for a 405 naming the allowed methods (as Prometheus's own router answers),
// rather than the "/api/v1/" catch-all's 404.
func (s *Server) answerOtherMethods(r route.Route) {
	if r.Method == "" {
		return
	}
	if s.allowed == nil {
		s.allowed = make(map[string][]string)
	}
	shape := wildcardName.ReplaceAllString(r.Pattern, "{}")
	methods, seen := s.allowed[shape]
	s.allowed[shape] = append(methods, r.Method)
	if seen {
		return
	}
	s.mux.Handle(r.Pattern, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		allow := strings.Join(s.allowed[shape], ", ")
		w.Header().Set("Allow", allow)
		apienv.Error(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s (allowed: %s)", req.Method, req.URL.Path, allow))
	}))
}

// Handle registers an extra handler on the server's mux, instrumented like
// the built-in routes, for tests and tools that serve one subsystem. Routes
// lists it without a role (Ruled false): the collector mounts its route
// table with Mount instead. Call it before Serve.
func (s *Server) Handle(pattern string, h http.Handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	s.addRoute(Route{Pattern: path, Methods: methods(method)})
	s.mux.Handle(pattern, s.m.instrument(pattern, h))
}

func methods(m string) []string {
	if m == "" {
		return nil
	}
	return []string{m}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.mux = mux
	handle := func(method, path string, need auth.Role, h http.Handler) {
		s.addRoute(Route{Pattern: path, Methods: []string{method}, Role: need, Ruled: true})
		mux.Handle(method+" "+path, s.m.instrument(path, h))
	}
	// Remote write has its own guard (GuardWrite: ingest_auth).
	handle(http.MethodPost, "/api/v1/write", auth.RoleIngest, s.queries.ingesting(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.write.ServeHTTP(w, r) })))
	handle(http.MethodGet, "/api/v1/status/tsdb", auth.RoleViewer, s.guard(auth.RoleViewer, false, s.whenReady(http.HandlerFunc(s.handleTSDBStatus))))
	mux.Handle("/api/v1/", s.apiHandler()) // instrumented and guarded per route
	handle(http.MethodGet, "/metrics", auth.RoleViewer, s.guard(0, true, promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})))
	handle(http.MethodGet, "/-/healthy", auth.RoleNone, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("mlectl collector is Healthy.\n"))
	}))
	handle(http.MethodGet, "/-/ready", auth.RoleNone, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !s.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("mlectl collector is not ready: storage is still opening.\n"))
			return
		}
		_, _ = w.Write([]byte("mlectl collector is Ready.\n"))
	}))
	return mux
}

// whenReady answers 503 in Prometheus's error format until a store is attached.
func (s *Server) whenReady(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.Ready() {
			writeAPIError(w, http.StatusServiceUnavailable, "unavailable", "storage is not open yet")
			return
		}
		h.ServeHTTP(w, r)
	})
}

type serverMetrics struct {
	requests        *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	samplesIngested *prometheus.CounterVec
	samplesRejected *prometheus.CounterVec
	seriesRejected  *prometheus.CounterVec
}

func newServerMetrics(reg prometheus.Registerer) *serverMetrics {
	m := &serverMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlectl_collector_http_requests_total",
			Help: "HTTP requests served, by handler and status code.",
		}, []string{"handler", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mlectl_collector_http_request_duration_seconds",
			Help:    "HTTP request latency, by handler.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}, []string{"handler"}),
		samplesIngested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlectl_collector_samples_ingested_total",
			Help: "Samples committed to storage from remote write, by protocol version.",
		}, []string{"protocol"}),
		samplesRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlectl_collector_samples_rejected_total",
			Help: "Remote-write samples refused, by reason.",
		}, []string{"reason"}),
		seriesRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlectl_collector_series_rejected_total",
			Help: "Remote-write series refused as a whole, by reason.",
		}, []string{"reason"}),
	}
	reg.MustRegister(m.requests, m.duration, m.samplesIngested, m.samplesRejected, m.seriesRejected)
	return m
}

func (m *serverMetrics) instrument(name string, h http.Handler) http.Handler {
	return promhttp.InstrumentHandlerDuration(m.duration.MustCurryWith(prometheus.Labels{"handler": name}),
		promhttp.InstrumentHandlerCounter(m.requests.MustCurryWith(prometheus.Labels{"handler": name}), h))
}
