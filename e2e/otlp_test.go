//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/mlectl/mlectl/internal/otlpfixture"
)

// TestOTLPMetricsMatchPrometheus sends the same otlphttp payloads (built
// with pdata, as protobuf and as JSON) to the collector and to a real
// Prometheus started with --web.enable-otlp-receiver, then reads every raw
// sample of the payloads' job back through both query APIs: series (names,
// labels, target_info) and values must be identical.
func TestOTLPMetricsMatchPrometheus(t *testing.T) {
	collectorURL, _ := startCollector(t)
	promPort := freePort(t)
	promURL := fmt.Sprintf("http://127.0.0.1:%d", promPort)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfgPath, []byte("global: {}\n"), 0o600))
	start(t, binary(t, "prometheus"),
		"--config.file", cfgPath,
		"--storage.tsdb.path", filepath.Join(dir, "data"),
		"--web.enable-otlp-receiver",
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", promPort))
	waitHTTP(t, promURL+"/-/ready", 60*time.Second)

	t0 := time.Now().Add(-20 * time.Minute).Truncate(time.Second)
	first := otlpfixture.Metrics(t0, t0.Add(15*time.Second), t0.Add(30*time.Second))
	second := otlpfixture.Metrics(t0.Add(5*time.Minute), t0.Add(10*time.Minute))
	pb, err := otlpfixture.Protobuf(first)
	require.NoError(t, err)
	js, err := otlpfixture.JSON(second)
	require.NoError(t, err)
	for _, base := range []string{collectorURL, promURL} {
		require.Equal(t, http.StatusOK, postOTLPMetrics(t, base, otlpfixture.ContentTypeProtobuf, pb))
		require.Equal(t, http.StatusOK, postOTLPMetrics(t, base, otlpfixture.ContentTypeJSON, js))
	}
	// Refusals answer alike and store nothing: a delta sum (no delta
	// feature flag), samples older than the out-of-order window.
	delta := otlpfixture.Metrics(t0.Add(12 * time.Minute))
	ms := delta.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	for i := range ms.Len() {
		if ms.At(i).Type() == pmetric.MetricTypeSum {
			ms.At(i).Sum().SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		}
	}
	deltaPB, err := otlpfixture.Protobuf(delta)
	require.NoError(t, err)
	oldPB, err := otlpfixture.Protobuf(otlpfixture.Metrics(t0.Add(-3 * time.Hour)))
	require.NoError(t, err)
	for _, body := range [][]byte{deltaPB, oldPB} {
		want := postOTLPMetrics(t, promURL, otlpfixture.ContentTypeProtobuf, body)
		require.GreaterOrEqual(t, want, 400)
		require.Equal(t, want, postOTLPMetrics(t, collectorURL, otlpfixture.ContentTypeProtobuf, body))
	}

	at := t0.Add(13 * time.Minute)
	for _, q := range []string{
		`{job="ml/fraud-scorer"}[16m]`,
		`target_info[16m]`,
	} {
		want := rawSamples(t, promURL, q, at)
		got := rawSamples(t, collectorURL, q, at)
		require.NotEmpty(t, want, "Prometheus stored nothing for %s", q)
		t.Logf("%s: %d series, %d samples compared", q, len(want), countSamples(want))
		require.Equal(t, want, got, "collector and Prometheus disagree for %s", q)
	}
}

func postOTLPMetrics(t *testing.T, base, contentType string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/otlp/v1/metrics", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	t.Logf("%s: %d %s", base, resp.StatusCode, bytes.TrimSpace(b))
	return resp.StatusCode
}

// rawSamples runs a range-vector query and returns each series (as
// name{sorted labels}) with its "timestamp value" samples.
func rawSamples(t *testing.T, base, q string, at time.Time) map[string][]string {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?" + url.Values{"query": {q}, "time": {rfc(at)}}.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
	require.Equal(t, "success", r.Status, "%s %s: %s", base, q, r.Error)
	out := map[string][]string{}
	for _, s := range r.Data.Result {
		var ls []string
		for k, v := range s.Metric {
			if k != "__name__" {
				ls = append(ls, k+`="`+v+`"`)
			}
		}
		sort.Strings(ls)
		name := s.Metric["__name__"] + "{" + strings.Join(ls, ",") + "}"
		for _, v := range s.Values {
			out[name] = append(out[name], fmt.Sprintf("%v %v", v[0], v[1]))
		}
	}
	return out
}

func countSamples(m map[string][]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}
