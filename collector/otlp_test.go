package collector

import (
	"bytes"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/otlpfixture"
)

func postOTLP(t testing.TB, base, contentType string, body []byte) writeReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/otlp/v1/metrics", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return writeReply{resp.StatusCode, string(b), resp.Header}
}

// TestOTLPMetricsTranslatedAsPrometheusDoes posts an otlphttp payload (built
// with pdata) as protobuf and as JSON and reads back, through the query
// API, the names, units, labels and target_info Prometheus's translation
// gives with its default configuration.
func TestOTLPMetricsTranslatedAsPrometheusDoes(t *testing.T) {
	t0 := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	times := []time.Time{t0, t0.Add(30 * time.Second), t0.Add(time.Minute)}
	md := otlpfixture.Metrics(times...)
	pb, err := otlpfixture.Protobuf(md)
	require.NoError(t, err)
	js, err := otlpfixture.JSON(md)
	require.NoError(t, err)

	last := times[len(times)-1]
	want := map[string]string{
		`process_memory_usage_bytes{instance="scorer-0",job="ml/fraud-scorer"}`:                                            "514000000",
		`gpu_utilization_ratio{gpu="0",instance="scorer-0",job="ml/fraud-scorer"}`:                                         "0.35",
		`ml_predictions_total{instance="scorer-0",job="ml/fraud-scorer",ml_model_name="fraud",ml_model_version="v3"}`:      "1500",
		`ml_predictions_total{instance="scorer-0",job="ml/fraud-scorer",ml_model_name="churn",ml_model_version="v3"}`:      "1500",
		`ml_queue_size{instance="scorer-0",job="ml/fraud-scorer"}`:                                                         "5",
		`ml_inference_duration_seconds_count{instance="scorer-0",job="ml/fraud-scorer",ml_model_name="fraud"}`:             "60",
		`ml_inference_duration_seconds_sum{instance="scorer-0",job="ml/fraud-scorer",ml_model_name="fraud"}`:               "1.2000000000000002",
		`ml_inference_duration_seconds_bucket{instance="scorer-0",job="ml/fraud-scorer",le="0.005",ml_model_name="fraud"}`: "6",
		`ml_inference_duration_seconds_bucket{instance="scorer-0",job="ml/fraud-scorer",le="0.01",ml_model_name="fraud"}`:  "21",
		`ml_inference_duration_seconds_bucket{instance="scorer-0",job="ml/fraud-scorer",le="0.05",ml_model_name="fraud"}`:  "48",
		`ml_inference_duration_seconds_bucket{instance="scorer-0",job="ml/fraud-scorer",le="0.1",ml_model_name="fraud"}`:   "57",
		`ml_inference_duration_seconds_bucket{instance="scorer-0",job="ml/fraud-scorer",le="+Inf",ml_model_name="fraud"}`:  "60",
		`target_info{deployment_environment="prod",host_name="node-7",instance="scorer-0",job="ml/fraud-scorer"}`:          "1",
	}
	for _, tc := range []struct {
		name, contentType string
		body              []byte
	}{
		{"protobuf", otlpfixture.ContentTypeProtobuf, pb},
		{"json", otlpfixture.ContentTypeJSON, js},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t, Config{})
			r := postOTLP(t, srv.url, tc.contentType, tc.body)
			require.Equal(t, http.StatusOK, r.code, r.body)

			got := map[string]string{}
			for _, s := range queryVector(t, srv.url, `{__name__!=""}`, last).Result {
				got[metricString(s.Metric)] = s.Value[1].(string)
			}
			require.Equal(t, want, got)
		})
	}
}

// metricString is name{label="value",...} with labels sorted.
func metricString(m map[string]string) string {
	var ls []string
	for k, v := range m {
		if k != "__name__" {
			ls = append(ls, k+`="`+v+`"`)
		}
	}
	sort.Strings(ls)
	return m["__name__"] + "{" + strings.Join(ls, ",") + "}"
}

