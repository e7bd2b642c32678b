package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/contract"
	"github.com/mlectl/mlectl/drift"
	"github.com/mlectl/mlectl/internal/apienv"
	"github.com/mlectl/mlectl/internal/diskguard"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/internal/timeparse"
	"github.com/mlectl/mlectl/mlmetrics"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/baseline"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/quality"
)

// Log is the prediction log the handlers write and read.
type Log interface {
	Append(ctx context.Context, recs []predlog.Record) error
	Scan(ctx context.Context, q store.Query, fn func(*predlog.Record) error) error
	FeatureNames(ctx context.Context, q store.Query) ([]string, error)
	PutMeta(ctx context.Context, ns, key string, val []byte) error
	PutMetaBatch(ctx context.Context, ns string, keys []string, vals [][]byte) error
	GetMeta(ctx context.Context, ns, key string) ([]byte, error)
	ListMeta(ctx context.Context, ns string, fn func(key string, val []byte) error) error
}

// Observer sees every batch of records once it is durable. It must be safe
// for concurrent use and must not retain recs or their Features slices
// (their memory is reused by the next request); strings may be kept.
type Observer interface {
	ObserveRecords(recs []predlog.Record)
}

// Transformer rewrites records after they are decoded and before they are
// stored (the game-day injector). It may change recs in place, must mark
// each record it changed Injected, and must be safe for concurrent use.
// The commit it returns (nil: none) is called once the batch is stored, and
// not at all when storing fails, so that what it counts is what was stored.
type Transformer interface {
	Transform(recs []predlog.Record) (commit func())
}

// SeriesWriter appends its current series at ts.
type SeriesWriter interface {
	AppendTo(ctx context.Context, db storage.Appendable, ts time.Time) error
}

// BaselineSink is told about every stored training profile (the streaming
// drift windows use it as their reference).
type BaselineSink interface {
	SetBaseline(p *baseline.Profile) error
}

// Defaults of Limits.
const (
	DefaultMaxBodyBytes    = 32 << 20
	DefaultMaxDecodedBytes = 128 << 20
	DefaultMaxLineBytes    = 1 << 20
	DefaultMaxRecords      = 100_000
	maxErrorsListed        = 100
)

// Limits bound one ingest request; zero means the default.
type Limits struct {
	MaxBodyBytes    int64 // compressed body (413)
	MaxDecodedBytes int64 // decompressed body (413)
	MaxLineBytes    int   // one line (a per-line error)
	MaxRecords      int   // lines per request (413)
	// MaxAge refuses (a per-line error on ts) records older than now minus
	// MaxAge. Default DefaultMaxAge, which only stops absurd timestamps
	// (1900); the collector sets the prediction log's retention, past
	// which a record would be deleted at once. Negative disables.
	MaxAge time.Duration
	// MaxFutureSkew refuses records further ahead of the server clock, as
	// remote write refuses samples (the collector's max_future_skew).
	// Default DefaultMaxFutureSkew; negative disables.
	MaxFutureSkew time.Duration
	// MaxFeatureTSSkew refuses (a per-line error on feature_ts.<name>) a
	// feature time later than the prediction's ts by more than this.
	// Default DefaultMaxFeatureTSSkew; negative disables.
	MaxFeatureTSSkew time.Duration
}

// DefaultMaxAge is Limits.MaxAge's default.
const DefaultMaxAge = 10 * 365 * 24 * time.Hour

// DefaultMaxFutureSkew is Limits.MaxFutureSkew's default, the same as
// the collector's limits.max_future_skew.
const DefaultMaxFutureSkew = 10 * time.Minute

// Config wires a Handler. Log is required; the rest is optional.
type Config struct {
	Log       Log
	Traffic   *mlmetrics.Aggregator
	Contracts *contract.Checker
	Joiner    *quality.Joiner
	// Observers and Series receive batches and write series beyond the
	// built-in ones (e.g. the streaming drift windows).
	Observers []Observer
	Series    []SeriesWriter
	Baselines []BaselineSink
	// Transformers run, in order, on every batch before it is stored, in
	// ServeIngest and Ingest alike.
	Transformers []Transformer
	// Owner, when set, is asked about every NDJSON record's model: an
	// error refuses the line (field model, the error's text), so a
	// collector of a cluster keeps only the models it owns and names the
	// owner of the others.
	Owner  func(model string) error
	Limits Limits
	// SpoolDir holds a Parquet baseline upload while it is profiled
	// (Parquet is read from its footer, so the body cannot be streamed);
	// at most Limits.MaxBodyBytes per upload, removed after. Default
	// os.TempDir(); OpenPipeline sets <dataDir>/spool.
	SpoolDir string
	Logger   *slog.Logger
	Now      func() time.Time
	// Middleware, when set, wraps each route's handler in Mount (e.g. token
	// checks: ingest and feedback are writes, export and GETs are reads).
	Middleware func(pattern string, h http.Handler) http.Handler
}

