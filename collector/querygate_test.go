package collector

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The query knobs default to Prometheus's and reach the engine.
func TestQueryConfigDefaultsAndValidation(t *testing.T) {
	srv, err := New(Config{}, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, QueryConfig{Timeout: 2 * time.Minute, MaxSamples: 50_000_000, LookbackDelta: 5 * time.Minute, MaxConcurrency: 20}, srv.cfg.Query)
	assert.Equal(t, 20, srv.queries.GetMaxConcurrent())

	cfg, err := ParseConfigBytes([]byte("query: {max_concurrency: 3, max_samples: 1000, timeout: 30s, lookback_delta: 1m}\n"))
	require.NoError(t, err)
	assert.Equal(t, QueryConfig{Timeout: 30 * time.Second, MaxSamples: 1000, LookbackDelta: time.Minute, MaxConcurrency: 3}, cfg.Query)
	_, err = ParseConfigBytes([]byte("query: {max_concurrency: -1}\n"))
	assert.ErrorContains(t, err, "query.max_concurrency must not be negative")
}

// A query that would load more than query.max_samples is refused with
// Prometheus's error; one within it is answered.
func TestQueryMaxSamples(t *testing.T) {
	ts := newTestServer(t, Config{Query: QueryConfig{MaxSamples: 100}})
	now := time.Now().Truncate(time.Second)
	var series []prompb.TimeSeries
	for i := range 10 {
		var smp []prompb.Sample
		for k := range 30 {
			smp = append(smp, prompb.Sample{Timestamp: now.Add(time.Duration(k-30) * 10 * time.Second).UnixMilli(), Value: float64(k)})
		}
		series = append(series, prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "gate_probe"}, {Name: "i", Value: strconv.Itoa(i)}}, Samples: smp})
	}
	require.Less(t, postWrite(t, ts.url, contentTypeV1, encodeV1(t, series...)).code, 300)
	at := url.Values{"time": {unixSeconds(now)}}
	r := apiGet(t, ts.url, "/api/v1/query", url.Values{"query": {"sum(gate_probe)"}, "time": at["time"]})
	require.Equal(t, "success", r.Status, r.Error)
	r = apiGet(t, ts.url, "/api/v1/query", url.Values{"query": {"gate_probe[10m]"}, "time": at["time"]})
	assert.Equal(t, 422, r.code)
	assert.Contains(t, r.Error, "query processing would load too many samples into memory")
}

// query.max_concurrency: the engine's tracker blocks a query while every
// slot is taken and gives up with the query's context.
func TestQueryGateConcurrency(t *testing.T) {
	g := newQueryGate(2, prometheus.NewRegistry())
	ctx := context.Background()
	for range 2 {
		_, err := g.Insert(ctx, "up")
		require.NoError(t, err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err := g.Insert(done, "up")
	assert.ErrorContains(t, err, "one of the 2 query slots (query.max_concurrency)")
	got := make(chan error, 1)
	go func() { _, err := g.Insert(ctx, "up"); got <- err }()
	g.Delete(0)
	require.NoError(t, <-got, "a freed slot admits the waiting query")
	g.Delete(0)
	g.Delete(0)
	assert.Empty(t, g.slots)
}

// Many concurrent reads through the CPU turns all finish and hand every
// turn and slot back (no leak, no deadlock), ingest running beside them.
func TestQueryGateTurnsUnderConcurrentReads(t *testing.T) {
	ts := newTestServer(t, Config{Query: QueryConfig{MaxConcurrency: 3}})
	now := time.Now().Truncate(time.Second)
	var series []prompb.TimeSeries
	for i := range 50 {
		var smp []prompb.Sample
		for k := range 200 {
			smp = append(smp, prompb.Sample{Timestamp: now.Add(time.Duration(k-200) * 10 * time.Second).UnixMilli(), Value: float64(k)})
		}
		series = append(series, prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "turn_probe"}, {Name: "i", Value: strconv.Itoa(i)}}, Samples: smp})
	}
	require.Less(t, postWrite(t, ts.url, contentTypeV1, encodeV1(t, series...)).code, 300)
	var wg sync.WaitGroup
	for w := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch w % 3 {
			case 0:
				r := apiGet(t, ts.url, "/api/v1/query_range", url.Values{"query": {"sum(rate(turn_probe[2m]))"},
					"start": {unixSeconds(now.Add(-30 * time.Minute))}, "end": {unixSeconds(now)}, "step": {"10"}})
				assert.Equal(t, "success", r.Status, r.Error)
			case 1:
				r := apiGet(t, ts.url, "/api/v1/series", url.Values{"match[]": {"turn_probe"}})
				assert.Equal(t, "success", r.Status, r.Error)
			default:
				assert.Less(t, postWrite(t, ts.url, contentTypeV1, encodeV1(t, prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "turn_ingest"}, {Name: "w", Value: strconv.Itoa(w)}},
					Samples: []prompb.Sample{{Timestamp: now.UnixMilli(), Value: 1}}})).code, 300)
			}
		}()
	}
	wg.Wait()
	assert.Empty(t, ts.queries.cpu, "every CPU turn was handed back")
	assert.Empty(t, ts.queries.slots, "every query slot was handed back")
	assert.Zero(t, ts.queries.ingest.Load())
}

