package shadow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/internal/apienv"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/internal/timeparse"
	"github.com/mlectl/mlectl/registry"
)

// DefaultReportRange is the report's range when from is not given.
const DefaultReportRange = time.Hour

// HandlerConfig wires the report endpoint. Log is required.
type HandlerConfig struct {
	Log Scanner
	// Labels returns a label reader for one report (nil: no quality).
	Labels func() Labels
	// Registry gives the production version and the candidate (nil:
	// versions are taken from the log).
	Registry Registry
	// Live is the live shadow scorer (nil: source=live is unavailable).
	Live    *Live
	Backend engine.Backend
	Logger  *slog.Logger
	Now     func() time.Time
	// Middleware wraps the route (the collector's access control: viewer).
	Middleware func(pattern string, h http.Handler) http.Handler
}

// Handler serves GET /api/v1/shadow/{model}/report.
type Handler struct{ cfg HandlerConfig }

// NewHandler returns the report handler.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Log == nil {
		return nil, errors.New("shadow report: HandlerConfig.Log is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Backend == nil {
		cfg.Backend = engine.DefaultBackend()
	}
	return &Handler{cfg: cfg}, nil
}

// Routes lists the report route (a read: viewer), bare; the collector's
// route table guards it.
func (h *Handler) Routes() []route.Route {
	return []route.Route{{Method: http.MethodGet, Pattern: "/api/v1/shadow/{model}/report", Role: auth.RoleViewer, Handler: http.HandlerFunc(h.ServeReport)}}
}

// Mount registers the report route on m, wrapped in HandlerConfig.Middleware
// (for tests and tools; the collector mounts its route table).
func (h *Handler) Mount(m route.Mux) { route.MountWrapped(m, h.Routes(), h.cfg.Middleware) }

func fail(w http.ResponseWriter, code int, format string, a ...any) {
	apienv.Error(w, code, fmt.Sprintf(format, a...))
}

// RequestError is a report request the caller must change; Status is the
// HTTP status (400 or 404).
type RequestError struct {
	Status int
	Msg    string
}

func (e *RequestError) Error() string { return e.Msg }

func badRequest(format string, a ...any) error {
	return &RequestError{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, a...)}
}

func notFound(format string, a ...any) error {
	return &RequestError{Status: http.StatusNotFound, Msg: fmt.Sprintf(format, a...)}
}

// ReportRequest is what a report is asked for.
type ReportRequest struct {
	Model, Candidate, Source string
	From, To                 time.Time
	Options                  Options
}

// ParseReportRequest reads the query parameters: from, to (internal/timeparse:
// RFC 3339, Unix seconds, now, -1h; default the last hour), candidate, source (logged|replay|live),
// threshold, tolerance, top (1..20).
func ParseReportRequest(r *http.Request, now time.Time) (ReportRequest, error) {
	q := r.URL.Query()
	req := ReportRequest{Model: r.PathValue("model"), Candidate: q.Get("candidate"), Source: q.Get("source")}
	if !registry.ValidName(req.Model) {
		return req, badRequest("model: %q is not a model name", req.Model)
	}
	if req.Candidate != "" && !registry.ValidName(req.Candidate) {
		return req, badRequest("candidate: %q is not a version name", req.Candidate)
	}
	switch req.Source {
	case "", SourceLogged, SourceReplay, SourceLive:
	default:
		return req, badRequest("source: must be logged, replay or live, not %q", req.Source)
	}
	req.To = now
	if s := q.Get("to"); s != "" {
		t, err := timeparse.Parse(s, now)
		if err != nil {
			return req, badRequest("to: %v", err)
		}
		req.To = t
	}
	req.From = req.To.Add(-DefaultReportRange)
	if s := q.Get("from"); s != "" {
		t, err := timeparse.Parse(s, now)
		if err != nil {
			return req, badRequest("from: %v", err)
		}
		req.From = t
	}
	if !req.From.Before(req.To) {
		return req, badRequest("from: %s is not before to %s", req.From.Format(time.RFC3339), req.To.Format(time.RFC3339))
	}
	for _, p := range []struct {
		name string
		dst  *float64
	}{{"threshold", &req.Options.Threshold}, {"tolerance", &req.Options.Tolerance}} {
		if s := q.Get(p.name); s != "" {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || !finite(v) || v <= 0 {
				return req, badRequest("%s: %q must be a positive number", p.name, s)
			}
			*p.dst = v
		}
	}
	if s := q.Get("top"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > MaxTopDisagreements {
			return req, badRequest("top: %q must be an integer from 1 to %d", s, MaxTopDisagreements)
		}
		req.Options.TopN = v
	}
	return req, nil
}

