package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/tsdb"
)

// syncBuffer is a log sink shared by the server goroutine and the test.
type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{mu: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func startRun(t *testing.T, args ...string) (base string, cancel context.CancelFunc, done <-chan int, logs *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	codes := make(chan int, 1)
	logs = newSyncBuffer()
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		codes <- run(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), io.Discard, logs, ready)
	}()
	select {
	case addr := <-ready:
		base = "http://" + addr.String()
	case code := <-codes:
		cancel()
		t.Fatalf("run exited with %d before listening: %s", code, logs.String())
	}
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 20*time.Second, 10*time.Millisecond, "collector never became ready: %s", logs)
	// Wait for run to return: its files must be closed before the test's
	// temporary directories are removed.
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Errorf("collector did not stop within 30s of cancel: %s", logs)
		}
	})
	return base, cancel, codes, logs
}

func TestRunFlushesOnShutdownAndDataSurvivesRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	base, cancel, done, logs := startRun(t, "--data-dir", dir, "--retention", "30d")

	now := time.Now().Truncate(time.Millisecond)
	req := prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:  []prompb.Label{{Name: "__name__", Value: "shutdown_probe"}, {Name: "job", Value: "test"}},
		Samples: []prompb.Sample{{Timestamp: now.Add(-time.Second).UnixMilli(), Value: 1}, {Timestamp: now.UnixMilli(), Value: 2}},
	}}}
	raw, err := req.Marshal()
	require.NoError(t, err)
	resp, err := http.Post(base+"/api/v1/write", "application/x-protobuf", bytes.NewReader(snappy.Encode(nil, raw)))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))

	cancel()
	select {
	case code := <-done:
		require.Equal(t, 0, code, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after cancellation")
	}
	assert.Contains(t, logs.String(), "storage flushed and closed")
	_, err = net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	require.Error(t, err, "the listener must be closed after shutdown")

	// Reopen the same directory and read the samples.
	st, err := tsdb.Open(dir, tsdb.Options{Retention: 30 * 24 * time.Hour})
	require.NoError(t, err)
	defer st.Close()
	q, err := st.Querier(now.Add(-time.Minute).UnixMilli(), now.Add(time.Minute).UnixMilli())
	require.NoError(t, err)
	defer q.Close()
	ss := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", "shutdown_probe"))
	require.True(t, ss.Next(), "series written before shutdown is gone")
	it := ss.At().Iterator(nil)
	var vals []float64
	for it.Next() != 0 {
		_, v := it.At()
		vals = append(vals, v)
	}
	require.NoError(t, it.Err())
	assert.Equal(t, []float64{1, 2}, vals)
}

func TestRunConfigFile(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "collector.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("limits:\n  max_label_value_length: 4\n"), 0o600))
	base, cancel, done, _ := startRun(t, "--data-dir", filepath.Join(t.TempDir(), "d"), "--config", cfg)
	req := prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:  []prompb.Label{{Name: "__name__", Value: "m"}, {Name: "job", Value: "toolong"}},
		Samples: []prompb.Sample{{Timestamp: time.Now().UnixMilli(), Value: 1}},
	}}}
	raw, err := req.Marshal()
	require.NoError(t, err)
	resp, err := http.Post(base+"/api/v1/write", "application/x-protobuf", bytes.NewReader(snappy.Encode(nil, raw)))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, string(body), "max_label_value_length=4")
	flags, err := http.Get(base + "/api/v1/status/flags")
	require.NoError(t, err)
	fb, _ := io.ReadAll(flags.Body)
	flags.Body.Close()
	assert.Contains(t, string(fb), `"retention":"15d"`)
	cancel()
	assert.Equal(t, 0, <-done)
}