// Prediction records and the other mounted ingest routes count as ingest
// in flight, as remote write does, so running queries yield to them;
// mounted reads do not.
func TestQueryGateMountedIngestRoutesCountAsIngest(t *testing.T) {
	srv, err := New(Config{}, nil, nil)
	require.NoError(t, err)
	inFlight := map[string]int64{}
	probe := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			inFlight[name] = srv.queries.ingest.Load()
			w.WriteHeader(http.StatusNoContent)
		}
	}
	srv.Mount(
		route.Route{Method: http.MethodPost, Pattern: "/api/v1/predictions", Role: auth.RoleIngest, Handler: probe("predictions")},
		route.Route{Method: http.MethodPut, Pattern: "/api/v1/baselines/{model}/{version}", Role: auth.RoleIngest, Handler: probe("baseline")},
		route.Route{Method: http.MethodGet, Pattern: "/api/v1/predictions/export", Role: auth.RoleViewer, Handler: probe("export")},
	)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	for _, tc := range []struct {
		name, method, path string
		want               int64
	}{
		{"predictions", http.MethodPost, "/api/v1/predictions", 1},
		{"baseline", http.MethodPut, "/api/v1/baselines/m/v1", 1},
		{"export", http.MethodGet, "/api/v1/predictions/export", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, hs.URL+tc.path, nil)
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusNoContent, resp.StatusCode)
			assert.Equal(t, tc.want, inFlight[tc.name])
			assert.Zero(t, srv.queries.ingest.Load(), "ingest left the gate")
		})
	}
}

// A query pauses for ingest within its budget: half its time so far plus
// a grace, less what it has paused, each pause at most maxYield.
func TestQueryPauseBudget(t *testing.T) {
	start := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		elapsed time.Duration
		paused  time.Duration
		want    time.Duration
	}{
		{"a fresh query has the grace", 0, 0, pauseGrace},
		{"half of its time, capped at maxYield", 100 * time.Millisecond, 0, maxYield},
		{"less what it paused", 10 * time.Millisecond, 7 * time.Millisecond, 5*time.Millisecond + pauseGrace - 7*time.Millisecond},
		{"spent", 100 * time.Millisecond, 55 * time.Millisecond, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := pauseBudget{start: start, paused: tc.paused}
			assert.Equal(t, tc.want, b.allowance(start.Add(tc.elapsed), maxYield))
		})
	}
	fresh := pauseBudget{}
	assert.Equal(t, pauseGrace, fresh.allowance(start, maxYield), "the first check starts the clock")
	assert.Equal(t, start, fresh.start)
}

// A query whose pause budget is spent does not pause, however long ingest
// stays in flight; without ingest in flight none pauses.
func TestQueryYieldWithinBudget(t *testing.T) {
	g := newQueryGate(2, prometheus.NewRegistry())
	ctx := context.Background()
	g.yield(ctx, &pauseBudget{})
	assert.Zero(t, testutil.ToFloat64(g.yielded), "no ingest in flight")
	g.enterIngest()
	defer g.leaveIngest()
	spent := pauseBudget{start: time.Now(), paused: time.Hour}
	g.yield(ctx, &spent)
	assert.Zero(t, testutil.ToFloat64(g.yielded), "budget spent")
	assert.Equal(t, time.Hour, spent.paused)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	fresh := pauseBudget{}
	g.yield(cancelled, &fresh)
	assert.Equal(t, 1.0, testutil.ToFloat64(g.yielded), "a fresh query pauses (here until its context ends)")
	assert.Positive(t, fresh.paused)
}

// The selectors of one read share its pause budget (a query with many
// selectors pauses no longer than one with one); outside a read each
// selector has its own.
func TestQueryPauseBudgetPerRead(t *testing.T) {
	st := openTestStore(t, t.TempDir())
	t.Cleanup(func() { _ = st.Close() })
	q, err := yieldingQueryable{st, newQueryGate(2, prometheus.NewRegistry())}.Querier(0, 1000)
	require.NoError(t, err)
	t.Cleanup(func() { _ = q.Close() })
	m := labels.MustNewMatcher(labels.MatchEqual, "__name__", "up")
	read := &turn{held: true}
	ctx := context.WithValue(context.Background(), turnKey{}, read)
	a := q.Select(ctx, false, nil, m).(*yieldingSeriesSet)
	b := q.Select(ctx, false, nil, m).(*yieldingSeriesSet)
	assert.Same(t, &read.budget, a.budget)
	assert.Same(t, &read.budget, b.budget)
	c := q.Select(context.Background(), false, nil, m).(*yieldingSeriesSet)
	assert.Same(t, &c.own, c.budget)
}
