package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/testutil"
)

func TestRunRefusesBadDriftWindow(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"drift:\n  window: 5s\n", "drift.window must be between 10s and 1h0m0s, got 5s"},
		{"drift:\n  window: later\n", "later"},
	} {
		cfg := filepath.Join(t.TempDir(), "collector.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte(tc.doc), 0o600))
		var stderr bytes.Buffer
		code := run(context.Background(), []string{"--data-dir", t.TempDir(), "--config", cfg}, io.Discard, &stderr, nil)
		assert.Equal(t, 2, code, tc.doc)
		assert.Contains(t, stderr.String(), tc.want)
		assert.Contains(t, stderr.String(), cfg, "the error names the file")
	}
}

// TestRunServesDriftHistogram: the configured window length reaches the
// streaming drift windows, and their histogram is a viewer read.
func TestRunServesDriftHistogram(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "collector.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("auth: strict\ndrift: {window: 2m}\ntokens:\n  - {name: watcher, token: look, role: viewer}\n  - {name: feeder, token: feed, role: admin}\n"), 0o600))
	base, cancel, done, _ := startRun(t, "--data-dir", filepath.Join(t.TempDir(), "d"), "--config", cfg)
	do := func(method, path, token, body string) (int, []byte) {
		return testutil.Do(t, method, base+path, token, body)
	}
	ts := time.Now().UTC().Truncate(time.Millisecond)
	var lines strings.Builder
	for i, amount := range []string{"1", "2", "2", "3", "null"} {
		lines.WriteString(`{"model":"fraud","version":"v7","role":"production","request_id":"r-` + string(rune('a'+i)) +
			`","ts":"` + ts.Format(time.RFC3339Nano) + `","latency_ms":1,"features":{"amount":` + amount + `},"prediction":0.5,"status":"ok"}` + "\n")
	}
	code, body := do(http.MethodPost, "/api/v1/predictions", "feed", lines.String())
	require.Equal(t, http.StatusOK, code, "%s", body)

	path := "/api/v1/drift/fraud/features/amount/histogram?version=v7&bins=2"
	code, _ = do(http.MethodGet, path, "", "")
	assert.Equal(t, http.StatusUnauthorized, code, "auth: strict needs a token for reads")
	code, body = do(http.MethodGet, path, "look", "")
	require.Equal(t, http.StatusOK, code, "%s", body)
	var env struct {
		Status string
		Data   struct {
			Window struct {
				Kind    string
				Start   time.Time
				End     time.Time
				Length  float64 `json:"length_seconds"`
				Samples int
				Missing int
			}
			Numeric struct {
				Edges, Counts []float64
			}
		}
	}
	require.NoError(t, json.Unmarshal(body, &env))
	assert.Equal(t, "success", env.Status)
	assert.Equal(t, "open", env.Data.Window.Kind, "no window has closed yet: the open one, saying so")
	assert.Equal(t, 120.0, env.Data.Window.Length, "drift.window from the config file")
	assert.Equal(t, ts, env.Data.Window.Start)
	assert.Equal(t, ts.Add(2*time.Minute), env.Data.Window.End)
	assert.Equal(t, 4, env.Data.Window.Samples)
	assert.Equal(t, 1, env.Data.Window.Missing)
	// No baseline: two bins over the window's own range [1, 3].
	assert.Equal(t, []float64{1, 2, 3}, env.Data.Numeric.Edges)
	assert.Equal(t, []float64{1, 3}, env.Data.Numeric.Counts, "1 | 2 2 3 (the last bin is closed)")
	code, body = do(http.MethodGet, "/api/v1/drift/fraud/features/colour/histogram?version=v7", "look", "")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, string(body), `feature \"colour\"`)
	cancel()
	assert.Equal(t, 0, <-done)
}

func TestRunRefusesDisagreeingDriftWindows(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "collector.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("drift: {window: 1m}\nrules:\n  drift: {window: 5m}\n"), 0o600))
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--config", cfg}, io.Discard, &stderr, nil)
	assert.NotZero(t, code)
	assert.Contains(t, stderr.String(), "rules.drift.window (5m) differs from drift.window (1m)")
}