func TestOTLPMetricsRefusals(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	pb, err := otlpfixture.Protobuf(otlpfixture.Metrics(now.Add(-time.Minute), now))
	require.NoError(t, err)
	// A too-old point before a good one: the request fails whole.
	old, err := otlpfixture.Protobuf(otlpfixture.Metrics(now.Add(-72*time.Hour), now.Add(30*time.Second)))
	require.NoError(t, err)

	srv := newTestServer(t, Config{})
	r := postOTLP(t, srv.url, "text/plain", pb)
	require.Equal(t, http.StatusBadRequest, r.code)
	require.Contains(t, r.body, "unsupported content type")
	r = postOTLP(t, srv.url, otlpfixture.ContentTypeProtobuf, []byte("not protobuf"))
	require.Equal(t, http.StatusBadRequest, r.code, r.body)

	require.Equal(t, http.StatusOK, postOTLP(t, srv.url, otlpfixture.ContentTypeProtobuf, pb).code)
	r = postOTLP(t, srv.url, otlpfixture.ContentTypeProtobuf, old)
	require.Equal(t, http.StatusBadRequest, r.code, r.body)
	require.Contains(t, r.body, "too old sample: series {__name__=\"process_memory_usage_bytes\"")
	v := queryVector(t, srv.url, `count_over_time(process_memory_usage_bytes[10m])`, now.Add(30*time.Second))
	require.Len(t, v.Result, 1)
	require.Equal(t, "2", v.Result[0].Value[1], "the refused request stored nothing")
}

// TestOTLPMetricsFollowIngestGuard: the OTLP receiver is guarded by
// GuardWrite's middleware (ingest_auth) as remote write is; a refused
// payload stores nothing.
func TestOTLPMetricsFollowIngestGuard(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	pb, err := otlpfixture.Protobuf(otlpfixture.Metrics(now))
	require.NoError(t, err)
	srv := newTestServer(t, Config{})
	srv.GuardWrite(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer ingest-token" {
				http.Error(w, "ingest_auth: token", http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	r := postOTLP(t, srv.url, otlpfixture.ContentTypeProtobuf, pb)
	require.Equal(t, http.StatusUnauthorized, r.code, r.body)
	require.Empty(t, queryVector(t, srv.url, `{__name__!=""}`, now).Result)

	req, err := http.NewRequest(http.MethodPost, srv.url+"/api/v1/otlp/v1/metrics", bytes.NewReader(pb))
	require.NoError(t, err)
	req.Header.Set("Content-Type", otlpfixture.ContentTypeProtobuf)
	req.Header.Set("Authorization", "Bearer ingest-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotEmpty(t, queryVector(t, srv.url, `{__name__!=""}`, now).Result)
}

// TestOTLPMetricsRefusedWhenDiskFull: below min_free_disk_bytes the OTLP
// receiver answers 507 as remote write does, and stores nothing.
func TestOTLPMetricsRefusedWhenDiskFull(t *testing.T) {
	dir := t.TempDir()
	st := openTestStore(t, dir)
	t.Cleanup(func() { _ = st.Close() })
	srv, err := New(Config{Limits: Limits{MinFreeDiskBytes: 4 << 20}}, st, nil)
	require.NoError(t, err)
	srv.GuardDisk(dir, func(string) (uint64, error) { return 2 << 20, nil })
	base := newHTTPServer(t, srv)
	now := time.Now().Truncate(time.Second)
	pb, err := otlpfixture.Protobuf(otlpfixture.Metrics(now))
	require.NoError(t, err)
	r := postOTLP(t, base, otlpfixture.ContentTypeProtobuf, pb)
	require.Equal(t, http.StatusInsufficientStorage, r.code, r.body)
	require.Contains(t, r.body, "data dir "+dir)
	require.Empty(t, queryVector(t, base, `{__name__!=""}`, now).Result)
}
