package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	p.Register(mux)
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
