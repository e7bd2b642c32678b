package collector

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/route"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/notifications"
	"github.com/prometheus/prometheus/util/teststorage"
	v1 "github.com/prometheus/prometheus/web/api/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture is the data set of the API tests: real NAB values plus a series of
// the float values that JSON encoders get wrong (NaN, ±Inf, tiny/huge).
// (-0 is left out: protobuf does not transmit a zero float, so remote write
// delivers it as 0 whatever the receiver does.)
type fixture struct {
	end    time.Time
	series []prompb.TimeSeries
}

func newFixture(t testing.TB) fixture {
	end := time.Unix(1_790_000_000, 0) // fixed: outputs do not depend on the clock
	step := 15 * time.Second
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e-300, 1.7976931348623157e308, 0.1, -3}
	var sp []prompb.Sample
	for i, v := range specials {
		sp = append(sp, prompb.Sample{Timestamp: end.Add(-time.Duration(len(specials)-1-i) * step).UnixMilli(), Value: v})
	}
	return fixture{end: end, series: []prompb.TimeSeries{
		series([]string{"__name__", "ec2_cpu_utilization", "instance", "24ae8d", "job", "ec2"}, nabSamples(t, "ec2_cpu_utilization_24ae8d.csv", 120, end, step)...),
		series([]string{"__name__", "ec2_cpu_utilization", "instance", "825cc2", "job", "ec2"}, nabSamples(t, "ec2_cpu_utilization_825cc2.csv", 120, end, step)...),
		series([]string{"__name__", "machine_temperature", "job", "plant", "unit", "celsius"}, nabSamples(t, "machine_temperature_system_failure.csv", 120, end, step)...),
		series([]string{"__name__", "nyc_taxi_trips_total", "job", "taxi"}, nabSamples(t, "nyc_taxi.csv", 120, end, step)...),
		series([]string{"__name__", "special_values", "job", "edge"}, sp...),
	}}
}

// fixtureServer is a collector whose storage holds the fixture, written
// through remote write. The storage's clock-based windows are avoided by
// writing the fixture before anything else.
func fixtureServer(t testing.TB, f fixture) *testServer {
	ts := newTestServer(t, Config{Limits: Limits{MaxFutureSkew: -1}})
	r := postWrite(t, ts.url, contentTypeV1, encodeV1(t, f.series...))
	require.Equal(t, http.StatusNoContent, r.code, r.body)
	return ts
}

// prometheusReference serves the fixture from Prometheus's own TSDB through
// Prometheus's own web/api/v1 handlers and engine: the behaviour the
// collector must reproduce.
func prometheusReference(t testing.TB, f fixture) string {
	st := teststorage.New(t)
	app := st.Appender(context.Background())
	for _, s := range f.series {
		ls := labels.New()
		b := labels.NewBuilder(ls)
		for _, l := range s.Labels {
			b.Set(l.Name, l.Value)
		}
		ls = b.Labels()
		for _, smp := range s.Samples {
			_, err := app.Append(0, ls, smp.Timestamp, smp.Value)
			require.NoError(t, err)
		}
	}
	require.NoError(t, app.Commit())
	engine := promql.NewEngine(promql.EngineOpts{
		MaxSamples: 50_000_000, Timeout: 2 * time.Minute, LookbackDelta: 5 * time.Minute,
		NoStepSubqueryIntervalFn: func(int64) int64 { return 60_000 },
		EnableAtModifier:         true, EnableNegativeOffset: true,
	})
	api := v1.NewAPI(engine, st, nil, emptyExemplars{},
		func(context.Context) v1.ScrapePoolsRetriever { return noScrape{} },
		func(context.Context) v1.TargetRetriever { return noScrape{} },
		func(context.Context) v1.AlertmanagerRetriever { return noAlertmanagers{} },
		func() config.Config { return config.Config{} }, nil, v1.GlobalURLOptions{},
		func(h http.HandlerFunc) http.HandlerFunc { return h }, noAdmin{}, "", false, false, 0, nil,
		func(context.Context) v1.RulesRetriever { return noRules{} }, 0, 0, 0, false, nil,
		func() (v1.RuntimeInfo, error) { return v1.RuntimeInfo{}, nil }, &v1.PrometheusVersion{},
		func() []notifications.Notification { return nil },
		func() (<-chan notifications.Notification, func(), bool) { return nil, func() {}, false },
		nil, nil, nil, false, nil, false, false, false, 5*time.Minute, false, false, nil, nil,
		v1.OpenAPIOptions{}, nil, false, 2*time.Minute)
	r := route.New()
	api.Register(r)
	hs := httptest.NewServer(http.StripPrefix("/api/v1", r))
	t.Cleanup(hs.Close)
	return hs.URL
}