// ServeReport is GET /api/v1/shadow/{model}/report.
func (h *Handler) ServeReport(w http.ResponseWriter, r *http.Request) {
	req, err := ParseReportRequest(r, h.cfg.Now())
	if err == nil {
		var rep *Report
		if rep, err = h.Report(r.Context(), req); err == nil {
			apienv.Data(w, http.StatusOK, rep)
			return
		}
	}
	var re *RequestError
	if errors.As(err, &re) {
		fail(w, re.Status, "%s", re.Msg)
		return
	}
	h.cfg.Logger.Warn("shadow report failed", "model", req.Model, "err", err)
	fail(w, http.StatusInternalServerError, "%v", err)
}

// versions are a model's production version and candidate per the registry.
type versions struct {
	known      bool
	production string
	// since is when the production version took over (zero: unknown).
	since     time.Time
	candidate registry.Version
	hasCand   bool
}

func (h *Handler) versions(ctx context.Context, model, candidate string) (versions, error) {
	var v versions
	if h.cfg.Registry == nil {
		return v, nil
	}
	st, err := h.cfg.Registry.Get(ctx, model)
	if errors.Is(err, registry.ErrNotFound) {
		return v, nil
	}
	if err != nil {
		return v, fmt.Errorf("reading the registry: %w", err)
	}
	v.known, v.production = true, st.Production
	for _, ver := range st.Versions {
		if ver.Version == st.Production {
			v.since = ver.StageChangedAt
		}
	}
	if candidate != "" {
		for _, ver := range st.Versions {
			if ver.Version == candidate {
				v.candidate, v.hasCand = ver, true
			}
		}
		if !v.hasCand {
			v.candidate = registry.Version{Version: candidate}
		}
		return v, nil
	}
	v.candidate, v.hasCand = CandidateOf(st)
	return v, nil
}

