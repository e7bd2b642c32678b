//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPrometheusRemoteWriteThenPromtool runs a real Prometheus server that
// scrapes itself and the collector and remote-writes everything into the
// collector, then asks promtool the same instant and range queries of both
// servers: the answers must be identical.
func TestPrometheusRemoteWriteThenPromtool(t *testing.T) {
	collectorURL, _ := startCollector(t)
	promPort := freePort(t)
	promURL := fmt.Sprintf("http://127.0.0.1:%d", promPort)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:%d']}]
  - job_name: collector
    static_configs: [{targets: ['%s']}]
remote_write:
  - url: %s/api/v1/write
    queue_config: {batch_send_deadline: 500ms}
`, promPort, strings.TrimPrefix(collectorURL, "http://"), collectorURL)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	start(t, binary(t, "prometheus"),
		"--config.file", cfgPath,
		"--storage.tsdb.path", filepath.Join(dir, "data"),
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", promPort))
	waitHTTP(t, promURL+"/-/ready", 60*time.Second)

	// Let a dozen scrapes happen, then query a moment that both have seen.
	time.Sleep(20 * time.Second)
	at := time.Now().Add(-8 * time.Second).Truncate(time.Second)
	promtool := binary(t, "promtool")

	queries := []struct {
		name string
		args []string
	}{
		{"instant up", []string{"query", "instant", "--time", rfc(at), "URL", "up"}},
		{"instant counter rate", []string{"query", "instant", "--time", rfc(at), "URL",
			`sum by (job) (rate(scrape_samples_scraped[10s]))`}},
		{"instant gauge", []string{"query", "instant", "--time", rfc(at), "URL", "prometheus_tsdb_head_series"}},
		{"range up", []string{"query", "range", "--start", rfc(at.Add(-10 * time.Second)), "--end", rfc(at),
			"--step", "1s", "URL", "up"}},
		{"range scrape duration", []string{"query", "range", "--start", rfc(at.Add(-10 * time.Second)), "--end", rfc(at),
			"--step", "2s", "URL", `max by (job) (scrape_duration_seconds) > 0`}},
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			want := runPromtool(t, promtool, q.args, promURL)
			require.NotEmpty(t, strings.TrimSpace(want), "Prometheus answered nothing for %v", q.args)
			// Remote write trails the scrape by up to a few seconds: retry briefly.
			var got string
			deadline := time.Now().Add(30 * time.Second)
			for {
				got = runPromtool(t, promtool, q.args, collectorURL)
				if got == want || time.Now().After(deadline) {
					break
				}
				time.Sleep(time.Second)
			}
			require.Equal(t, want, got, "collector and Prometheus disagree for %v", q.args)
		})
	}
}

func rfc(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// runPromtool runs promtool with "URL" replaced by url and returns its
// output with lines sorted, so series order does not matter.
func runPromtool(t *testing.T, promtool string, args []string, url string) string {
	t.Helper()
	full := make([]string, len(args))
	for i, a := range args {
		if a == "URL" {
			a = url
		}
		full[i] = a
	}
	out, err := exec.Command(promtool, full...).CombinedOutput()
	require.NoError(t, err, "promtool %v: %s", full, out)
	return sortLines(string(out))
}
