package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/contract"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/mlmetrics"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/quality"
	"github.com/mlectl/mlectl/tsdb"
)

// env is a collector-shaped test setup: a real badger prediction log, a
// real TSDB for the series, and the handler on a loopback HTTP server.
type env struct {
	t       testing.TB
	dir     string
	log     *store.Store
	db      *tsdb.DB
	h       *Handler
	srv     *httptest.Server
	checker *contract.Checker
	joiner  *quality.Joiner
	traffic *mlmetrics.Aggregator
}

func newEnv(t testing.TB, limits Limits) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir}
	e.open(limits)
	db, err := tsdb.Open(dir+"/tsdb", tsdb.Options{})
	require.NoError(t, err)
	e.db = db
	t.Cleanup(func() {
		e.srv.Close()
		_ = e.log.Close()
		_ = e.db.Close()
	})
	return e
}

func (e *env) open(limits Limits) {
	t := e.t
	lg, err := store.Open(e.dir+"/predlog", store.Options{})
	require.NoError(t, err)
	e.log = lg
	e.checker, e.joiner, e.traffic = contract.NewChecker(), quality.NewJoiner(quality.Options{}), mlmetrics.NewAggregator()
	h, err := New(context.Background(), Config{Log: lg, Traffic: e.traffic, Contracts: e.checker, Joiner: e.joiner, Limits: limits, SpoolDir: e.dir + "/spool"})
	require.NoError(t, err)
	e.h = h
	e.srv = httptest.NewServer(h)
}

// reopen closes and reopens the prediction log, as a collector restart.
func (e *env) reopen(limits Limits) {
	e.srv.Close()
	require.NoError(e.t, e.log.Close())
	e.open(limits)
}

type encoding string

const (
	plain encoding = ""
	gzipE encoding = "gzip"
	zstdE encoding = "zstd"
)

func compress(t testing.TB, enc encoding, body []byte) []byte {
	var buf bytes.Buffer
	switch enc {
	case gzipE:
		zw := gzip.NewWriter(&buf)
		_, err := zw.Write(body)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
	case zstdE:
		zw, err := zstd.NewWriter(&buf)
		require.NoError(t, err)
		_, err = zw.Write(body)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
	default:
		return body
	}
	return buf.Bytes()
}

func (e *env) post(path string, enc encoding, body string) (int, IngestResponse) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(compress(e.t, enc, []byte(body))))
	require.NoError(e.t, err)
	if enc != plain {
		req.Header.Set("Content-Encoding", string(enc))
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) (int, IngestResponse) {
	e.t.Helper()
	resp, b := testutil.Send(e.t, req)
	var out IngestResponse
	require.NoError(e.t, json.Unmarshal(b, &out), "body %s", b)
	return resp.StatusCode, out
}

func (e *env) put(path, body string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPut, e.srv.URL+path, strings.NewReader(body))
	require.NoError(e.t, err)
	resp, b := testutil.Send(e.t, req)
	return resp.StatusCode, string(b)
}

// export returns the body of an export request and its status.
func (e *env) export(params url.Values) (int, string) {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + "/api/v1/predictions/export?" + params.Encode())
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, string(b)
}

// exportLines returns the NDJSON lines exported for model.
func (e *env) exportLines(model string) []string {
	e.t.Helper()
	code, body := e.export(url.Values{"model": {model}})
	require.Equal(e.t, http.StatusOK, code, body)
	body = strings.TrimSuffix(body, "\n")
	if body == "" {
		return nil
	}
	return strings.Split(body, "\n")
}

// series writes the pipeline's series at ts and returns the value of every
// series with the given name, keyed by its labels without __name__.
func (e *env) series(ts time.Time, name string) map[string]float64 {
	e.t.Helper()
	require.NoError(e.t, e.h.AppendSeries(context.Background(), e.db, ts))
	q, err := e.db.Querier(ts.UnixMilli(), ts.UnixMilli())
	require.NoError(e.t, err)
	defer q.Close()
	ss := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", name))
	out := map[string]float64{}
	var it chunkenc.Iterator
	for ss.Next() {
		s := ss.At()
		it = s.Iterator(it)
		for it.Next() == chunkenc.ValFloat {
			_, v := it.At()
			out[s.Labels().DropMetricName().String()] = v
		}
	}
	require.NoError(e.t, ss.Err())
	return out
}