type apiCall struct {
	path   string
	params url.Values
	post   bool
}

func TestAPIResponsesMatchPrometheus(t *testing.T) {
	f := newFixture(t)
	ours := fixtureServer(t, f)
	ref := prometheusReference(t, f)
	at := unixSeconds(f.end)
	start := f.end.Add(-20 * time.Minute).Format(time.RFC3339)
	end := f.end.Format(time.RFC3339)
	q := func(query string) url.Values { return url.Values{"query": {query}, "time": {at}} }
	qr := func(query, step string) url.Values {
		return url.Values{"query": {query}, "start": {start}, "end": {end}, "step": {step}}
	}
	calls := []apiCall{
		{"/api/v1/query", q("ec2_cpu_utilization"), false},
		{"/api/v1/query", q("ec2_cpu_utilization"), true},
		{"/api/v1/query", q("special_values[3m]"), false},
		{"/api/v1/query", q(`rate(nyc_taxi_trips_total[5m])`), false},
		{"/api/v1/query", q(`sum by (job) (avg_over_time({__name__=~"ec2.*|machine.*"}[10m]))`), false},
		{"/api/v1/query", q(`histogram_quantile(0.9, rate(nope[5m]))`), false},
		{"/api/v1/query", q(`quantile_over_time(0.95, machine_temperature[30m])`), false},
		{"/api/v1/query", q(`1 / 0`), false},
		{"/api/v1/query", q(`"a string"`), false},
		{"/api/v1/query", q(`topk(1, ec2_cpu_utilization)`), false},
		{"/api/v1/query", url.Values{"query": {"ec2_cpu_utilization"}, "time": {f.end.Format(time.RFC3339Nano)}, "limit": {"1"}}, false},
		{"/api/v1/query_range", qr("ec2_cpu_utilization", "60"), false},
		{"/api/v1/query_range", qr("special_values", "15s"), true},
		{"/api/v1/query_range", qr(`deriv(machine_temperature[2m])`, "1m"), false},
		{"/api/v1/query_range", qr(`ec2_cpu_utilization / ignoring(instance) group_left sum without(instance) (ec2_cpu_utilization)`, "2m"), false},
		{"/api/v1/series", url.Values{"match[]": {`{job=~"ec2|taxi"}`}, "start": {start}, "end": {end}}, false},
		{"/api/v1/series", url.Values{"match[]": {"special_values", "machine_temperature"}}, true},
		{"/api/v1/labels", nil, false},
		{"/api/v1/labels", url.Values{"match[]": {"machine_temperature"}}, true},
		{"/api/v1/label/job/values", nil, false},
		{"/api/v1/label/__name__/values", url.Values{"limit": {"2"}}, false},
		{"/api/v1/label/instance/values", url.Values{"match[]": {`ec2_cpu_utilization{instance="825cc2"}`}}, false},
		{"/api/v1/query_exemplars", url.Values{"query": {"ec2_cpu_utilization"}, "start": {start}, "end": {end}}, false},
		// Errors: same type, message and status code.
		{"/api/v1/query", q(`sum(rate(ec2_cpu_utilization[5m])) by job`), false},
		{"/api/v1/query", q(`ec2_cpu_utilization{`), false},
		{"/api/v1/query", url.Values{"query": {"1"}, "time": {"yesterday"}}, false},
		{"/api/v1/query", q(`ec2_cpu_utilization + on() ec2_cpu_utilization`), false},
		{"/api/v1/query_range", qr("ec2_cpu_utilization", "0"), false},
		{"/api/v1/query_range", qr("ec2_cpu_utilization", "1ms"), false},
		{"/api/v1/query_range", url.Values{"query": {"1"}, "start": {end}, "end": {start}, "step": {"60"}}, false},
		{"/api/v1/series", nil, false},
		{"/api/v1/label/job/values", url.Values{"start": {"x"}}, false},
	}
	for _, c := range calls {
		t.Run(c.path+"?"+c.params.Encode(), func(t *testing.T) {
			do := apiGet
			if c.post {
				do = apiPost
			}
			got, want := do(t, ours.url, c.path, c.params), do(t, ref, c.path, c.params)
			assert.Equal(t, want.code, got.code)
			assert.Equal(t, want.Status, got.Status)
			assert.Equal(t, want.ErrorType, got.ErrorType)
			assert.Equal(t, want.Error, got.Error)
			assert.Equal(t, want.Warnings, got.Warnings)
			if want.Data == nil {
				assert.Nil(t, got.Data)
				return
			}
			assert.JSONEq(t, string(want.Data), string(got.Data))
			// Guard against a vacuous match of two empty answers.
			if want.Status == "success" && !strings.Contains(c.params.Get("query"), "nope") && c.path != "/api/v1/query_exemplars" {
				assert.NotContains(t, string(want.Data), `"result":[]`)
				assert.NotEqual(t, "[]", string(want.Data))
			}
		})
	}
}

