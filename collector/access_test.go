package collector

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/auth"
)

// accessTokens are the tokens of every access test: one per role.
var accessTokens = []auth.TokenSpec{
	{Name: "vic", Token: "viewer-secret", Role: "viewer"},
	{Name: "ing", Token: "ingest-secret", Role: "ingest"},
	{Name: "rex", Token: "responder-secret", Role: "responder"},
	{Name: "ada", Token: "admin-secret", Role: "admin"},
}

type accessCaller struct {
	name  string
	token string
	role  auth.Role // RoleNone: anonymous or a bad token
	bad   bool      // an unknown token
}

var accessCallers = []accessCaller{
	{"anonymous", "", auth.RoleNone, false},
	{"unknown token", "not-a-token", auth.RoleNone, true},
	{"viewer", "viewer-secret", auth.RoleViewer, false},
	{"ingest", "ingest-secret", auth.RoleIngest, false},
	{"responder", "responder-secret", auth.RoleResponder, false},
	{"admin", "admin-secret", auth.RoleAdmin, false},
}

// accessProbeMethods are tried on every Prometheus API route (its router
// does not say which methods a route has; an unrouted one answers 405
// before any handler or guard runs).
var accessProbeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, "QUERY"}

// concretePath fills a route pattern's parameters.
func concretePath(pattern string) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "__name__"
		}
	}
	return strings.Join(parts, "/")
}

// TestPrometheusAPIAccess walks every route New mounts (Prometheus's whole
// API as its router registers it, status/tsdb, /metrics and the probes) in
// every auth mode with every kind of caller, and checks who gets through.
func TestPrometheusAPIAccess(t *testing.T) {
	ts := newTestServer(t, Config{})
	routes := ts.Routes()
	var names []string
	for _, r := range routes {
		names = append(names, r.Pattern)
		assert.True(t, r.Ruled, "route %s has no access rule in promAPIRoles: add one", r.Pattern)
	}
	// The routes the issue found open under strict are among those walked.
	for _, p := range []string{"/api/v1/query", "/api/v1/query_range", "/api/v1/series", "/api/v1/labels",
		"/api/v1/label/:name/values", "/api/v1/rules", "/api/v1/alerts", "/api/v1/status/flags",
		"/api/v1/status/runtimeinfo", "/api/v1/read", "/api/v1/metadata", "/api/v1/status/tsdb", "/metrics"} {
		assert.Contains(t, names, p)
	}
	require.Greater(t, len(routes), 40, "the Prometheus API routes were not enumerated")

	modes := []struct {
		name    string
		cfg     auth.Config
		metrics auth.Role // what /metrics needs in this mode
	}{
		{"disabled", auth.Config{Mode: auth.ModeDisabled, Tokens: accessTokens}, auth.RoleNone},
		{"default", auth.Config{Tokens: accessTokens}, auth.RoleNone},
		{"default metrics_auth token", auth.Config{Metrics: auth.MetricsToken, Tokens: accessTokens}, auth.RoleViewer},
		{"strict", auth.Config{Mode: auth.ModeStrict, Tokens: accessTokens}, auth.RoleViewer},
		{"strict metrics_auth open", auth.Config{Mode: auth.ModeStrict, Metrics: auth.MetricsOpen, Tokens: accessTokens}, auth.RoleNone},
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			a, err := auth.New(mode.cfg, "")
			require.NoError(t, err)
			ts.Authorize(a)
			for _, rt := range routes {
				need := rt.Role
				if rt.Pattern == "/metrics" {
					need = mode.metrics
				}
				if rt.Pattern == "/api/v1/write" || rt.Pattern == "/api/v1/otlp/v1/metrics" {
					continue // GuardWrite's (ingest_auth): TestRunIngestAuth in cmd/collector, TestOTLPMetricsFollowIngestGuard
				}
				methods := rt.Methods
				if len(methods) == 0 {
					methods = accessProbeMethods
				}
				routed := false
				for _, method := range methods {
					for _, c := range accessCallers {
						code := accessCall(t, client, method, ts.url+concretePath(rt.Pattern), c.token)
						if code == http.StatusMethodNotAllowed {
							continue
						}
						routed = true
						where := method + " " + rt.Pattern + " as " + c.name
						switch {
						case mode.cfg.Mode == auth.ModeDisabled || need == auth.RoleNone:
							assert.NotContains(t, []int{401, 403, 429}, code, where)
						case c.bad:
							assert.Equal(t, http.StatusUnauthorized, code, where)
						case c.role == auth.RoleNone && need <= auth.RoleViewer && mode.cfg.Mode != auth.ModeStrict && rt.Pattern != "/metrics":
							assert.NotContains(t, []int{401, 403, 429}, code, where)
						case c.role == auth.RoleNone:
							assert.Contains(t, []int{401, 429}, code, where)
						case c.role < need:
							assert.Equal(t, http.StatusForbidden, code, where)
						default:
							assert.NotContains(t, []int{401, 403, 429}, code, where)
						}
					}
				}
				assert.True(t, routed, "no method of %s reached its handler", rt.Pattern)
			}
		})
	}
}

func accessCall(t *testing.T, client *http.Client, method, u, token string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	require.NoError(t, err, "%s %s", method, u)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode
}

func TestConfigRefusesBadMetricsAuth(t *testing.T) {
	_, err := ParseConfigBytes([]byte("metrics_auth: tokens\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `metrics_auth: "tokens" is not one of open, token`)
	cfg, err := ParseConfigBytes([]byte("auth: strict\nmetrics_auth: open\n"))
	require.NoError(t, err)
	assert.Equal(t, auth.MetricsOpen, cfg.MetricsAuth)
}
