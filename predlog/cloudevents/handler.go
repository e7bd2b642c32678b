package cloudevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"gopkg.in/yaml.v3"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/internal/apienv"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/baseline"
)

// Path is the ingest endpoint.
const Path = "/api/v1/ingest/cloudevents"

// Defaults of Config.
const (
	DefaultMaxPending      = 100_000
	DefaultMaxPendingBytes = 256 << 20
	DefaultMaxAge          = 2 * time.Minute
	DefaultMaxBodyBytes    = 32 << 20
)

// ModelConfig maps one InferenceService to a model of the log.
type ModelConfig struct {
	// Model is the model's name in the log; default the InferenceService's.
	Model string `yaml:"model,omitempty"`
	// Version is the version of the default endpoint's records and
	// CanaryVersion that of the canary's, unless the InferenceService's
	// mlectl.io/version annotation (sent in Ce-Annotations) names one.
	Version       string `yaml:"version,omitempty"`
	CanaryVersion string `yaml:"canary_version,omitempty"`
	// FeatureNames name positional values (array instances, v2 tensors of
	// several columns) in order; default the columns of the version's
	// baseline.
	FeatureNames []string `yaml:"feature_names,omitempty"`
}

// Config is the collector configuration's cloudevents section.
type Config struct {
	// Models, by InferenceService name. An InferenceService neither listed
	// here nor with a baseline of its version is refused.
	Models map[string]ModelConfig `yaml:"models,omitempty"`
	// MaxPending and MaxAge bound the halves waiting for their pair
	// (defaults 100000 and 2m), as does MaxPendingBytes.
	MaxPending int           `yaml:"max_pending,omitempty"`
	MaxAge     time.Duration `yaml:"max_age,omitempty"`
	// MaxPendingBytes bounds the memory the waiting halves hold (default
	// 256 MiB; the oldest go first).
	MaxPendingBytes int64 `yaml:"max_pending_bytes,omitempty"`
	// MaxBodyBytes bounds one event (default 32 MiB, the NDJSON limit).
	MaxBodyBytes int64 `yaml:"max_body_bytes,omitempty"`
}

// DecodeConfig reads the cloudevents section (an empty node is the zero Config).
func DecodeConfig(n *yaml.Node) (Config, error) {
	var c Config
	if n == nil || n.Kind == 0 {
		return c, nil
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		return c, err
	}
	dec := yaml.NewDecoder(bytesReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("cloudevents: %w", err)
	}
	for name, m := range c.Models {
		seen := map[string]bool{}
		for _, f := range m.FeatureNames {
			if f == "" || seen[f] {
				return c, fmt.Errorf("cloudevents.models.%s.feature_names: %q is empty or repeated", name, f)
			}
			seen[f] = true
		}
	}
	return c, nil
}

// Ingester stores records the way POST /api/v1/predictions does
// (api.Handler.Ingest) and applies its time bounds (api.Handler.CheckTime).
type Ingester interface {
	Ingest(ctx context.Context, recs []predlog.Record) error
	CheckTime(ts int64) error
}

// Handler serves POST /api/v1/ingest/cloudevents.
type Handler struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	win    *window
	mu     sync.RWMutex
	ingest Ingester
	// baselines: model → version → column names, from SetBaseline.
	baselines  map[string]map[string]*featureNames
	configured map[string]*featureNames // by InferenceService
	pool       sync.Pool                // *scratch
}

type scratch struct {
	p    parser
	dec  *predlog.Decoder
	line []byte
	recs []predlog.Record
	body []byte
}

