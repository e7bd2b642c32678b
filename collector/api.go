package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"time"

	remoteapi "github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/common/route"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/scrape"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/storage/remote"
	promtsdb "github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/util/features"
	"github.com/prometheus/prometheus/util/notifications"
	v1 "github.com/prometheus/prometheus/web/api/v1"

	"github.com/mlectl/mlectl/tsdb"
)

// Remote-read limits handed to Prometheus's read handler.
const (
	remoteReadSampleLimit      = 50_000_000
	remoteReadConcurrencyLimit = 10
	remoteReadMaxBytesInFrame  = 1 << 20
)

// buildAPI instantiates Prometheus's own web/api/v1 handlers over the
// collector's store, so that response shapes, error types, status codes and
// parameter parsing are exactly Prometheus's. Scrape, rules and alerting
// managers do not exist here; their retrievers answer empty.
func (s *Server) buildAPI() error {
	feats := features.NewRegistry()
	promParser := parser.NewParser(parser.Options{})
	s.queries = newQueryGate(s.cfg.Query.MaxConcurrency, s.reg)
	s.engine = promql.NewEngine(promql.EngineOpts{
		Logger:                   s.logger.With("component", "query engine"),
		Reg:                      s.reg,
		ActiveQueryTracker:       s.queries,
		MaxSamples:               s.cfg.Query.MaxSamples,
		Timeout:                  s.cfg.Query.Timeout,
		LookbackDelta:            s.cfg.Query.LookbackDelta,
		NoStepSubqueryIntervalFn: func(int64) int64 { return time.Minute.Milliseconds() },
		EnableAtModifier:         true,
		EnableNegativeOffset:     true,
		FeatureRegistry:          feats,
		Parser:                   promParser,
	})
	proxy := storeProxy{s}
	buildInfo := &v1.PrometheusVersion{
		Version:   s.cfg.Version,
		Revision:  "",
		Branch:    "",
		BuildUser: "mlectl",
		BuildDate: "",
		GoVersion: runtime.Version(),
	}
	s.api = v1.NewAPI(
		withExpander{s.engine}, yieldingQueryable{proxy, s.queries}, proxy, emptyExemplars{},
		func(context.Context) v1.ScrapePoolsRetriever { return noScrape{} },
		func(context.Context) v1.TargetRetriever { return noScrape{} },
		func(context.Context) v1.AlertmanagerRetriever {
			if b := s.rules.Load(); b != nil {
				return b.RulesSource
			}
			return noAlertmanagers{}
		},
		promConfig,
		s.cfg.Flags,
		v1.GlobalURLOptions{Scheme: "http"},
		func(h http.HandlerFunc) http.HandlerFunc { return s.whenReady(h).ServeHTTP },
		noAdmin{},
		"",    // dbDir: only used by the admin snapshot endpoint, which is off
		false, // enableAdmin
		false, // enableSearch
		0,     // maxSearchLimit
		s.logger.With("component", "api"),
		func(context.Context) v1.RulesRetriever {
			if b := s.rules.Load(); b != nil {
				return b.RulesSource
			}
			return noRules{}
		},
		remoteReadSampleLimit, remoteReadConcurrencyLimit, remoteReadMaxBytesInFrame,
		false, // isAgent
		nil,   // CORS origin
		s.runtimeInfo,
		buildInfo,
		func() []notifications.Notification { return nil },
		func() (<-chan notifications.Notification, func(), bool) { return nil, func() {}, false },
		s.reg, s.reg,
		nil,   // stats renderer: Prometheus's default
		false, // remote write: served by the collector's own handler
		nil,
		// OTLP: Prometheus's own receiver (--web.enable-otlp-receiver)
		// on the collector's store, cumulative temporality only, as
		// Prometheus's default.
		true, false, false,
		s.cfg.Query.LookbackDelta,
		false, // type and unit labels
		false, // append metadata
		nil,   // error code overrides
		feats,
		v1.OpenAPIOptions{Version: s.cfg.Version},
		promParser,
		false, // query cost
		s.cfg.Query.Timeout,
	)
	s.rw2 = remote.NewWriteHandler(s.logger.With("component", "remote write v2"), s.reg, proxy,
		remoteapi.MessageTypes{remoteapi.WriteV2MessageType}, false, false)
	return nil
}