func TestQueryResultShapes(t *testing.T) {
	f := newFixture(t)
	ts := fixtureServer(t, f)
	at := unixSeconds(f.end)
	tests := []struct {
		query, resultType string
		check             func(t *testing.T, result json.RawMessage)
	}{
		{"special_values", "vector", func(t *testing.T, r json.RawMessage) {
			assert.JSONEq(t, `[{"metric":{"__name__":"special_values","job":"edge"},"value":[1790000000,"-3"]}]`, string(r))
		}},
		{"special_values[2m]", "matrix", func(t *testing.T, r json.RawMessage) {
			assert.Contains(t, string(r), `[[1789999910,"NaN"],[1789999925,"+Inf"],[1789999940,"-Inf"],[1789999955,"1e-300"],[1789999970,"1.7976931348623157e+308"],[1789999985,"0.1"],[1790000000,"-3"]]`)
		}},
		{"2 * 21", "scalar", func(t *testing.T, r json.RawMessage) { assert.JSONEq(t, `[1790000000,"42"]`, string(r)) }},
		{`"text"`, "string", func(t *testing.T, r json.RawMessage) { assert.JSONEq(t, `[1790000000,"text"]`, string(r)) }},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := apiGet(t, ts.url, "/api/v1/query", url.Values{"query": {tc.query}, "time": {at}})
			require.Equal(t, "success", r.Status, r.Error)
			var d struct {
				ResultType string          `json:"resultType"`
				Result     json.RawMessage `json:"result"`
			}
			require.NoError(t, json.Unmarshal(r.Data, &d))
			assert.Equal(t, tc.resultType, d.ResultType)
			tc.check(t, d.Result)
		})
	}
}