// Handler serves the prediction-log endpoints.
type Handler struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	bufs     sync.Pool // *bufio.Reader
	batches  sync.Pool // *batch
	zstdPool sync.Pool // *zstd.Decoder
	known    knownFeatures
}

// New builds a Handler and restores stored contracts and baselines into the
// checker and the baseline sinks.
func New(ctx context.Context, cfg Config) (*Handler, error) {
	if cfg.Log == nil {
		return nil, errors.New("prediction api: Config.Log is required")
	}
	l := &cfg.Limits
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxDecodedBytes <= 0 {
		l.MaxDecodedBytes = DefaultMaxDecodedBytes
	}
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = DefaultMaxLineBytes
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = DefaultMaxRecords
	}
	if l.MaxAge == 0 {
		l.MaxAge = DefaultMaxAge
	}
	if l.MaxFutureSkew == 0 {
		l.MaxFutureSkew = DefaultMaxFutureSkew
	}
	if l.MaxFeatureTSSkew == 0 {
		l.MaxFeatureTSSkew = DefaultMaxFeatureTSSkew
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{cfg: cfg, log: cfg.Logger}
	if err := h.restore(ctx); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	h.Mount(mux)
	h.mux = mux
	return h, nil
}

// Routes lists the endpoints, bare: reads need a viewer, ingest (records,
// feedback, baseline and contract uploads) the ingest role. Patterns name
// a method and a path, so on a shared mux they take precedence over a
// catch-all "/api/v1/" handler. The collector's route table guards them.
func (h *Handler) Routes() []route.Route {
	r := func(method, pattern string, need auth.Role, f http.HandlerFunc) route.Route {
		return route.Route{Method: method, Pattern: pattern, Role: need, Handler: f}
	}
	return []route.Route{
		r(http.MethodPost, "/api/v1/predictions", auth.RoleIngest, h.ServeIngest),
		r(http.MethodGet, "/api/v1/predictions/export", auth.RoleViewer, h.ServeExport),
		r(http.MethodGet, "/api/v1/predictions/sample", auth.RoleViewer, h.ServeSample),
		r(http.MethodPost, "/api/v1/feedback", auth.RoleIngest, h.ServeFeedback),
		r(http.MethodPut, "/api/v1/baselines/{model}/{version}", auth.RoleIngest, h.ServePutBaseline),
		r(http.MethodGet, "/api/v1/baselines/{model}/{version}", auth.RoleViewer, h.ServeGetBaseline),
		r(http.MethodPut, "/api/v1/contracts/{model}", auth.RoleIngest, h.ServePutContract),
		r(http.MethodGet, "/api/v1/contracts/{model}", auth.RoleViewer, h.ServeGetContract),
	}
}

// Mount registers every route on m, each wrapped by Config.Middleware when
// set (for tests and tools; the collector mounts its route table).
func (h *Handler) Mount(m route.Mux) { route.MountWrapped(m, h.Routes(), h.cfg.Middleware) }

// ServeHTTP serves the endpoints Register mounts.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Meta namespaces in the log.
const (
	nsBaseline = "baseline"
	nsContract = "contract"
	nsLabel    = "label"
)

func (h *Handler) restore(ctx context.Context) error {
	if h.cfg.Contracts != nil {
		err := h.cfg.Log.ListMeta(ctx, nsContract, func(key string, val []byte) error {
			c, err := contract.ParseBytes(val)
			if err != nil {
				return fmt.Errorf("stored contract %q: %w", key, err)
			}
			return h.cfg.Contracts.Set(c)
		})
		if err != nil {
			return fmt.Errorf("restore contracts: %w", err)
		}
	}
	return h.cfg.Log.ListMeta(ctx, nsBaseline, func(key string, val []byte) error {
		p, err := baseline.Unmarshal(val)
		if err != nil {
			return fmt.Errorf("restore baseline %q: %w", key, err)
		}
		return h.applyBaseline(p)
	})
}

