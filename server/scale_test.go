package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/server"
)

// runServer assembles and runs a collector on l until the test ends.
func runServer(t *testing.T, cfg server.Config) *server.Server {
	t.Helper()
	s, err := server.Assemble(context.Background(), cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	_, err = s.Storage(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		require.NoError(t, s.Close())
	})
	return s
}

// vectorOf runs an instant query at base and returns each series' labels
// (as JSON) with its value.
func vectorOf(t *testing.T, base, query string) map[string]string {
	t.Helper()
	code, body := testutil.Do(t, http.MethodGet, base+"/api/v1/query?query="+url.QueryEscape(query), "", "")
	require.Equal(t, http.StatusOK, code, string(body))
	var env struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &env))
	out := map[string]string{}
	for _, r := range env.Data.Result {
		k, _ := json.Marshal(r.Metric)
		out[string(k)] = fmt.Sprint(r.Value[1])
	}
	return out
}

// TestClusterOverSharedStore: two collectors in storage.metrics: remote
// mode forward to one shared store (a third, embedded collector serves as
// the Prometheus-compatible backend: remote write in, query API out).
// Each collector's samples carry collector=<name>; the owner directory
// learns the other collector's model from the owner series read back from
// the store (no peer lists it in config); each collector's own rules see
// only its own series, the fleet's rules see both.
func TestClusterOverSharedStore(t *testing.T) {
	// The backend writes its own disk series too (once, without a
	// collector label); the queries below leave it out with collector!="".
	backend := runServer(t, server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", SeriesInterval: time.Hour})
	la, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lb, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	urlA, urlB := "http://"+la.Addr().String(), "http://"+lb.Addr().String()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "own.yml"), []byte(`groups:
  - name: own
    rules:
      - record: scale:disk_series:count
        expr: count(mle_collector_disk_free_bytes)
`), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "fleet.yml"), []byte(`groups:
  - name: fleet
    rules:
      - record: fleet:disk_series:count
        expr: count(mle_collector_disk_free_bytes{dir!=""})
`), 0o600))
	conf := func(name, self, model, peer, peerURL string) collector.Config {
		cfg, err := collector.ParseConfigBytes([]byte(fmt.Sprintf(`
storage:
  metrics: remote
  remote:
    write:
      url: %[1]s/api/v1/write
      queue: {batch_send_deadline: 20ms, min_backoff: 20ms, max_backoff: 200ms}
    query: {url: %[1]s}
rules:
  evaluation_interval: 100ms
  rule_files: [own.yml]
cluster:
  name: %[2]s
  url: %[3]s
  models: [%[4]s]
  ownership: list
  peers: [{name: %[5]s, url: %[6]s}]
  fleet_rules: collector-a
  fleet_rule_files: [fleet.yml]
  refresh: 100ms
`, backend.URL(), name, self, model, peer, peerURL)))
		require.NoError(t, err)
		return cfg
	}
	a := runServer(t, server.Config{Collector: conf("collector-a", urlA, "demand", "collector-b", urlB), BaseDir: dir,
		DataDir: t.TempDir(), Listener: la, SeriesInterval: 100 * time.Millisecond})
	b := runServer(t, server.Config{Collector: conf("collector-b", urlB, "fraud", "collector-a", urlA), BaseDir: dir,
		DataDir: t.TempDir(), Listener: lb, SeriesInterval: 100 * time.Millisecond})

	t.Run("collector-level series carry each collector's name in the store", func(t *testing.T) {
		require.Eventually(t, func() bool {
			return len(vectorOf(t, backend.URL(), `mle_collector_disk_free_bytes{collector!=""}`)) == 2
		}, 20*time.Second, 50*time.Millisecond)
		got := map[string]bool{}
		for k := range vectorOf(t, backend.URL(), `mle_collector_disk_free_bytes{collector!=""}`) {
			var m map[string]string
			require.NoError(t, json.Unmarshal([]byte(k), &m))
			got[m["collector"]] = true
		}
		assert.Equal(t, map[string]bool{"collector-a": true, "collector-b": true}, got)
		assert.Len(t, vectorOf(t, a.URL(), `mle_collector_disk_free_bytes{collector!=""}`), 2, "a's query API reads the store")
	})

	t.Run("the owner series keep the announcing collector's label", func(t *testing.T) {
		require.Eventually(t, func() bool {
			return len(vectorOf(t, backend.URL(), `mle_model_owner`)) == 2
		}, 20*time.Second, 50*time.Millisecond)
		assert.Len(t, vectorOf(t, backend.URL(), `mle_model_owner{collector="collector-b",model="fraud"}`), 1)
	})

	t.Run("the directory places a model no config lists from the store", func(t *testing.T) {
		require.Eventually(t, func() bool {
			o, err := a.Directory().Owner("fraud")
			return err == nil && o.Name == "collector-b" && o.URL == urlB
		}, 20*time.Second, 50*time.Millisecond, "a learns fraud's owner from b's announcement in the store")
		o, err := b.Directory().Owner("demand")
		require.NoError(t, err)
		assert.Equal(t, "collector-a", o.Name)
		_, err = a.Directory().Owner("unknown")
		require.Error(t, err, "ownership: list refuses a model nobody announced")
	})

	t.Run("own rules see this collector's series, the fleet's see all", func(t *testing.T) {
		require.Eventually(t, func() bool {
			return len(vectorOf(t, backend.URL(), `scale:disk_series:count`)) == 2 && len(vectorOf(t, backend.URL(), `fleet:disk_series:count`)) == 1
		}, 20*time.Second, 50*time.Millisecond)
		own := vectorOf(t, backend.URL(), `scale:disk_series:count`)
		assert.Equal(t, map[string]string{
			`{"__name__":"scale:disk_series:count","collector":"collector-a"}`: "1",
			`{"__name__":"scale:disk_series:count","collector":"collector-b"}`: "1",
		}, own, "each collector counts its own disk series only")
		require.Eventually(t, func() bool {
			for _, v := range vectorOf(t, backend.URL(), `fleet:disk_series:count`) {
				return v == "3" // a's, b's and the backend's own
			}
			return false
		}, 20*time.Second, 50*time.Millisecond, "the fleet rule (on collector-a) counts every collector's")
		assert.Len(t, vectorOf(t, backend.URL(), `fleet:disk_series:count{collector="collector-a"}`), 1)
	})
}