func TestQueryErrors(t *testing.T) {
	f := newFixture(t)
	ts := fixtureServer(t, f)
	tests := []struct {
		name     string
		params   url.Values
		path     string
		code     int
		errType  string
		contains []string
	}{
		{"parse error position", url.Values{"query": {"sum(rate(x[5m])) by job"}}, "/api/v1/query", 400, "bad_data",
			[]string{`invalid parameter "query"`, "1:21: parse error"}},
		{"parse error on second line", url.Values{"query": {"sum(\n  rate(x[5m]) +)"}}, "/api/v1/query", 400, "bad_data",
			[]string{"2:16: parse error"}},
		{"bad time", url.Values{"query": {"1"}, "time": {"noon"}}, "/api/v1/query", 400, "bad_data", []string{`invalid parameter "time"`}},
		{"bad step", url.Values{"query": {"1"}, "start": {"0"}, "end": {"60"}, "step": {"-1"}}, "/api/v1/query_range", 400, "bad_data",
			[]string{"zero or negative query resolution step widths are not accepted"}},
		{"bad timeout", url.Values{"query": {"1"}, "timeout": {"soon"}}, "/api/v1/query", 400, "bad_data", []string{`invalid parameter "timeout"`}},
		{"execution error", url.Values{"query": {"ec2_cpu_utilization + on() ec2_cpu_utilization"}, "time": {unixSeconds(f.end)}}, "/api/v1/query", 422, "execution",
			[]string{"many-to-many matching not allowed"}},
		{"bad WITH template", url.Values{"query": {"WITH (f(x) = ) f(1)"}}, "/api/v1/query", 400, "bad_data", []string{"WITH"}},
		{"series without match", nil, "/api/v1/series", 400, "bad_data", []string{"no match[] parameter provided"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := apiGet(t, ts.url, tc.path, tc.params)
			assert.Equal(t, tc.code, r.code)
			assert.Equal(t, "error", r.Status)
			assert.Equal(t, tc.errType, r.ErrorType)
			mustContainAll(t, r.Error, tc.contains...)
		})
	}
}

func TestWithTemplatesExpand(t *testing.T) {
	f := newFixture(t)
	ts := fixtureServer(t, f)
	at := unixSeconds(f.end)
	tests := []struct{ with, plain string }{
		{`WITH (cpu = ec2_cpu_utilization{instance="24ae8d"}) cpu * 2`, `ec2_cpu_utilization{instance="24ae8d"} * 2`},
		{`WITH (r(m) = rate(m[5m])) r(nyc_taxi_trips_total)`, `rate(nyc_taxi_trips_total[5m])`},
		{`with (
		   f = {job="ec2"},
		   avgf(w) = avg_over_time(ec2_cpu_utilization{f}[w])
		 ) sum(avgf(10m)) by (job)`, `sum by (job) (avg_over_time(ec2_cpu_utilization{job="ec2"}[10m]))`},
	}
	for _, tc := range tests {
		t.Run(tc.plain, func(t *testing.T) {
			got := apiGet(t, ts.url, "/api/v1/query", url.Values{"query": {tc.with}, "time": {at}})
			want := apiGet(t, ts.url, "/api/v1/query", url.Values{"query": {tc.plain}, "time": {at}})
			require.Equal(t, "success", got.Status, got.Error)
			require.Equal(t, "success", want.Status, want.Error)
			assert.JSONEq(t, string(want.Data), string(got.Data))
			assert.NotContains(t, string(got.Data), `"result":[]`)
		})
	}
	plain, err := ExpandWith(`sum(rate(x[5m])) by (job)`)
	require.NoError(t, err)
	assert.Equal(t, `sum(rate(x[5m])) by (job)`, plain, "queries without WITH must pass through untouched")
}