// applyBaseline hands p to the sinks and learns a contract from it unless
// the model version has an explicit one.
// checkBaseline refuses a profile the sinks would refuse: features whose
// reference sketch cannot be built, or one that yields an invalid learned
// contract.
func (h *Handler) checkBaseline(p *baseline.Profile) error {
	for i := range p.Features {
		if _, err := baseline.Sketch(&p.Features[i], drift.DefaultSketchAlpha); err != nil {
			return fmt.Errorf("baseline %s/%s: feature %s: %w", p.Model, p.Version, p.Features[i].Name, err)
		}
	}
	if h.cfg.Contracts != nil {
		if err := contract.Learn(p).Validate(); err != nil {
			return fmt.Errorf("baseline %s/%s: %w", p.Model, p.Version, err)
		}
	}
	return nil
}

func (h *Handler) applyBaseline(p *baseline.Profile) error {
	_ = h.known.SetBaseline(p)
	for _, s := range h.cfg.Baselines {
		if err := s.SetBaseline(p); err != nil {
			return fmt.Errorf("baseline %s/%s: %w", p.Model, p.Version, err)
		}
	}
	if h.cfg.Contracts != nil {
		if c := h.cfg.Contracts.Get(p.Model, p.Version); c == nil || c.Learned {
			learned := contract.Learn(p)
			if err := h.cfg.Contracts.Set(learned); err != nil {
				return err
			}
		}
	}
	return nil
}

// LineError names one rejected line.
type LineError struct {
	Line  int    `json:"line"`
	Field string `json:"field,omitempty"`
	Error string `json:"error"`
}

// IngestResponse is the JSON answer of the ingest and feedback endpoints.
type IngestResponse struct {
	Accepted int         `json:"accepted"`
	Rejected int         `json:"rejected"`
	Matched  *int        `json:"matched,omitempty"`
	Errors   []LineError `json:"errors,omitempty"`
	// Error is set when the request failed as a whole.
	Error string `json:"error,omitempty"`
}

// writeJSON answers in the ingest format ({"accepted","rejected",...}),
// not the Prometheus envelope: remote clients count accepted lines.
func writeJSON(w http.ResponseWriter, code int, v any) { apienv.WriteJSON(w, code, v) }

func fail(w http.ResponseWriter, code int, format string, a ...any) {
	writeJSON(w, code, IngestResponse{Error: fmt.Sprintf(format, a...)})
}

// storeFailure is the status of a failed write to the log: 507 when the
// disk guard refused it for lack of space (the client should retry once
// space is freed), else 503.
func storeFailure(err error) int {
	if errors.Is(err, diskguard.ErrFull) {
		return http.StatusInsufficientStorage
	}
	return http.StatusServiceUnavailable
}

// errTooLarge marks a body over a limit.
type errTooLarge struct{ msg string }

func (e errTooLarge) Error() string { return e.msg }

// body returns the decompressed request body, bounded by the limits.
func (h *Handler) body(w http.ResponseWriter, r *http.Request) (io.Reader, func(), error) {
	lim := h.cfg.Limits
	raw := http.MaxBytesReader(w, r.Body, lim.MaxBodyBytes)
	var dec io.Reader = raw
	release := func() {}
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		gz, err := gzip.NewReader(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip body: %w", err)
		}
		dec, release = gz, func() { _ = gz.Close() }
	case "zstd":
		zd, _ := h.zstdPool.Get().(*zstd.Decoder)
		if zd == nil {
			var err error
			zd, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(32<<20))
			if err != nil {
				return nil, nil, err
			}
		}
		if err := zd.Reset(raw); err != nil {
			h.zstdPool.Put(zd)
			return nil, nil, fmt.Errorf("zstd body: %w", err)
		}
		dec, release = zd, func() { _ = zd.Reset(nil); h.zstdPool.Put(zd) }
	default:
		return nil, nil, errUnsupportedEncoding(enc)
	}
	return &limitedReader{r: dec, left: lim.MaxDecodedBytes}, release, nil
}

type errUnsupportedEncoding string

