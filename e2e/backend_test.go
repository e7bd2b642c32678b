//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// metricsBackend is the shared store behind collectors in storage.metrics:
// remote mode: VictoriaMetrics single-node in `make e2e`, Grafana Mimir and
// Thanos (receive + query) in `make e2e-scale`. The scenarios of
// scale_test.go and remote_store_test.go take one and run unchanged on each.
type metricsBackend interface {
	// name is how assertions and logs name the store.
	name() string
	// writeURL is the collector's storage.remote.write.url; queryURL is
	// both its storage.remote.query.url and where the tests read the
	// store directly (<queryURL>/api/v1/query).
	writeURL() string
	queryURL() string
	// headers go on every write and query (tenancy); nil when none.
	headers() map[string]string
	// stop shuts the store down (SIGINT) keeping its data; start runs it
	// again on the same ports and data and waits until it is ready.
	stop()
	start()
}

// flusher is a store that buffers samples before queries see them.
type flusher interface{ flush() }

// remoteBlock is the storage.remote block of a collector config over be
// (indented under `storage:`), with a short queue so tests run quickly.
func remoteBlock(be metricsBackend) string {
	var hdr string
	if h := be.headers(); len(h) > 0 {
		keys := make([]string, 0, len(h))
		for k := range h {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s: %q", k, h[k])
		}
		hdr = "\n      headers: {" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprintf(`  remote:
    write:
      url: %s%s
      queue: {batch_send_deadline: 50ms, min_backoff: 50ms, max_backoff: 1s}
    query:
      url: %s%s
`, be.writeURL(), hdr, be.queryURL(), hdr)
}

// promSample is one series of an instant query's vector answer.
type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// backendQuery runs an instant query on the store's own Prometheus API.
func backendQuery(t *testing.T, be metricsBackend, query string) []promSample {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, be.queryURL()+"/api/v1/query", strings.NewReader(url.Values{"query": {query}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range be.headers() {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []promSample `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
	require.Equal(t, "success", r.Status, "%s: %s: %s", be.name(), query, r.Error)
	return r.Data.Result
}

// backendSeries is the number of series in the store's answer to query.
func backendSeries(t *testing.T, be metricsBackend, query string) int {
	t.Helper()
	return len(backendQuery(t, be, query))
}

// backendCounts is how many samples the store holds per request number
// of the writer (series e2e_fwd{req="N"}).
func backendCounts(t *testing.T, be metricsBackend) map[int]int {
	t.Helper()
	if f, ok := be.(flusher); ok {
		f.flush()
	}
	out := map[int]int{}
	for _, s := range backendQuery(t, be, "count_over_time(e2e_fwd[1d])") {
		req, _ := strconv.Atoi(s.Metric["req"])
		n, _ := strconv.Atoi(s.Value[1].(string))
		out[req] += n
	}
	return out
}