// promConfig is the configuration Prometheus's handlers read: Prometheus's
// defaults, so that its OTLP receiver translates names, units and resource
// attributes (target_info) exactly as a Prometheus started with
// --web.enable-otlp-receiver and no otlp: section does.
func promConfig() config.Config {
	return config.Config{OTLPConfig: config.DefaultOTLPConfig}
}

func (s *Server) apiHandler() http.Handler {
	r := route.New().WithInstrumentation(func(name string, h http.HandlerFunc) http.HandlerFunc {
		return s.m.instrument("/api/v1"+name, s.promRoute(name, h)).ServeHTTP
	})
	s.api.Register(r)
	return http.StripPrefix("/api/v1", r)
}

func (s *Server) runtimeInfo() (v1.RuntimeInfo, error) {
	cwd, _ := os.Getwd()
	host, _ := os.Hostname()
	return v1.RuntimeInfo{
		StartTime:           s.start,
		CWD:                 cwd,
		Hostname:            host,
		ServerTime:          time.Now().UTC(),
		ReloadConfigSuccess: true,
		GoroutineCount:      runtime.NumGoroutine(),
		GOMAXPROCS:          runtime.GOMAXPROCS(0),
		GOGC:                os.Getenv("GOGC"),
		GODEBUG:             os.Getenv("GODEBUG"),
		StorageRetention:    s.cfg.Flags["retention"],
	}, nil
}

// TSDBStatus is the data of /api/v1/status/tsdb: Prometheus's shape plus
// the collector storage's own figures.
type TSDBStatus struct {
	v1.TSDBStatus
	SamplesStored  int64   `json:"samplesStored"`
	HeadSamples    int64   `json:"headSamples"`
	BytesOnDisk    int64   `json:"bytesOnDisk"`
	BytesPerSample float64 `json:"bytesPerSample"`
	WALBytes       int64   `json:"walBytes"`
}

func (s *Server) handleTSDBStatus(w http.ResponseWriter, r *http.Request) {
	const maxLimit = 10000
	limit := 10
	if v := r.FormValue("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeAPIError(w, http.StatusBadRequest, "bad_data", "limit must be a positive number")
			return
		}
		if n > maxLimit {
			writeAPIError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf("limit must not exceed %d", maxLimit))
			return
		}
		limit = n
	}
	if b := s.backendStatus.Load(); b != nil {
		(*b).ServeHTTP(w, r)
		return
	}
	store := s.store.Load().Store
	var st TSDBStatus
	switch src := store.(type) {
	case StatsSource:
		st = statusFromStats(src.Stats(), limit)
	case interface{ Head() *promtsdb.Head }:
		st = statusFromHead(src.Head().Stats(labels.MetricName, limit))
	default:
		writeAPIError(w, http.StatusInternalServerError, "internal", fmt.Sprintf("storage %T does not report statistics", store))
		return
	}
	writeAPIData(w, st)
}

func statusFromStats(s tsdb.Stats, limit int) TSDBStatus {
	conv := func(in []tsdb.Stat) []v1.TSDBStat {
		out := make([]v1.TSDBStat, 0, min(len(in), limit))
		for _, e := range in[:min(len(in), limit)] {
			out = append(out, v1.TSDBStat{Name: e.Name, Value: e.Value})
		}
		return out
	}
	bps := s.BytesPerSample
	if bps != bps { // NaN is not valid JSON
		bps = 0
	}
	return TSDBStatus{
		TSDBStatus: v1.TSDBStatus{
			HeadStats: v1.HeadStats{
				NumSeries:     uint64(s.Series),
				NumLabelPairs: s.LabelPairs,
				ChunkCount:    s.Blocks,
				MinTime:       s.MinTime,
				MaxTime:       s.MaxTime,
			},
			SeriesCountByMetricName:     conv(s.SeriesCountByMetricName),
			LabelValueCountByLabelName:  conv(s.LabelValueCountByLabelName),
			MemoryInBytesByLabelName:    conv(s.MemoryInBytesByLabelName),
			SeriesCountByLabelValuePair: conv(s.SeriesCountByLabelValuePair),
		},
		SamplesStored:  s.SamplesStored,
		HeadSamples:    s.HeadSamples,
		BytesOnDisk:    s.BytesOnDisk,
		BytesPerSample: bps,
		WALBytes:       s.WALBytes,
	}
}

