package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/audit"
)

// The collector command puts the Prometheus API, status/tsdb and /metrics
// behind the configured auth mode (collector.TestPrometheusAPIAccess walks
// every route; this checks the command wires it).
func TestRunStrictAuthCoversReads(t *testing.T) {
	tokens := "tokens:\n  - {name: watcher, token: look, role: viewer}\n"
	probes := []string{"/-/healthy", "/-/ready"}
	tests := []struct {
		name   string
		config string
		// closed says which paths need a token.
		closed func(path string) bool
	}{
		{"strict", "auth: strict\n" + tokens, func(p string) bool { return !contains(probes, p) }},
		{"strict metrics_auth open", "auth: strict\nmetrics_auth: open\n" + tokens, func(p string) bool { return !contains(probes, p) && p != "/metrics" }},
		{"default", tokens, func(string) bool { return false }},
		{"default metrics_auth token", "metrics_auth: token\n" + tokens, func(p string) bool { return p == "/metrics" }},
	}
	paths := []string{"/-/healthy", "/-/ready", "/metrics", "/api/v1/query?query=up", "/api/v1/query_range?query=up&start=0&end=60&step=15",
		"/api/v1/series?match[]=up", "/api/v1/labels", "/api/v1/label/__name__/values", "/api/v1/rules", "/api/v1/alerts",
		"/api/v1/status/flags", "/api/v1/status/runtimeinfo", "/api/v1/status/buildinfo", "/api/v1/status/tsdb",
		"/api/v1/metadata", "/api/v1/models", "/api/v1/events", "/api/v1/runbooks", "/api/v1/audit"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "collector.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(tc.config), 0o600))
			base, _, _, _ := startRun(t, "--data-dir", filepath.Join(t.TempDir(), "d"), "--config", cfg)
			for _, p := range paths {
				anon, body := doReq(t, http.MethodGet, base+p, "", "")
				viewer, vbody := doReq(t, http.MethodGet, base+p, "look", "")
				assert.Equal(t, http.StatusOK, viewer, "%s with a viewer token: %s", p, vbody)
				if tc.closed(p) {
					assert.Equal(t, http.StatusUnauthorized, anon, "%s without a token: %s", p, body)
					assert.NotContains(t, body, "hostname", p)
				} else {
					assert.Equal(t, http.StatusOK, anon, "%s without a token: %s", p, body)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// Under ingest_auth: open anyone may replace a baseline (which moves every
// drift score); each upload, the overwrite included, is in the audit log
// with the sender's address.
func TestRunAuditsAnonymousBaselineOverwrites(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "collector.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("tokens:\n  - {name: watcher, token: look, role: viewer}\n  - {name: trainer, token: tr41n, role: ingest}\n"), 0o600))
	base, _, _, _ := startRun(t, "--data-dir", filepath.Join(t.TempDir(), "d"), "--config", cfg)
	send := ingestEndpoints[3]
	require.Equal(t, "baseline", send.name)
	for _, token := range []string{"", "", "tr41n"} {
		code, body, _ := send.send(t, base, "v1", token)
		require.Less(t, code, 300, body)
	}
	code, body := doReq(t, http.MethodGet, base+"/api/v1/audit", "look", "")
	require.Equal(t, http.StatusOK, code, body)
	var got struct {
		Data []audit.Entry `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	var uploads []audit.Entry
	for _, e := range got.Data {
		if e.Path == "/api/v1/baselines/probe/v1" {
			uploads = append(uploads, e)
		}
	}
	require.Len(t, uploads, 3, "%s", body)
	for i, actor := range []string{"anonymous", "anonymous", "trainer"} {
		assert.Equal(t, actor, uploads[i].Actor)
		assert.Equal(t, http.MethodPut, uploads[i].Method)
		assert.Equal(t, "127.0.0.1", uploads[i].Source)
		assert.Contains(t, uploads[i].Detail, "baseline upload")
	}
	assert.Contains(t, uploads[1].Detail, "unauthenticated sender (ingest_auth: open)")
	rep, rbody := doReq(t, http.MethodGet, base+"/api/v1/audit/verify", "look", "")
	assert.Equal(t, http.StatusOK, rep)
	assert.Contains(t, rbody, `"ok":true`)
}