func TestStatusAndGrafanaEndpoints(t *testing.T) {
	f := newFixture(t)
	ts := fixtureServer(t, f)

	flusher, ok := ts.store.(interface{ Flush(context.Context) error })
	require.True(t, ok, "the project's TSDB can flush")
	require.NoError(t, flusher.Flush(t.Context()))
	total := 0
	for _, s := range f.series {
		total += len(s.Samples)
	}
	st := apiGet(t, ts.url, "/api/v1/status/tsdb", url.Values{"limit": {"2"}})
	require.Equal(t, "success", st.Status, st.Error)
	var status map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(st.Data, &status))
	for _, k := range []string{"headStats", "seriesCountByMetricName", "labelValueCountByLabelName", "memoryInBytesByLabelName",
		"seriesCountByLabelValuePair", "samplesStored", "bytesOnDisk", "bytesPerSample"} {
		assert.Contains(t, status, k)
	}
	var extra TSDBStatus
	require.NoError(t, json.Unmarshal(st.Data, &extra))
	assert.EqualValues(t, total, extra.SamplesStored+extra.HeadSamples)
	assert.EqualValues(t, total, extra.SamplesStored, "all samples are sealed after Flush")
	assert.Positive(t, extra.BytesOnDisk)
	assert.Positive(t, extra.BytesPerSample)
	assert.Less(t, extra.BytesPerSample, 16.0, "compressed samples take less than a raw (int64, float64) pair")
	var head v1.HeadStats
	require.NoError(t, json.Unmarshal(status["headStats"], &head))
	assert.EqualValues(t, 5, head.NumSeries)
	var byName []v1.TSDBStat
	require.NoError(t, json.Unmarshal(status["seriesCountByMetricName"], &byName))
	assert.Equal(t, []v1.TSDBStat{{Name: "ec2_cpu_utilization", Value: 2}}, byName[:1])
	assert.LessOrEqual(t, len(byName), 2)
	bad := apiGet(t, ts.url, "/api/v1/status/tsdb", url.Values{"limit": {"0"}})
	assert.Equal(t, http.StatusBadRequest, bad.code)
	assert.Equal(t, "bad_data", bad.ErrorType)

	bi := apiGet(t, ts.url, "/api/v1/status/buildinfo", nil)
	require.Equal(t, "success", bi.Status)
	var build v1.PrometheusVersion
	require.NoError(t, json.Unmarshal(bi.Data, &build))
	assert.NotEmpty(t, build.Version)
	assert.True(t, strings.HasPrefix(build.GoVersion, "go"))

	md := apiGet(t, ts.url, "/api/v1/metadata", nil)
	assert.Equal(t, "success", md.Status)
	assert.JSONEq(t, `{}`, string(md.Data))
	ex := apiGet(t, ts.url, "/api/v1/query_exemplars", url.Values{"query": {"ec2_cpu_utilization"}})
	assert.Equal(t, "success", ex.Status)
	assert.JSONEq(t, `[]`, string(ex.Data))
	rules := apiGet(t, ts.url, "/api/v1/rules", nil)
	assert.JSONEq(t, `{"groups":[]}`, string(rules.Data))

	metrics := getText(t, ts.url+"/metrics")
	mustContainAll(t, metrics,
		`mlectl_collector_http_requests_total{code="200",handler="/api/v1/status/buildinfo"} 1`,
		`mlectl_collector_http_requests_total{code="200",handler="/api/v1/query_exemplars"} 1`,
		`mlectl_collector_http_request_duration_seconds_count{handler="/api/v1/write"} 1`,
		"prometheus_engine_queries",
	)
}

// Stores that cannot report statistics still get a clear error.
func TestStatusTSDBWithoutStats(t *testing.T) {
	srv, err := New(Config{}, statslessStore{openTestStore(t, t.TempDir())}, nil)
	require.NoError(t, err)
	base := newHTTPServer(t, srv)
	r := apiGet(t, base, "/api/v1/status/tsdb", nil)
	assert.Equal(t, http.StatusInternalServerError, r.code)
	assert.Equal(t, "internal", r.ErrorType)
	assert.Contains(t, r.Error, "does not report statistics")
}

type statslessStore struct{ storage.Storage }

// Prometheus's own TSDB also works as the collector's store; its head
// statistics fill the Prometheus part of /status/tsdb.
func TestStatusTSDBOverPrometheusStorage(t *testing.T) {
	st := openPrometheusStore(t, t.TempDir())
	t.Cleanup(func() { _ = st.Close() })
	srv, err := New(Config{}, st, nil)
	require.NoError(t, err)
	base := newHTTPServer(t, srv)
	now := time.Now()
	r := postWrite(t, base, contentTypeV1, encodeV1(t,
		series([]string{"__name__", "a", "i", "1"}, prompb.Sample{Timestamp: now.UnixMilli(), Value: 1}),
		series([]string{"__name__", "a", "i", "2"}, prompb.Sample{Timestamp: now.UnixMilli(), Value: 1})))
	require.Equal(t, http.StatusNoContent, r.code, r.body)
	s := apiGet(t, base, "/api/v1/status/tsdb", nil)
	require.Equal(t, "success", s.Status, s.Error)
	var status TSDBStatus
	require.NoError(t, json.Unmarshal(s.Data, &status))
	assert.EqualValues(t, 2, status.HeadStats.NumSeries)
	assert.Equal(t, []v1.TSDBStat{{Name: "a", Value: 2}}, status.SeriesCountByMetricName)
}