func (e errUnsupportedEncoding) Error() string {
	return fmt.Sprintf("Content-Encoding %q is not supported (use gzip, zstd or none)", string(e))
}

type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Probe one byte to tell "exactly at the limit" from "over it".
		var b [1]byte
		n, err := l.r.Read(b[:])
		if n > 0 {
			return 0, errTooLarge{"decoded body is over the limit"}
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// classify maps a body read error to a status code.
func classify(err error) (int, string) {
	var mbe *http.MaxBytesError
	var tl errTooLarge
	var ue errUnsupportedEncoding
	switch {
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is over the limit of %d bytes; nothing was stored", mbe.Limit)
	case errors.As(err, &tl):
		return http.StatusRequestEntityTooLarge, tl.msg + "; nothing was stored"
	case errors.As(err, &ue):
		return http.StatusUnsupportedMediaType, ue.Error()
	}
	return http.StatusBadRequest, fmt.Sprintf("reading the request body: %v; nothing was stored", err)
}

// forEachLine calls fn for every non-blank line (numbered from 1); a line
// over MaxLineBytes is reported to tooLong and skipped.
func (h *Handler) forEachLine(body io.Reader, fn func(n int, line []byte) error, tooLong func(n int)) error {
	br, _ := h.bufs.Get().(*bufio.Reader)
	if br == nil || br.Size() != h.cfg.Limits.MaxLineBytes {
		br = bufio.NewReaderSize(nil, h.cfg.Limits.MaxLineBytes)
	}
	br.Reset(body)
	defer func() { br.Reset(nil); h.bufs.Put(br) }()
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			tooLong(n)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			continue
		}
		if len(line) > 0 && !blank(line) {
			if ferr := fn(n, trimEOL(line)); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

func (resp *IngestResponse) reject(line int, field, msg string) {
	resp.Rejected++
	if len(resp.Errors) < maxErrorsListed {
		resp.Errors = append(resp.Errors, LineError{Line: line, Field: field, Error: msg})
	}
}

// readLines is the common part of the NDJSON endpoints (predictions,
// feedback): it reads r's body within the limits and in its
// Content-Encoding and calls decode for every non-blank line. A line decode
// refuses (naming the field of a *predlog.FieldError) or one longer than
// MaxLineBytes is recorded in resp as rejected; more than MaxRecords
// decoded lines ("more than N <noun> in one request"), a body over a limit
// or an unreadable body fail the whole request: readLines answers it and
// returns false, and the caller must store nothing. On true the caller
// stores what decode kept and answers with respond.
func (h *Handler) readLines(w http.ResponseWriter, r *http.Request, noun string, resp *IngestResponse, decode func(line []byte) error) bool {
	body, release, err := h.body(w, r)
	if err != nil {
		code, msg := classify(err)
		fail(w, code, "%s", msg)
		return false
	}
	defer release()
	lim := &h.cfg.Limits
	kept := 0
	err = h.forEachLine(body, func(n int, line []byte) error {
		if kept >= lim.MaxRecords {
			return errTooLarge{fmt.Sprintf("more than %d %s in one request", lim.MaxRecords, noun)}
		}
		if err := decode(line); err != nil {
			var fe *predlog.FieldError
			if errors.As(err, &fe) {
				resp.reject(n, fe.Field, fe.Msg)
			} else {
				resp.reject(n, "", err.Error())
			}
			return nil
		}
		kept++
		return nil
	}, func(n int) {
		resp.reject(n, "", fmt.Sprintf("line is longer than %d bytes", lim.MaxLineBytes))
	})
	if err != nil {
		code, msg := classify(err)
		fail(w, code, "%s", msg)
		return false
	}
	return true
}

// respond answers a stored NDJSON request: 200, or 400 when some lines
// were rejected (the good ones are stored all the same).
func respond(w http.ResponseWriter, resp *IngestResponse) {
	code := http.StatusOK
	if resp.Rejected > 0 {
		code = http.StatusBadRequest
	}
	writeJSON(w, code, resp)
}

// ServeIngest is POST /api/v1/predictions.
func (h *Handler) ServeIngest(w http.ResponseWriter, r *http.Request) {
	var resp IngestResponse
	bt, _ := h.batches.Get().(*batch)
	if bt == nil {
		bt = &batch{dec: predlog.NewDecoder(h.cfg.Now)}
	}
	defer h.putBatch(bt)
	dec, recs := bt.dec, bt.recs[:0]
	defer func() { bt.recs = recs }()
	if !h.readLines(w, r, "records", &resp, func(line []byte) error {
		recs = append(recs, predlog.Record{})
		if err := dec.Decode(line, &recs[len(recs)-1]); err != nil {
			recs = recs[:len(recs)-1]
			return err
		}
		if err := h.checkTime(recs[len(recs)-1].TS); err != nil {
			recs = recs[:len(recs)-1]
			return err
		}
		if err := h.checkExtras(&recs[len(recs)-1]); err != nil {
			recs = recs[:len(recs)-1]
			return err
		}
		if h.cfg.Owner != nil {
			if err := h.cfg.Owner(recs[len(recs)-1].Model); err != nil {
				recs = recs[:len(recs)-1]
				return &predlog.FieldError{Field: "model", Msg: err.Error()}
			}
		}
		return nil
	}) {
		return
	}
	commit := h.transform(recs)
	if err := h.cfg.Log.Append(r.Context(), recs); err != nil {
		h.log.Error("prediction log append failed", "records", len(recs), "err", err)
		fail(w, storeFailure(err), "storing %d records failed, none is acknowledged: %v", len(recs), err)
		return
	}
	commit()
	resp.Accepted = len(recs)
	h.observe(recs)
	respond(w, &resp)
}

// batch is the reusable state of one ingest request.
type batch struct {
	dec  *predlog.Decoder
	recs []predlog.Record
}

func (h *Handler) putBatch(bt *batch) {
	// Nothing keeps the records once the request is answered: the log
	// encoded them and observers copy what they keep.
	clear(bt.recs)
	bt.recs = bt.recs[:0]
	bt.dec.Recycle()
	h.batches.Put(bt)
}

// Ingest stores recs durably and hands them to the observers, as a POST
// would: in-process producers (the demo's simulator) use it to take the
// same path as HTTP clients. recs are not retained.
func (h *Handler) Ingest(ctx context.Context, recs []predlog.Record) error {
	for i := range recs {
		if err := checkRecord(&recs[i]); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
	}
	commit := h.transform(recs)
	if err := h.cfg.Log.Append(ctx, recs); err != nil {
		return err
	}
	commit()
	h.observe(recs)
	return nil
}

// transform applies the configured transformers to a batch before it is
// stored; call the returned func once the batch is stored.
func (h *Handler) transform(recs []predlog.Record) (commit func()) {
	if len(recs) == 0 || len(h.cfg.Transformers) == 0 {
		return func() {}
	}
	var commits []func()
	for _, t := range h.cfg.Transformers {
		if c := t.Transform(recs); c != nil {
			commits = append(commits, c)
		}
	}
	return func() {
		for _, c := range commits {
			c()
		}
	}
}

// CheckTime is checkTime for the other HTTP ingest paths (CloudEvents),
// so that their records meet the same time bounds as NDJSON lines.
func (h *Handler) CheckTime(ts int64) error { return h.checkTime(ts) }

// checkTime applies Limits.MaxAge and Limits.MaxFutureSkew to a record's
// ts (Unix ms), the bounds remote write applies to samples. It guards the
// HTTP endpoint; in-process producers (Ingest) are trusted.
func (h *Handler) checkTime(ts int64) error {
	l := &h.cfg.Limits
	now := h.cfg.Now()
	at := func() string { return time.UnixMilli(ts).UTC().Format(time.RFC3339Nano) }
	if l.MaxFutureSkew >= 0 && ts > now.Add(l.MaxFutureSkew).UnixMilli() {
		return &predlog.FieldError{Field: "ts", Msg: fmt.Sprintf("too_far_in_future: %s is more than %s ahead of the server clock", at(), l.MaxFutureSkew)}
	}
	if l.MaxAge >= 0 && ts < now.Add(-l.MaxAge).UnixMilli() {
		return &predlog.FieldError{Field: "ts", Msg: fmt.Sprintf("too_old: %s is more than %s in the past (the prediction log would not keep it)", at(), l.MaxAge)}
	}
	return nil
}

func checkRecord(r *predlog.Record) error {
	switch {
	case r.Model == "" || r.Version == "":
		return errors.New("model and version are required")
	case r.Role != predlog.RoleProduction && r.Role != predlog.RoleShadow && r.Role != predlog.RoleCanary:
		return fmt.Errorf("role must be production, shadow or canary, not %q", r.Role)
	case r.Status != predlog.StatusOK && r.Status != predlog.StatusError:
		return fmt.Errorf("status must be ok or error, not %q", r.Status)
	}
	return nil
}

// observe hands durable records to the observers.
func (h *Handler) observe(recs []predlog.Record) {
	if len(recs) == 0 {
		return
	}
	if t := h.cfg.Traffic; t != nil {
		for i := range recs {
			p := mlmetrics.Prediction{Model: recs[i].Model, Version: recs[i].Version, Role: recs[i].Role, Status: recs[i].Status, LatencySeconds: -1}
			if recs[i].LatencyMS.Kind == predlog.KindNumber {
				p.LatencySeconds = recs[i].LatencyMS.Num / 1000
			}
			t.Observe(p)
		}
	}
	if h.cfg.Contracts != nil {
		h.cfg.Contracts.ObserveRecords(recs)
	}
	if h.cfg.Joiner != nil {
		h.cfg.Joiner.ObserveRecords(recs)
	}
	for _, o := range h.cfg.Observers {
		o.ObserveRecords(recs)
	}
}

// ServeFeedback is POST /api/v1/feedback.
func (h *Handler) ServeFeedback(w http.ResponseWriter, r *http.Request) {
	var resp IngestResponse
	dec := predlog.NewDecoder(h.cfg.Now)
	var fbs []predlog.Feedback
	if !h.readLines(w, r, "labels", &resp, func(line []byte) error {
		var fb predlog.Feedback
		if err := dec.DecodeFeedback(line, &fb); err != nil {
			return err
		}
		fbs = append(fbs, fb)
		return nil
	}) {
		return
	}
	// Labels are kept in the log so that they outlive the in-memory join.
	keys, vals := make([]string, len(fbs)), make([][]byte, len(fbs))
	for i := range fbs {
		fb := &fbs[i]
		keys[i] = fb.RequestID
		vals[i] = AppendFeedbackJSON(nil, fb)
	}
	if err := h.cfg.Log.PutMetaBatch(r.Context(), nsLabel, keys, vals); err != nil {
		fail(w, storeFailure(err), "storing labels failed, none is acknowledged: %v", err)
		return
	}
	matched := 0
	if h.cfg.Joiner != nil {
		for _, fb := range fbs {
			if h.cfg.Joiner.AddLabel(quality.Label{RequestID: fb.RequestID, Value: fb.Label, TS: fb.TS}) {
				matched++
			}
		}
	}
	resp.Accepted, resp.Matched = len(fbs), &matched
	respond(w, &resp)
}

// AppendFeedbackJSON appends fb as the feedback line it was decoded from
// (the form labels are stored in).
func AppendFeedbackJSON(dst []byte, fb *predlog.Feedback) []byte {
	dst = append(dst, `{"request_id":`...)
	dst = predlog.AppendQuoted(dst, fb.RequestID)
	dst = append(dst, `,"label":`...)
	dst = predlog.AppendValueJSON(dst, fb.Label)
	dst = append(dst, `,"ts":`...)
	dst = strconv.AppendInt(dst, fb.TS, 10)
	return append(dst, '}')
}

// InjectedFilter selects records by their Injected mark in an export.
type InjectedFilter string

// Values of the export's injected parameter. Include is the default (the
// export is what the log holds); training exports pass Exclude so that
// game-day records never reach a training set.
const (
	InjectedInclude InjectedFilter = "include"
	InjectedExclude InjectedFilter = "exclude"
	InjectedOnly    InjectedFilter = "only"
)

// ParseInjectedFilter reads the injected parameter ("" is include).
func ParseInjectedFilter(s string) (InjectedFilter, error) {
	switch f := InjectedFilter(s); f {
	case "":
		return InjectedInclude, nil
	case InjectedInclude, InjectedExclude, InjectedOnly:
		return f, nil
	}
	return "", fmt.Errorf("injected: must be include, exclude or only, not %q", s)
}

func (f InjectedFilter) keep(r *predlog.Record) bool {
	switch f {
	case InjectedExclude:
		return !r.Injected
	case InjectedOnly:
		return r.Injected
	}
	return true
}

// ServeExport is GET /api/v1/predictions/export?model=&version=&from=&to=&format=ndjson|csv&injected=include|exclude|only.
func (h *Handler) ServeExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query := store.Query{Model: q.Get("model"), Version: q.Get("version")}
	if query.Model == "" {
		fail(w, http.StatusBadRequest, "model: is required")
		return
	}
	var err error
	if query.From, query.To, err = timeparse.Range(q.Get("from"), q.Get("to"), time.Now(), time.Time{}, time.Time{}); err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	format := q.Get("format")
	if format == "" {
		format = "ndjson"
	}
	if format != "ndjson" && format != "csv" {
		fail(w, http.StatusBadRequest, "format: must be ndjson or csv, not %q", format)
		return
	}
	injected, err := ParseInjectedFilter(q.Get("injected"))
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	if err := ExportFiltered(r.Context(), h.cfg.Log, query, format, injected, w, func() {
		if format == "csv" {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "application/x-ndjson")
		}
	}); err != nil {
		h.log.Warn("prediction export aborted", "model", query.Model, "err", err)
		// The status is sent; abort so the client sees a truncated body.
		panic(http.ErrAbortHandler)
	}
}

