package cloudevents

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/contract"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/mlmetrics"
	predapi "github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/quality"
	"github.com/mlectl/mlectl/tsdb"
)

// fakeClock is the handler's clock, moved by the tests (the join window
// expires by it).
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is the prediction pipeline's handler (real badger log, contracts,
// traffic, label joins) and the CloudEvents handler feeding it, both on one
// loopback HTTP server, as the collector's route table mounts them.
type env struct {
	t     testing.TB
	log   *store.Store
	pred  *predapi.Handler
	ce    *Handler
	srv   *httptest.Server
	clock *fakeClock
}

func newEnv(t testing.TB, cfg Config) *env {
	t.Helper()
	lg, err := store.Open(t.TempDir(), store.Options{})
	require.NoError(t, err)
	e := &env{t: t, log: lg, clock: &fakeClock{t: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}}
	e.ce = New(cfg, nil, e.clock.now)
	e.pred, err = predapi.New(context.Background(), predapi.Config{Log: lg, Traffic: mlmetrics.NewAggregator(),
		Contracts: contract.NewChecker(), Joiner: quality.NewJoiner(quality.Options{}),
		Baselines: []predapi.BaselineSink{e.ce}})
	require.NoError(t, err)
	e.ce.SetIngester(e.pred)
	mux := http.NewServeMux()
	e.pred.Mount(mux)
	for _, r := range e.ce.Routes() {
		mux.Handle(r.MuxPattern(), r.Handler)
	}
	e.srv = httptest.NewServer(mux)
	t.Cleanup(func() { e.srv.Close(); _ = lg.Close() })
	return e
}

// fixture is one event: its headers and body.
type fixture struct {
	header http.Header
	body   string
}

// readFixture reads testdata/name: header lines, a blank line, the body.
func readFixture(t testing.TB, name string) fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	head, body, ok := strings.Cut(string(b), "\n\n")
	require.True(t, ok, name)
	f := fixture{header: http.Header{}, body: body}
	sc := bufio.NewScanner(strings.NewReader(head))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		require.True(t, ok, sc.Text())
		f.header.Set(k, strings.TrimSpace(v))
	}
	return f
}

// newEvent builds a binary-mode KServe event.
func newEvent(id, typ, service string, body string, extra ...string) fixture {
	h := http.Header{}
	h.Set("Ce-Specversion", "1.0")
	h.Set("Ce-Id", id)
	h.Set("Ce-Type", typ)
	h.Set("Ce-Source", "http://localhost:9081/")
	h.Set("Ce-Inferenceservicename", service)
	h.Set("Ce-Namespace", "default")
	h.Set("Ce-Component", "predictor")
	h.Set("Ce-Endpoint", "default")
	h.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			h.Del(extra[i])
		} else {
			h.Set(extra[i], extra[i+1])
		}
	}
	return fixture{header: h, body: body}
}

func (f fixture) with(kv ...string) fixture {
	h := f.header.Clone()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			h.Del(kv[i])
		} else {
			h.Set(kv[i], kv[i+1])
		}
	}
	return fixture{header: h, body: f.body}
}

func (e *env) post(f fixture) (int, Response) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+Path, strings.NewReader(f.body))
	require.NoError(e.t, err)
	req.Header = f.header.Clone()
	resp, b := testutil.Send(e.t, req)
	var out Response
	require.NoError(e.t, json.Unmarshal(b, &out), "body %s", b)
	return resp.StatusCode, out
}

// records exports model's records as decoded JSON objects, sorted by request id.
func (e *env) records(model string) []map[string]any {
	e.t.Helper()
	return testutil.ExportedRecords(e.t, e.srv.URL, model)
}

// series writes the handler's series into a fresh TSDB at the clock's time
// and returns them by labels.
func (e *env) series() map[string]float64 {
	e.t.Helper()
	db, err := tsdb.Open(e.t.TempDir(), tsdb.Options{})
	require.NoError(e.t, err)
	defer db.Close()
	ts := e.clock.now()
	require.NoError(e.t, e.ce.AppendTo(context.Background(), db, ts))
	return querySeries(e.t, db, ts)
}
