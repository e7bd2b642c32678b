package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/tsdb"
)

// TestPipelineMountsNextToPrometheusAPI mounts the pipeline on a mux that
// also has a catch-all /api/v1/ handler, as the collector's does, and
// checks both the routing and the series the pipeline writes.
func TestPipelineMountsNextToPrometheusAPI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p, err := OpenPipeline(ctx, dir, PipelineOptions{})
	require.NoError(t, err)
	defer p.Close()
	db, err := tsdb.Open(dir+"/tsdb", tsdb.Options{})
	require.NoError(t, err)
	defer db.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	p.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/api/v1/predictions", "application/x-ndjson", strings.NewReader(exampleLine+"\n"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get(srv.URL + "/api/v1/query")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusTeapot, resp.StatusCode)

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(runCtx, db, 10*time.Millisecond); close(done) }()
	require.Eventually(t, func() bool {
		q, err := db.Querier(0, time.Now().Add(time.Hour).UnixMilli())
		require.NoError(t, err)
		defer q.Close()
		names, _, err := q.LabelValues(ctx, "__name__", nil)
		require.NoError(t, err)
		return assert.ObjectsAreEqual([]string{"mle_inference_latency_seconds_bucket", "mle_inference_latency_seconds_count",
			"mle_inference_latency_seconds_sum", "mle_label_coverage_ratio", "mle_predictions_total"}, names)
	}, 10*time.Second, 20*time.Millisecond)
	cancel()
	<-done
}

// TestPipelineRestartKeepsJoins: predictions logged before a restart still
// join labels posted after it, and labels joined before it still count.
func TestPipelineRestartKeepsJoins(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Now().UnixMilli()
	post := func(p *Pipeline, path, body string) IngestResponse {
		srv := httptest.NewServer(p)
		defer srv.Close()
		e := &env{t: t, srv: srv}
		code, resp := e.post(path, plain, body)
		require.Equal(t, http.StatusOK, code, "%+v", resp)
		return resp
	}
	p, err := OpenPipeline(ctx, dir, PipelineOptions{})
	require.NoError(t, err)
	post(p, "/api/v1/predictions", lines(
		fmt.Sprintf(`{"model":"fraud","version":"v7","request_id":"a","ts":%d,"prediction":0.9}`, now-2000),
		fmt.Sprintf(`{"model":"fraud","version":"v7","request_id":"b","ts":%d,"prediction":0.2}`, now-1000),
		fmt.Sprintf(`{"model":"old","version":"v1","request_id":"c","ts":%d,"prediction":0.2}`, now-48*3600*1000)))
	resp := post(p, "/api/v1/feedback", fmt.Sprintf(`{"request_id":"a","label":1,"ts":%d}`, now))
	assert.Equal(t, 1, *resp.Matched)
	require.NoError(t, p.Close())

	p, err = OpenPipeline(ctx, dir, PipelineOptions{})
	require.NoError(t, err)
	defer p.Close()
	resp = post(p, "/api/v1/feedback", fmt.Sprintf(`{"request_id":"b","label":0,"ts":%d}`, now))
	assert.Equal(t, 1, *resp.Matched, "b was restored from the log")
	resp = post(p, "/api/v1/feedback", fmt.Sprintf(`{"request_id":"c","label":0,"ts":%d}`, now))
	assert.Equal(t, 0, *resp.Matched, "c is older than the restore window")
	q := p.Joiner.Snapshot()[[3]string{"fraud", "v7", "production"}]
	assert.Equal(t, 2, q.Pairs)
	assert.Equal(t, 1.0, q.Accuracy)
	assert.Equal(t, 1.0, q.Coverage)

	// Maintenance: retention drops the 2-day-old record, keeps the rest.
	p.retention = 24 * time.Hour
	p.maintain(ctx, time.UnixMilli(now))
	var left []string
	require.NoError(t, ExportTo(ctx, p.Log, store.Query{Model: "old"}, "ndjson", &strings.Builder{}, nil))
	require.NoError(t, p.Log.Scan(ctx, store.Query{Model: "old"}, func(r *predlog.Record) error { left = append(left, r.RequestID); return nil }))
	assert.Empty(t, left)
	require.NoError(t, p.Log.Scan(ctx, store.Query{Model: "fraud"}, func(r *predlog.Record) error { left = append(left, r.RequestID); return nil }))
	assert.Equal(t, []string{"a", "b"}, left)
}

func TestIngestInProcess(t *testing.T) {
	ctx := context.Background()
	p, err := OpenPipeline(ctx, t.TempDir(), PipelineOptions{RestoreJoins: -1})
	require.NoError(t, err)
	defer p.Close()
	r := predlog.Record{Model: "m", Version: "1", Role: predlog.RoleShadow, Status: predlog.StatusOK, TS: 1795687200000,
		Features: []predlog.Feature{{Name: "x", Value: predlog.Float(1.5)}}}
	require.NoError(t, p.Ingest(ctx, []predlog.Record{r}))
	bad := r
	bad.Role = "primary"
	require.ErrorContains(t, p.Ingest(ctx, []predlog.Record{bad}), "role")
	var got []predlog.Record
	require.NoError(t, p.Log.Scan(ctx, store.Query{Model: "m"}, func(r *predlog.Record) error { got = append(got, *r); return nil }))
	require.Len(t, got, 1)
	assert.Equal(t, predlog.RoleShadow, got[0].Role)
}
