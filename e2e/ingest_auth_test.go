//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPrometheusRemoteWriteIngestToken runs a real Prometheus that
// remote-writes to a collector with ingest_auth: token through three queues:
// one with an ingest token in authorization.credentials, one with a viewer
// token and one with none. The first queue's samples are stored; the
// collector counts the others' requests as 403 and 401.
func TestPrometheusRemoteWriteIngestToken(t *testing.T) {
	dir := t.TempDir()
	collectorCfg := filepath.Join(dir, "collector.yaml")
	require.NoError(t, os.WriteFile(collectorCfg, []byte(`ingest_auth: token
tokens:
  - {name: prometheus, token: ingest-secret, role: ingest}
  - {name: grafana, token: view-secret, role: viewer}
`), 0o600))
	collectorURL, _ := startCollector(t, "--config", collectorCfg)
	promPort := freePort(t)
	promURL := fmt.Sprintf("http://127.0.0.1:%d", promPort)
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:%d']}]
remote_write:
  - name: ingest
    url: %[2]s/api/v1/write
    authorization: {credentials: ingest-secret}
    queue_config: {batch_send_deadline: 500ms}
  - name: viewer
    url: %[2]s/api/v1/write
    authorization: {credentials: view-secret}
    queue_config: {batch_send_deadline: 500ms}
  - name: anonymous
    url: %[2]s/api/v1/write
    queue_config: {batch_send_deadline: 500ms}
`, promPort, collectorURL)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	start(t, binary(t, "prometheus"),
		"--config.file", cfgPath,
		"--storage.tsdb.path", filepath.Join(dir, "data"),
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", promPort))
	waitHTTP(t, promURL+"/-/ready", 60*time.Second)

	get := func(u string) string {
		resp, err := http.Get(u)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", u, b)
		return string(b)
	}
	writes := func(code string) float64 {
		re := regexp.MustCompile(`mlectl_collector_http_requests_total\{code="` + code + `",handler="/api/v1/write"\} (\S+)`)
		m := re.FindStringSubmatch(get(collectorURL + "/metrics"))
		if m == nil {
			return 0
		}
		v, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		return v
	}
	stored := func() int {
		var qr struct {
			Data struct {
				Result []json.RawMessage `json:"result"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(get(collectorURL+"/api/v1/query?query="+url.QueryEscape(`up{job="prometheus"}`))), &qr))
		return len(qr.Data.Result)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && (stored() == 0 || writes("401") == 0 || writes("403") == 0) {
		time.Sleep(time.Second)
	}
	require.Equal(t, 1, stored(), "the ingest queue's samples are stored")
	require.Positive(t, writes("20[04]"), "the ingest queue's writes are accepted")
	require.Positive(t, writes("403"), "the viewer queue's writes are refused with 403")
	require.Positive(t, writes("401"), "the anonymous queue's writes are refused with 401")
}
