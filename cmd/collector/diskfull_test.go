package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/testfs"
	"github.com/mlectl/mlectl/internal/testutil"
)

// TestCollectorOnFullTmpfs runs the whole collector on a real tmpfs and
// fills it (issue 12 item 2): no SIGBUS, remote write and prediction ingest
// answer 507 naming the data dir and its free bytes, queries are served,
// and once the filler is removed ingest resumes without a restart. Skipped
// where a tmpfs cannot be mounted.
func TestCollectorOnFullTmpfs(t *testing.T) {
	mnt := testfs.Tmpfs(t, 160<<20)
	dataDir := filepath.Join(mnt, "data")
	cfgFile := filepath.Join(t.TempDir(), "collector.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte("limits:\n  min_free_disk_bytes: 8388608\n"), 0o644))
	base, _, _, logs := startRun(t, "--data-dir", dataDir, "--config", cfgFile)

	n := 0
	write := func() (int, string) {
		n++
		now := time.Now()
		raw, err := (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
			Labels:  []prompb.Label{{Name: "__name__", Value: "fill_probe"}},
			Samples: []prompb.Sample{{Timestamp: now.UnixMilli(), Value: float64(n)}},
		}}}).Marshal()
		require.NoError(t, err)
		return post(t, base+"/api/v1/write", "application/x-protobuf", snappy.Encode(nil, raw))
	}
	predict := func() (int, string) {
		n++
		line := fmt.Sprintf(`{"model":"fill","version":"v1","request_id":"r%d","features":{"a":1}}`+"\n", n)
		return post(t, base+"/api/v1/predictions", "application/x-ndjson", []byte(line))
	}
	code, body := write()
	require.Equal(t, http.StatusNoContent, code, body)
	code, body = predict()
	require.Equal(t, http.StatusOK, code, body)

	filler := testfs.Fill(t, mnt, "filler")
	t.Cleanup(func() { _ = os.Remove(filler) }) // before the collector stops: badger must not close on a full disk
	for _, ingest := range []func() (int, string){write, predict} {
		code, body = ingest()
		require.Equal(t, http.StatusInsufficientStorage, code, body)
		assert.Contains(t, body, "data dir "+dataDir)
		assert.Contains(t, body, "bytes free")
	}
	code, body = get(t, base+"/api/v1/query?query="+url.QueryEscape("fill_probe"))
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"fill_probe"`)
	code, body = get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, fmt.Sprintf(`mle_collector_disk_free_bytes{dir=%q}`, dataDir))

	require.NoError(t, os.Remove(filler))
	code, body = write()
	require.Equal(t, http.StatusNoContent, code, body)
	code, body = predict()
	require.Equal(t, http.StatusOK, code, body)
	assert.NotContains(t, logs.String(), "panic")
}

func post(t *testing.T, u, contentType string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(string(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	if contentType == "application/x-protobuf" {
		req.Header.Set("Content-Encoding", "snappy")
	}
	return do(t, req)
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, b := testutil.Send(t, req)
	return resp.StatusCode, string(b)
}