func statusFromHead(s *promtsdb.Stats) TSDBStatus {
	st := TSDBStatus{TSDBStatus: v1.TSDBStatus{HeadStats: v1.HeadStats{
		NumSeries: s.NumSeries, MinTime: s.MinTime, MaxTime: s.MaxTime,
	}}}
	if p := s.IndexPostingStats; p != nil {
		st.HeadStats.NumLabelPairs = p.NumLabelPairs
		st.SeriesCountByMetricName = v1.TSDBStatsFromIndexStats(p.CardinalityMetricsStats)
		st.LabelValueCountByLabelName = v1.TSDBStatsFromIndexStats(p.CardinalityLabelStats)
		st.MemoryInBytesByLabelName = v1.TSDBStatsFromIndexStats(p.LabelValueStats)
		st.SeriesCountByLabelValuePair = v1.TSDBStatsFromIndexStats(p.LabelValuePairsStats)
	}
	return st
}

// apiResponse is Prometheus's response envelope.
type apiResponse struct {
	Status    string `json:"status"`
	Data      any    `json:"data,omitempty"`
	ErrorType string `json:"errorType,omitempty"`
	Error     string `json:"error,omitempty"`
}

func writeAPIData(w http.ResponseWriter, data any) {
	b, err := json.Marshal(apiResponse{Status: "success", Data: data})
	if err != nil {
		writeAPIError(w, http.StatusInternalServerError, "internal", fmt.Sprintf("encode response: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func writeAPIError(w http.ResponseWriter, code int, errType, msg string) {
	b, _ := json.Marshal(apiResponse{Status: "error", ErrorType: errType, Error: msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// storeProxy hands the currently attached store to Prometheus's handlers,
// which are built before the store may be open.
type storeProxy struct{ s *Server }

func (p storeProxy) current() (Store, error) {
	b := p.s.store.Load()
	if b == nil {
		return nil, promtsdb.ErrNotReady
	}
	return b.Store, nil
}

func (p storeProxy) Querier(mint, maxt int64) (storage.Querier, error) {
	st, err := p.current()
	if err != nil {
		return nil, err
	}
	return st.Querier(mint, maxt)
}

func (p storeProxy) ChunkQuerier(mint, maxt int64) (storage.ChunkQuerier, error) {
	st, err := p.current()
	if err != nil {
		return nil, err
	}
	return st.ChunkQuerier(mint, maxt)
}

// AppenderV2 returns the store's appender; Prometheus's remote-write 2.0
// handler needs exemplar support, which is added as a no-op when the store
// has none.
func (p storeProxy) AppenderV2(ctx context.Context) storage.AppenderV2 {
	st, err := p.current()
	if err != nil {
		return failingAppender{err}
	}
	app := st.AppenderV2(ctx)
	if _, ok := app.(storage.ExemplarAppenderV2); ok {
		return app
	}
	return noExemplarAppender{app}
}

type noExemplarAppender struct{ storage.AppenderV2 }

func (noExemplarAppender) AppendExemplars(ref storage.SeriesRef, _ labels.Labels, _ []exemplar.Exemplar) (storage.SeriesRef, error) {
	return ref, nil
}

type failingAppender struct{ err error }

func (a failingAppender) Append(storage.SeriesRef, labels.Labels, int64, int64, float64, *histogram.Histogram, *histogram.FloatHistogram, storage.AOptions) (storage.SeriesRef, error) {
	return 0, a.err
}
func (a failingAppender) AppendExemplars(storage.SeriesRef, labels.Labels, []exemplar.Exemplar) (storage.SeriesRef, error) {
	return 0, a.err
}
func (a failingAppender) Commit() error   { return a.err }
func (a failingAppender) Rollback() error { return nil }

// withExpander expands MetricsQL WITH templates before handing a query to
// the Prometheus engine.
type withExpander struct{ promql.QueryEngine }

func (e withExpander) NewInstantQuery(ctx context.Context, q storage.Queryable, opts promql.QueryOpts, qs string, ts time.Time) (promql.Query, error) {
	qs, err := ExpandWith(qs)
	if err != nil {
		return nil, err
	}
	return e.QueryEngine.NewInstantQuery(ctx, q, opts, qs, ts)
}

func (e withExpander) NewRangeQuery(ctx context.Context, q storage.Queryable, opts promql.QueryOpts, qs string, start, end time.Time, step time.Duration) (promql.Query, error) {
	qs, err := ExpandWith(qs)
	if err != nil {
		return nil, err
	}
	return e.QueryEngine.NewRangeQuery(ctx, q, opts, qs, start, end, step)
}

// Empty stand-ins for the Prometheus subsystems the collector does not run.

type emptyExemplars struct{}

func (emptyExemplars) ExemplarQuerier(context.Context) (storage.ExemplarQuerier, error) {
	return emptyExemplars{}, nil
}

func (emptyExemplars) Select(int64, int64, ...[]*labels.Matcher) ([]exemplar.QueryResult, error) {
	return []exemplar.QueryResult{}, nil
}

type noScrape struct{}

func (noScrape) ScrapePools() []string                       { return []string{} }
func (noScrape) TargetsActive() map[string][]*scrape.Target  { return map[string][]*scrape.Target{} }
func (noScrape) TargetsDropped() map[string][]*scrape.Target { return map[string][]*scrape.Target{} }
func (noScrape) TargetsDroppedCounts() map[string]int        { return map[string]int{} }
func (noScrape) ScrapePoolConfig(string) (*config.ScrapeConfig, error) {
	return nil, errors.New("the mlectl collector does not scrape: no scrape pools")
}

type noAlertmanagers struct{}

func (noAlertmanagers) Alertmanagers() []*url.URL        { return []*url.URL{} }
func (noAlertmanagers) DroppedAlertmanagers() []*url.URL { return []*url.URL{} }

type noRules struct{}

func (noRules) RuleGroups() []*rules.Group           { return []*rules.Group{} }
func (noRules) AlertingRules() []*rules.AlertingRule { return []*rules.AlertingRule{} }

var errNoAdmin = errors.New("TSDB admin operations are not supported by the mlectl collector")

type noAdmin struct{}

func (noAdmin) CleanTombstones() error                                         { return errNoAdmin }
func (noAdmin) Delete(context.Context, int64, int64, ...*labels.Matcher) error { return errNoAdmin }
func (noAdmin) Snapshot(string, bool) error                                    { return errNoAdmin }
func (noAdmin) Stats(string, int) (*promtsdb.Stats, error)                     { return nil, errNoAdmin }
func (noAdmin) WALReplayStatus() (promtsdb.WALReplayStatus, error) {
	return promtsdb.WALReplayStatus{}, nil
}
func (noAdmin) BlockMetas() ([]promtsdb.BlockMeta, error) { return []promtsdb.BlockMeta{}, nil }

// RulesSource is what the Prometheus API needs from a rules engine for
// /api/v1/rules, /api/v1/alerts and /api/v1/alertmanagers
// (*alerting.Manager implements it).
type RulesSource interface {
	v1.RulesRetriever
	v1.AlertmanagerRetriever
}

type rulesBox struct{ RulesSource }

// AttachRules makes r answer the rules, alerts and alertmanagers endpoints
// (empty answers until then).
func (s *Server) AttachRules(r RulesSource) { s.rules.Store(&rulesBox{r}) }

// RuleStore is the store as rule evaluation sees it: queries and appends
// go to the attached store and fail with ErrNotReady before Attach, so a
// rules engine can be built before the storage has opened.
func (s *Server) RuleStore() RuleStore { return storeProxy{s} }

// RuleStore is the part of a storage that rule evaluation needs.
type RuleStore interface {
	storage.Queryable
	storage.AppendableV2
}