// ExportTo writes the records of q to w as NDJSON or CSV; begin is called
// once before the first byte.
func ExportTo(ctx context.Context, lg Log, q store.Query, format string, w io.Writer, begin func()) error {
	return ExportFiltered(ctx, lg, q, format, InjectedInclude, w, begin)
}

// ExportFiltered is ExportTo keeping only the records injected selects.
func ExportFiltered(ctx context.Context, lg Log, q store.Query, format string, injected InjectedFilter, w io.Writer, begin func()) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	var features []string
	var cells []string
	var cellBuf []byte
	if format == "csv" {
		var err error
		if features, err = lg.FeatureNames(ctx, q); err != nil {
			return err
		}
	}
	if begin != nil {
		begin()
	}
	if format == "csv" {
		hdr := append([]string(nil), predlog.CSVHeader...)
		for _, f := range features {
			name := f
			for _, fixed := range predlog.CSVHeader {
				if fixed == f {
					name = "feature." + f
				}
			}
			hdr = append(hdr, name)
		}
		line = appendCSVRow(line[:0], hdr)
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	err := lg.Scan(ctx, q, func(rec *predlog.Record) error {
		if !injected.keep(rec) {
			return nil
		}
		if format == "csv" {
			cells, cellBuf = predlog.AppendCSVFields(cells[:0], cellBuf, rec, features)
			line = appendCSVRow(line[:0], cells)
		} else {
			line = predlog.AppendJSON(line[:0], rec)
		}
		_, err := bw.Write(line)
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// appendCSVRow appends cells as one RFC 4180 row.
func appendCSVRow(dst []byte, cells []string) []byte {
	for i, c := range cells {
		if i > 0 {
			dst = append(dst, ',')
		}
		if !strings.ContainsAny(c, ",\"\r\n") && (c == "" || c[0] != ' ' && c[len(c)-1] != ' ') {
			dst = append(dst, c...)
			continue
		}
		dst = append(dst, '"')
		dst = append(dst, strings.ReplaceAll(c, `"`, `""`)...)
		dst = append(dst, '"')
	}
	return append(dst, '\n')
}

func baselineKey(model, version string) string { return model + "\x00" + version }

// ServePutBaseline is PUT /api/v1/baselines/{model}/{version}: the body is
// a profile as baseline.Profile.Marshal writes it, or the training set
// itself as Parquet (Content-Type application/vnd.apache.parquet, or
// application/octet-stream with the PAR1 magic; ?categorical=a,b as
// `mlectl baseline import --categorical`), profiled here as the CLI
// profiles it.
func (h *Handler) ServePutBaseline(w http.ResponseWriter, r *http.Request) {
	model, version := r.PathValue("model"), r.PathValue("version")
	body := bufio.NewReader(http.MaxBytesReader(w, r.Body, h.cfg.Limits.MaxBodyBytes))
	var (
		p   *baseline.Profile
		b   []byte
		err error
	)
	if isParquetUpload(r.Header.Get("Content-Type"), body) {
		p, b, err = h.profileParquet(r, body, model, version)
		if err != nil {
			failParquet(w, err)
			return
		}
	} else {
		b, err = io.ReadAll(body)
		if err != nil {
			code, msg := classify(err)
			fail(w, code, "%s", msg)
			return
		}
		p, err = baseline.Unmarshal(b)
		if err != nil {
			fail(w, http.StatusBadRequest, "%v", err)
			return
		}
		if p.Model != model || p.Version != version {
			fail(w, http.StatusBadRequest, "profile is for %s/%s but the URL names %s/%s", p.Model, p.Version, model, version)
			return
		}
	}
	// Check before storing: a refused profile must not come back at the
	// next restart.
	if err := h.checkBaseline(p); err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	if err := h.cfg.Log.PutMeta(r.Context(), nsBaseline, baselineKey(model, version), b); err != nil {
		fail(w, storeFailure(err), "storing the baseline failed: %v", err)
		return
	}
	if err := h.applyBaseline(p); err != nil {
		// checkBaseline accepted it, so a sink refusing it is a bug, not
		// the client's fault; the stored profile is valid.
		h.log.Error("a checked baseline was refused", "model", model, "version", version, "err", err)
		fail(w, http.StatusInternalServerError, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": model, "version": version, "features": len(p.Features), "rows": p.Rows})
}

// ServeGetBaseline is GET /api/v1/baselines/{model}/{version}.
func (h *Handler) ServeGetBaseline(w http.ResponseWriter, r *http.Request) {
	b, err := h.cfg.Log.GetMeta(r.Context(), nsBaseline, baselineKey(r.PathValue("model"), r.PathValue("version")))
	if errors.Is(err, store.ErrNotFound) {
		fail(w, http.StatusNotFound, "no baseline for %s/%s", r.PathValue("model"), r.PathValue("version"))
		return
	}
	if err != nil {
		fail(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// ServePutContract is PUT /api/v1/contracts/{model}: a YAML contract whose
// model matches the URL. It replaces the model's (or model version's)
// contract from the next record on.
func (h *Handler) ServePutContract(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Contracts == nil {
		fail(w, http.StatusNotFound, "contracts are not enabled on this collector")
		return
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
	if err != nil {
		code, msg := classify(err)
		fail(w, code, "%s", msg)
		return
	}
	c, err := contract.ParseBytes(b)
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	if c.Model != r.PathValue("model") {
		fail(w, http.StatusBadRequest, "contract is for model %q but the URL names %q", c.Model, r.PathValue("model"))
		return
	}
	if err := h.cfg.Log.PutMeta(r.Context(), nsContract, baselineKey(c.Model, c.Version), b); err != nil {
		fail(w, storeFailure(err), "storing the contract failed: %v", err)
		return
	}
	if err := h.cfg.Contracts.Set(c); err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": c.Model, "version": c.Version, "features": len(c.Features)})
}

// ServeGetContract is GET /api/v1/contracts/{model}[?version=].
func (h *Handler) ServeGetContract(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Contracts == nil {
		fail(w, http.StatusNotFound, "contracts are not enabled on this collector")
		return
	}
	c := h.cfg.Contracts.Get(r.PathValue("model"), r.URL.Query().Get("version"))
	if c == nil {
		fail(w, http.StatusNotFound, "no contract for model %q", r.PathValue("model"))
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// AppendSeries writes every series of the pipeline at ts: traffic,
// schema violations, quality, and Config.Series.
func (h *Handler) AppendSeries(ctx context.Context, db storage.Appendable, ts time.Time) error {
	var errs []error
	if h.cfg.Traffic != nil {
		errs = append(errs, h.cfg.Traffic.AppendTo(ctx, db, ts))
	}
	if h.cfg.Contracts != nil {
		errs = append(errs, h.cfg.Contracts.AppendTo(ctx, db, ts))
	}
	if h.cfg.Joiner != nil {
		errs = append(errs, h.cfg.Joiner.AppendTo(ctx, db, ts))
	}
	for _, s := range h.cfg.Series {
		errs = append(errs, s.AppendTo(ctx, db, ts))
	}
	return errors.Join(errs...)
}

// Run calls AppendSeries every interval until ctx is done, logging errors.
func (h *Handler) Run(ctx context.Context, db storage.Appendable, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := h.AppendSeries(ctx, db, h.cfg.Now()); err != nil {
				h.log.Warn("writing prediction-log series failed", "err", err)
			}
		}
	}
}