// Report computes a report. With Source "" it is the logged comparison
// when the range has shadow/canary records paired with production ones,
// else the live one when live shadow runs for the model, else a replay when
// the candidate's artifact is a local model file.
func (h *Handler) Report(ctx context.Context, req ReportRequest) (*Report, error) {
	vs, err := h.versions(ctx, req.Model, req.Candidate)
	if err != nil {
		return nil, err
	}
	candVersion := req.Candidate
	if candVersion == "" && vs.hasCand {
		candVersion = vs.candidate.Version
	}
	rep := &Report{Model: req.Model, ProductionVersion: vs.production, CandidateVersion: candVersion,
		From: req.From.UTC(), To: req.To.UTC(), TopDisagreements: []Disagreement{}}
	var labels Labels
	if h.cfg.Labels != nil {
		labels = h.cfg.Labels()
	}
	source := req.Source
	var (
		logged    *LoggedInfo
		loggedAcc *Accumulator
	)
	loggedReport := func() (*Report, error) {
		info := logged
		if !vs.known && info.Production == 0 && info.Candidate == 0 {
			return nil, notFound("model %s is unknown: not in the registry and no records in the prediction log between %s and %s", req.Model, req.From.Format(time.RFC3339), req.To.Format(time.RFC3339))
		}
		if info.CandidateVersion == "" {
			return nil, notFound("model %s has no candidate: no shadow or canary version registered and no shadow/canary records logged in the range", req.Model)
		}
		rep.Source, rep.CandidateVersion = SourceLogged, info.CandidateVersion
		if info.ProductionVersion != "" {
			rep.ProductionVersion = info.ProductionVersion
		}
		rep.Unpaired, rep.Skipped = info.Unpaired, info.NonNumeric
		Fill(rep, loggedAcc.Result())
		return rep, nil
	}
	if source == "" || source == SourceLogged {
		// The comparison follows the registry: production records of its
		// production version only, from when that version took over, so a
		// rollback shows the restored version against the candidate at once
		// instead of the replaced one until it leaves the range.
		q := LoggedQuery{Model: req.Model, ProductionVersion: vs.production, CandidateVersion: candVersion, From: req.From, To: req.To}
		if vs.since.After(q.From) && vs.since.Before(q.To) {
			q.From = vs.since
			rep.From = vs.since.UTC()
		}
		loggedAcc = NewAccumulator(req.Options)
		info, err := PairLogged(ctx, h.cfg.Log, labels, q, loggedAcc.Add)
		if err != nil {
			return nil, err
		}
		logged = &info
		if source == SourceLogged || info.Paired > 0 {
			return loggedReport()
		}
	}
	if source == SourceLive || (source == "" && h.cfg.Live != nil) {
		if h.cfg.Live != nil {
			ls, ok := h.cfg.Live.Stats(req.Model)
			if req.Options != (Options{}) {
				ls, ok = h.cfg.Live.StatsWith(req.Model, req.Options)
			}
			if ok && (source == SourceLive || ls.Pairs > 0) {
				if req.Candidate != "" && ls.CandidateVersion != req.Candidate {
					return nil, notFound("live shadow of %s scores candidate %s, not %s", req.Model, ls.CandidateVersion, req.Candidate)
				}
				rep.Source, rep.ProductionVersion, rep.CandidateVersion = SourceLive, ls.ProductionVersion, ls.CandidateVersion
				if !ls.From.IsZero() {
					// The rolling window, not the range asked for.
					rep.From, rep.To = ls.From, ls.To
				}
				rep.RowsPerSecond = Num(ls.RowsPerSecond)
				rep.Backend = ls.Backend
				Fill(rep, ls.Stats)
				return rep, nil
			}
		}
		if source == SourceLive {
			return nil, notFound("no live shadow comparison for model %s: live scoring needs a shadow or canary version whose artifact_uri is a local model file, and production traffic since the collector started", req.Model)
		}
	}
	// Replay, asked for or as the last resort (else the empty logged report).
	if !vs.known && (logged == nil || logged.Production == 0) {
		if logged != nil {
			return loggedReport()
		}
		return nil, notFound("model %s is unknown to the registry", req.Model)
	}
	if !vs.hasCand {
		if logged != nil {
			return loggedReport()
		}
		if req.Candidate != "" {
			return nil, notFound("model %s has no version %s", req.Model, req.Candidate)
		}
		return nil, notFound("model %s has no candidate: no shadow or canary version registered", req.Model)
	}
	path, err := LocalArtifact(vs.candidate.ArtifactURI)
	if err != nil {
		if logged != nil {
			return loggedReport()
		}
		return nil, notFound("candidate %s of %s cannot be replayed here: %v; replay it with `mlectl shadow replay %s --model FILE`", vs.candidate.Version, req.Model, err, req.Model)
	}
	cand, err := LoadCandidate(path, vs.candidate.Version, nil)
	if err != nil {
		if logged != nil {
			return loggedReport()
		}
		return nil, notFound("candidate %s of %s cannot be replayed: %v", vs.candidate.Version, req.Model, err)
	}
	acc := NewAccumulator(req.Options)
	rep.Backend = describeBackend(h.cfg.Backend, cand.Model)
	info, err := Replay(ctx, h.cfg.Log, labels, cand, h.cfg.Backend, ReplayQuery{Model: req.Model, ProductionVersion: vs.production,
		From: req.From, To: req.To}, acc.Add)
	forgetModel(h.cfg.Backend, cand.Model) // loaded for this report only
	if err != nil {
		return nil, err
	}
	rep.Source, rep.CandidateVersion = SourceReplay, cand.Version
	if info.ProductionVersion != "" {
		rep.ProductionVersion = info.ProductionVersion
	}
	rep.Skipped = info.Skipped
	rep.RowsPerSecond = Num(info.RowsPerSecond)
	Fill(rep, acc.Result())
	return rep, nil
}