func TestRunBadInvocation(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("limits:\n  max_labels: 3\n"), 0o600))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--retention", "fortnight"}, "--retention"},
		{[]string{"--retention", "0s"}, "--retention"},
		{[]string{"--config", filepath.Join(t.TempDir(), "missing.yaml")}, "--config"},
		{[]string{"--config", cfg}, "max_labels"},
		{[]string{"--nope"}, "nope"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--log-level", "loud"}, "--log-level"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(context.Background(), append([]string{"--data-dir", t.TempDir()}, tc.args...), io.Discard, &stderr, nil)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr.String(), tc.want)
		})
	}
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"--listen", "256.0.0.1:1", "--data-dir", t.TempDir()}, io.Discard, &stderr, nil)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "listen on 256.0.0.1:1")
}

func TestRunMountsMetadataAPIWithAccessControl(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "collector.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("tokens:\n  - {name: ops, token: s3cret, role: admin}\n  - {name: watcher, token: look, role: viewer}\n"), 0o600))
	dataDir := filepath.Join(t.TempDir(), "d")
	base, cancel, done, _ := startRun(t, "--data-dir", dataDir, "--config", cfg)

	get := func(path string) int {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	post := func(path, token, body string) int {
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, get("/api/v1/models"))
	assert.Equal(t, http.StatusOK, get("/api/v1/runbooks"), "the shipped runbooks are served")
	// A note on no model (a registered one would need models: here; an
	// unknown one is refused with 404).
	note := `{"kind":"annotation","text":"looking into it"}`
	assert.Equal(t, http.StatusUnauthorized, post("/api/v1/events", "", note))
	assert.Equal(t, http.StatusForbidden, post("/api/v1/events", "look", note))
	assert.Less(t, post("/api/v1/events", "s3cret", note), 300)
	assert.Equal(t, http.StatusNotFound, post("/api/v1/events", "s3cret", `{"kind":"annotation","model":"frad","text":"typo"}`))
	// The Prometheus API is still answered beside the mounted routes.
	assert.Equal(t, http.StatusOK, get("/api/v1/labels"))
	cancel()
	assert.Equal(t, 0, <-done)
	_, err := os.Stat(filepath.Join(dataDir, "meta"))
	require.NoError(t, err, "metadata lives in its own badger directory")
}

func TestRunMountsPredictionLog(t *testing.T) {
	base, cancel, done, _ := startRun(t, "--data-dir", filepath.Join(t.TempDir(), "d"))
	// Yesterday: the collector refuses records older than the prediction
	// log's 30-day retention, so a fixed date would expire.
	day := time.Now().UTC().Add(-24 * time.Hour).Truncate(24 * time.Hour)
	lines := strings.ReplaceAll(`{"model":"fraud","version":"v7","role":"production","request_id":"r-1","ts":"DAYT10:00:00.123Z","latency_ms":12.5,"features":{"amount":12.5,"country":"DE"},"prediction":0.83,"status":"ok"}
{"model":"fraud","version":"v7","role":"production","request_id":"r-2","ts":"DAYT10:00:01Z","latency_ms":"slow","features":{},"prediction":0.1,"status":"ok"}
`, "DAY", day.Format(time.DateOnly))
	resp, err := http.Post(base+"/api/v1/predictions", "application/x-ndjson", strings.NewReader(lines))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "one bad line makes the request a 400")
	assert.Contains(t, string(body), `"accepted":1`)
	assert.Contains(t, string(body), "latency_ms")

	exp, err := http.Get(base + "/api/v1/predictions/export?model=fraud&from=" + day.Format(time.RFC3339) + "&to=" + day.Add(24*time.Hour).Format(time.RFC3339) + "&format=ndjson")
	require.NoError(t, err)
	got, _ := io.ReadAll(exp.Body)
	exp.Body.Close()
	require.Equal(t, http.StatusOK, exp.StatusCode, "%s", got)
	assert.Contains(t, string(got), `"request_id":"r-1"`)
	assert.NotContains(t, string(got), `"r-2"`)
	cancel()
	assert.Equal(t, 0, <-done)
}
