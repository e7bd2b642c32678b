package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/server"
)

// remoteCollector runs a collector in storage.metrics: remote mode that
// writes to writeURL and queries queryURL.
func remoteCollector(t *testing.T, writeURL, queryURL string) *server.Server {
	t.Helper()
	cfg, err := collector.ParseConfigBytes([]byte(fmt.Sprintf(`
storage:
  metrics: remote
  remote:
    write:
      url: %s
      queue: {batch_send_deadline: 20ms, min_backoff: 20ms, max_backoff: 200ms}
    query: {url: %s}
`, writeURL, queryURL)))
	require.NoError(t, err)
	return runServer(t, server.Config{Collector: cfg, DataDir: t.TempDir(), Listen: "127.0.0.1:0", SeriesInterval: 100 * time.Millisecond})
}

// In remote mode /api/v1/status/tsdb is the store's: proxied to a
// backend that serves it (here an embedded collector, as VictoriaMetrics
// would), a 501 naming the store where it does not (Mimir, Thanos Query).
func TestTSDBStatusInRemoteMode(t *testing.T) {
	t.Run("a store that serves it answers", func(t *testing.T) {
		backend := runServer(t, server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", SeriesInterval: time.Hour})
		c := remoteCollector(t, backend.URL()+"/api/v1/write", backend.URL())
		// The collector's disk series reach the store; its statistics
		// then count them.
		require.Eventually(t, func() bool {
			return len(vectorOf(t, backend.URL(), `mle_collector_disk_free_bytes`)) >= 2
		}, 20*time.Second, 50*time.Millisecond)
		code, body := testutil.Do(t, http.MethodGet, c.URL()+"/api/v1/status/tsdb?limit=50", "", "")
		require.Equal(t, http.StatusOK, code, string(body))
		var env struct {
			Status string `json:"status"`
			Data   struct {
				HeadStats               struct{ NumSeries int } `json:"headStats"`
				SeriesCountByMetricName []struct {
					Name  string `json:"name"`
					Value int    `json:"value"`
				} `json:"seriesCountByMetricName"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(body, &env))
		assert.Equal(t, "success", env.Status)
		assert.Positive(t, env.Data.HeadStats.NumSeries)
		names := map[string]bool{}
		for _, s := range env.Data.SeriesCountByMetricName {
			names[s.Name] = true
		}
		assert.True(t, names["mle_collector_disk_free_bytes"], "the store's series are counted: %s", body)

		code, body = testutil.Do(t, http.MethodGet, c.URL()+"/api/v1/status/tsdb?limit=0", "", "")
		assert.Equal(t, http.StatusBadRequest, code, "the limit is still checked here: %s", body)
	})

	t.Run("a store without it is a 501 naming it", func(t *testing.T) {
		var (
			mu    sync.Mutex
			paths []string
		)
		store := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v1/write" {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			mu.Lock()
			paths = append(paths, r.URL.Path)
			mu.Unlock()
			http.NotFound(w, r)
		}))
		defer store.Close()
		c := remoteCollector(t, store.URL+"/api/v1/write", store.URL+"/prometheus")
		code, body := testutil.Do(t, http.MethodGet, c.URL()+"/api/v1/status/tsdb", "", "")
		assert.Equal(t, http.StatusNotImplemented, code, string(body))
		assert.Contains(t, string(body), store.URL+"/prometheus does not serve /api/v1/status/tsdb")
		mu.Lock()
		defer mu.Unlock()
		assert.Contains(t, paths, "/prometheus/api/v1/status/tsdb")
	})

	t.Run("an unreachable store is a 503", func(t *testing.T) {
		store := httptest.NewServer(http.NotFoundHandler())
		dead := store.URL
		store.Close()
		c := remoteCollector(t, dead+"/api/v1/write", dead)
		code, body := testutil.Do(t, http.MethodGet, c.URL()+"/api/v1/status/tsdb", "", "")
		assert.Equal(t, http.StatusServiceUnavailable, code, string(body))
		assert.True(t, strings.Contains(string(body), "unreachable"), string(body))
	})
}