// New builds a Handler; logger and now may be nil. Set the Ingester with
// SetIngester before serving.
func New(cfg Config, logger *slog.Logger, now func() time.Time) *Handler {
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.MaxPendingBytes <= 0 {
		cfg.MaxPendingBytes = DefaultMaxPendingBytes
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	h := &Handler{cfg: cfg, log: logger, now: now, win: newWindow(cfg.MaxPending, cfg.MaxPendingBytes, cfg.MaxAge),
		baselines: map[string]map[string]*featureNames{}, configured: map[string]*featureNames{}}
	for name, m := range cfg.Models {
		if len(m.FeatureNames) > 0 {
			h.configured[name] = newFeatureNames(m.FeatureNames)
		}
	}
	return h
}

// SetIngester sets where joined records go.
func (h *Handler) SetIngester(i Ingester) {
	h.mu.Lock()
	h.ingest = i
	h.mu.Unlock()
}

// SetBaseline learns a version's feature names from its training profile
// (the handler is a baseline sink of the prediction pipeline).
func (h *Handler) SetBaseline(p *baseline.Profile) error {
	names := make([]string, len(p.Features))
	for i := range p.Features {
		names[i] = p.Features[i].Name
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.baselines[p.Model] == nil {
		h.baselines[p.Model] = map[string]*featureNames{}
	}
	h.baselines[p.Model][p.Version] = newFeatureNames(names)
	return nil
}

// Routes lists the endpoint, bare (the collector's route table guards it
// with the ingest role).
func (h *Handler) Routes() []route.Route {
	return []route.Route{{Method: http.MethodPost, Pattern: Path, Role: auth.RoleIngest, Handler: http.HandlerFunc(h.ServeHTTP)}}
}

// Response is the JSON answer: accepted records (a completed pair), or
// pending (the first half of a pair), or duplicate (dropped).
type Response struct {
	Accepted  int    `json:"accepted"`
	Pending   bool   `json:"pending,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Error     string `json:"error,omitempty"`
}

func fail(w http.ResponseWriter, code int, err error) {
	apienv.WriteJSON(w, code, Response{Error: err.Error()})
}

// resolve maps the event's InferenceService to model, version, role and
// feature names.
func (h *Handler) resolve(e *event) (model, version, role string, names *featureNames, err error) {
	mc, listed := h.cfg.Models[e.service]
	model = e.service
	if mc.Model != "" {
		model = mc.Model
	}
	role = predlog.RoleProduction
	if e.endpoint == "canary" || e.component == "canary" {
		role = predlog.RoleCanary
	}
	switch {
	case e.versionAnnotation != "":
		version = e.versionAnnotation
	case role == predlog.RoleCanary && mc.CanaryVersion != "":
		version = mc.CanaryVersion
	default:
		version = mc.Version
	}
	h.mu.RLock()
	base := h.baselines[model][version]
	h.mu.RUnlock()
	if !listed && base == nil {
		return "", "", "", nil, bad(e.attr("inferenceservicename"), "%q is not a known model: list it under cloudevents.models in the collector's config, or upload a baseline of the version its %s annotation names", e.service, VersionAnnotation)
	}
	if version == "" {
		return "", "", "", nil, bad(e.attr("annotations"), "has no %s and cloudevents.models.%s sets no version: the %s endpoint's records need one", VersionAnnotation, e.service, e.endpointName())
	}
	names = h.configured[e.service]
	if names == nil {
		names = base
	}
	return model, version, role, names, nil
}

func (e *event) endpointName() string {
	if e.endpoint == "" {
		return "default"
	}
	return e.endpoint
}

// ServeHTTP is POST /api/v1/ingest/cloudevents.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sc, _ := h.pool.Get().(*scratch)
	if sc == nil {
		sc = &scratch{dec: predlog.NewDecoder(h.now)}
	}
	defer h.putScratch(sc)
	body, err := readBody(w, r, h.cfg.MaxBodyBytes, sc.body[:0])
	sc.body = body
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(w, http.StatusRequestEntityTooLarge, fmt.Errorf("request body is over the limit of %d bytes; nothing was stored", mbe.Limit))
			return
		}
		fail(w, http.StatusBadRequest, fmt.Errorf("reading the request body: %w", err))
		return
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && ce != "identity" {
		fail(w, http.StatusUnsupportedMediaType, fmt.Errorf("Content-Encoding %q is not supported on CloudEvents (send them uncompressed)", ce))
		return
	}
	now := h.now()
	hf, err := h.decode(sc, r.Header, body, now)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	other, dup := h.win.offer(hf, now)
	switch {
	case dup:
		apienv.WriteJSON(w, http.StatusOK, Response{Duplicate: true})
		return
	case other == nil:
		apienv.WriteJSON(w, http.StatusAccepted, Response{Pending: true})
		return
	}
	req, resp := other, hf
	if hf.isResponse == false {
		req, resp = hf, other
	}
	if !resp.rows.failed && req.rows.len() != resp.rows.len() {
		h.win.count(ReasonBatchMismatch)
		fail(w, http.StatusBadRequest, bad("body", "event %s: the request has %d instances but the response %d predictions; the pair was dropped", hf.id, req.rows.len(), resp.rows.len()))
		return
	}
	n, err := h.store(r.Context(), sc, req, resp)
	if err != nil {
		var fe *predlog.FieldError
		if errors.As(err, &fe) {
			// A value the NDJSON path refuses: the pair cannot be stored.
			h.win.count(ReasonInvalid)
			fail(w, http.StatusBadRequest, err)
			return
		}
		h.win.putBack(other, now)
		h.log.Error("storing CloudEvents records failed", "id", hf.id, "records", n, "err", err)
		fail(w, http.StatusServiceUnavailable, fmt.Errorf("storing %d records failed, none is acknowledged: %w", n, err))
		return
	}
	apienv.WriteJSON(w, http.StatusOK, Response{Accepted: n})
}

func (h *Handler) putScratch(sc *scratch) {
	clear(sc.recs)
	sc.recs = sc.recs[:0]
	sc.dec.Recycle()
	if cap(sc.body) > 1<<20 {
		sc.body = nil
	}
	h.pool.Put(sc)
}

// decode reads one event into a half.
func (h *Handler) decode(sc *scratch, hdr http.Header, body []byte, now time.Time) (*half, error) {
	e, err := parseEvent(hdr, body)
	if err != nil {
		return nil, err
	}
	model, version, role, names, err := h.resolve(e)
	if err != nil {
		return nil, err
	}
	if !json.Valid(e.data) {
		return nil, bad("body", "is not valid JSON (event %s)", e.id)
	}
	if !jsonObject(e.data) {
		return nil, bad("body", "must be a JSON object (event %s)", e.id)
	}
	sc.p.model, sc.p.names = model, names
	hf := &half{id: e.id, isResponse: e.isResponse, model: model, version: version, role: role, at: now}
	if !e.time.IsZero() {
		hf.at, hf.hasTime = e.time, true
	}
	if e.isResponse {
		hf.rows, err = sc.p.response(e.data)
	} else {
		hf.rows, err = sc.p.request(e.data)
	}
	if err != nil {
		return nil, err
	}
	return hf, nil
}

// store turns a joined pair into records through the NDJSON decoder and
// hands them to the ingester.
func (h *Handler) store(ctx context.Context, sc *scratch, req, resp *half) (int, error) {
	h.mu.RLock()
	ing := h.ingest
	h.mu.RUnlock()
	if ing == nil {
		return 0, errors.New("the prediction log is not open")
	}
	latency := -1.0
	if req.hasTime && resp.hasTime && !resp.at.Before(req.at) {
		latency = float64(resp.at.Sub(req.at).Microseconds()) / 1000
	}
	n := req.rows.len()
	recs := sc.recs[:0]
	for i := range n {
		id := req.id
		if n > 1 {
			id = req.id + "#" + strconv.Itoa(i)
		}
		sc.line = appendLine(sc.line[:0], req.model, req.version, req.role, id, req.at.UnixMilli(), latency, req.rows.row(i), resp.prediction(i))
		recs = append(recs, predlog.Record{})
		if err := sc.dec.Decode(sc.line, &recs[len(recs)-1]); err != nil {
			sc.recs = recs
			var fe *predlog.FieldError
			if errors.As(err, &fe) {
				path := "instances[" + strconv.Itoa(i) + "]"
				if len(fe.Field) >= 10 && fe.Field[:10] == "prediction" {
					path = "predictions[" + strconv.Itoa(i) + "]"
				}
				return 0, &predlog.FieldError{Field: fe.Field, Msg: path + " (" + fe.Field + "): " + fe.Msg}
			}
			return 0, err
		}
		if err := ing.CheckTime(recs[len(recs)-1].TS); err != nil {
			sc.recs = recs
			var fe *predlog.FieldError
			if errors.As(err, &fe) {
				return 0, &predlog.FieldError{Field: "ts", Msg: "Ce-Time of the request (ts): " + fe.Msg}
			}
			return 0, err
		}
	}
	sc.recs = recs
	return n, ing.Ingest(ctx, recs)
}

// prediction is row i of a response, nil for a failed one.
func (h *half) prediction(i int) []byte {
	if h.rows.failed {
		return nil
	}
	return h.rows.row(i)
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64, buf []byte) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, limit)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// Stats returns the join window's state.
func (h *Handler) Stats() Stats { return h.win.stats(h.now()) }

// AppendTo writes mle_cloudevents_pending and
// mle_cloudevents_unmatched_total{reason} at ts (expiring what is due).
func (h *Handler) AppendTo(ctx context.Context, db storage.Appendable, ts time.Time) error {
	st := h.win.stats(ts)
	app := db.Appender(ctx)
	t := ts.UnixMilli()
	if _, err := app.Append(0, labels.FromStrings("__name__", "mle_cloudevents_pending"), t, float64(st.Pending)); err != nil {
		_ = app.Rollback()
		return err
	}
	reasons := make([]string, 0, len(st.Unmatched))
	for k := range st.Unmatched {
		reasons = append(reasons, k)
	}
	sort.Strings(reasons)
	for _, k := range reasons {
		if _, err := app.Append(0, labels.FromStrings("__name__", "mle_cloudevents_unmatched_total", "reason", k), t, float64(st.Unmatched[k])); err != nil {
			_ = app.Rollback()
			return err
		}
	}
	return app.Commit()
}

// Run writes the series every interval until ctx is done.
func (h *Handler) Run(ctx context.Context, db storage.Appendable, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := h.AppendTo(ctx, db, h.now()); err != nil && ctx.Err() == nil {
				h.log.Warn("writing CloudEvents series failed", "err", err)
			}
		}
	}
}
