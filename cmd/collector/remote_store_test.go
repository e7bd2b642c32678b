package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/remotestore"
)

func TestRunRemoteStorageBadConfig(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"storage:\n  metrics: mimir\n", `storage.metrics must be "embedded" or "remote", got "mimir"`},
		{"storage:\n  metrics: remote\n", "storage.remote.write.url is required with storage.metrics: remote"},
		{"storage:\n  metrics: remote\n  remote:\n    write: {url: http://127.0.0.1:1/api/v1/write}\n    query: {url: 'x'}\n", `storage.remote.query.url "x" is not an http(s) URL`},
		{"storage:\n  metrics: remote\n  remote:\n    write: {url: http://127.0.0.1:1/w, queue: {max_shard: 2}}\n", "field max_shard not found"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "collector.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(tc.yaml), 0o600))
			var stderr bytes.Buffer
			code := run(context.Background(), []string{"--data-dir", t.TempDir(), "--config", cfg}, io.Discard, &stderr, nil)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr.String(), tc.want)
		})
	}
}

// A collector in remote mode forwards what it accepts and derives to a
// Prometheus-compatible backend — here another collector, embedded, on
// 127.0.0.1 — and answers its Prometheus API from there.
func TestRunRemoteStoreWritesAndReadsThroughBackend(t *testing.T) {
	backend, _, _, _ := startRun(t, "--data-dir", filepath.Join(t.TempDir(), "backend"))
	cfg := filepath.Join(t.TempDir(), "collector.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`storage:
  metrics: remote
  remote:
    write:
      url: %s/api/v1/write
      headers: {X-Scope-OrgID: team-a}
      queue: {batch_send_deadline: 20ms}
    query:
      url: %s
`, backend, backend)), 0o600))
	front, _, _, _ := startRun(t, "--data-dir", filepath.Join(t.TempDir(), "front"), "--config", cfg)

	now := time.Now().Truncate(time.Second)
	dayAgo := now.Add(-24 * time.Hour)
	req := prompb.WriteRequest{Timeseries: []prompb.TimeSeries{
		{Labels: []prompb.Label{{Name: "__name__", Value: "fwd_test"}, {Name: "job", Value: "a"}},
			Samples: []prompb.Sample{{Timestamp: now.UnixMilli(), Value: 3}}},
		{Labels: []prompb.Label{{Name: "__name__", Value: "fwd_test"}, {Name: "job", Value: "b"}},
			Samples: []prompb.Sample{{Timestamp: dayAgo.UnixMilli(), Value: 5}}}, // backfill
	}}
	raw, err := req.Marshal()
	require.NoError(t, err)
	resp, err := http.Post(front+"/api/v1/write", "application/x-protobuf", bytes.NewReader(snappy.Encode(nil, raw)))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)

	query := func(base, q string, at time.Time) (int, string) {
		resp, err := http.PostForm(base+"/api/v1/query", url.Values{"query": {q}, "time": {fmt.Sprint(at.Unix())}})
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Both samples reach the backend, the backfilled one included.
	require.Eventually(t, func() bool {
		_, a := query(backend, `fwd_test{job="a"}`, now)
		_, b := query(backend, `fwd_test{job="b"}`, dayAgo)
		return strings.Contains(a, `"3"`) && strings.Contains(b, `"5"`)
	}, 20*time.Second, 20*time.Millisecond)

	// The front's API answers from the backend, WITH templates expanded.
	code, body := query(front, `WITH (x = fwd_test) sum(x)`, now)
	assert.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"3"`)
	code, body = query(front, `fwd_test{job="b"}`, dayAgo)
	assert.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"5"`)
	// The backend's errors keep Prometheus's shape.
	code, body = query(front, `sum(`, now)
	assert.Equal(t, http.StatusBadRequest, code)
	var env struct{ Status, ErrorType string }
	require.NoError(t, json.Unmarshal([]byte(body), &env), body)
	assert.Equal(t, "error", env.Status)
	assert.Equal(t, "bad_data", env.ErrorType)
	for path, want := range map[string]string{
		"/api/v1/series?match[]=fwd_test&start=0": `"job":"b"`, "/api/v1/labels": `"job"`, "/api/v1/label/job/values?start=0": `["a","b"]`,
	} {
		resp, err := http.Get(front + path)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Contains(t, string(b), want, path)
	}
	// The series the collector derives itself are forwarded too.
	require.Eventually(t, func() bool {
		_, b := query(backend, `mle_collector_disk_free_bytes`, time.Now())
		return strings.Contains(b, "mle_collector_disk_free_bytes")
	}, 20*time.Second, 20*time.Millisecond)
	metrics, err := http.Get(front + "/metrics")
	require.NoError(t, err)
	mb, _ := io.ReadAll(metrics.Body)
	metrics.Body.Close()
	assert.Contains(t, string(mb), "mle_forward_pending_samples ")
	assert.Contains(t, string(mb), "mle_forward_oldest_pending_seconds ")

	// What rule evaluation and the storage reads of remote mode use.
	reads, err := remotestore.NewQueryClient(remotestore.Endpoint{URL: backend}, "")
	require.NoError(t, err)
	vec, err := reads.InstantQuery(context.Background(), `sum(fwd_test)`, now)
	require.NoError(t, err)
	require.Len(t, vec, 1)
	assert.Equal(t, 3.0, vec[0].F)
	_, err = reads.InstantQuery(context.Background(), `sum(`, now)
	assert.ErrorContains(t, err, "bad_data")
	q, err := reads.Querier(dayAgo.Add(-time.Minute).UnixMilli(), now.UnixMilli())
	require.NoError(t, err)
	ss := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", "fwd_test"))
	var got []string
	for ss.Next() {
		it := ss.At().Iterator(nil)
		for it.Next() == chunkenc.ValFloat {
			ts, v := it.At()
			got = append(got, fmt.Sprintf("%s@%d=%g", ss.At().Labels().Get("job"), ts, v))
		}
	}
	require.NoError(t, ss.Err())
	assert.Equal(t, []string{fmt.Sprintf("a@%d=3", now.UnixMilli()), fmt.Sprintf("b@%d=5", dayAgo.UnixMilli())}, got, "raw samples of the whole range")
	values, _, err := q.LabelValues(context.Background(), "job", nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, values)
}
