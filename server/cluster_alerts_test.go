package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/cluster"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/server"
)

const clusterGateway = "gateway-secret-token-0123456789"

// startAlertingCluster runs collectors a and b on 127.0.0.1, each with an
// alerting rule of its own that fires at once and one both share (the
// same labels on each: DiskLow).
func startAlertingCluster(t *testing.T) (a, b *member) {
	t.Helper()
	la, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lb, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	urlA, urlB := "http://"+la.Addr().String(), "http://"+lb.Addr().String()
	dir := t.TempDir()
	rules := func(name, alert, model string) string {
		file := filepath.Join(dir, name+".yml")
		require.NoError(t, os.WriteFile(file, []byte(fmt.Sprintf(`groups:
  - name: %[1]s
    rules:
      - alert: %[2]s
        expr: vector(1)
        labels: {model: %[3]s, severity: critical}
      - alert: DiskLow
        expr: vector(1)
        labels: {severity: warning}
`, name, alert, model)), 0o600))
		return file
	}
	conf := func(name, self, model, alert, peer, peerURL string) collector.Config {
		cfg, err := collector.ParseConfigBytes([]byte(fmt.Sprintf(`
tokens:
  - {name: ops, role: admin, token: %s}
  - {name: oncall, role: responder, token: %s}
  - {name: ssh-gateway, role: responder, token: %s, delegate: true}
rules:
  evaluation_interval: 100ms
  rule_files: [%q]
cluster:
  name: %s
  url: %s
  models: [%s]
  peers: [{name: %s, url: %s}]
  timeout: 5s
`, clusterAdmin, clusterResponder, clusterGateway, rules(name, alert, model), name, self, model, peer, peerURL)))
		require.NoError(t, err)
		return cfg
	}
	run := func(name, url string, l net.Listener, cfg collector.Config) *member {
		s, err := server.Assemble(context.Background(), server.Config{Collector: cfg, DataDir: t.TempDir(), Listener: l})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		_, err = s.Storage(context.Background())
		require.NoError(t, err)
		stopped := false
		stop := func() {
			if stopped {
				return
			}
			stopped = true
			cancel()
			require.NoError(t, <-done)
			require.NoError(t, s.Close())
		}
		t.Cleanup(stop)
		return &member{name: name, url: url, s: s, stop: stop}
	}
	a = run("collector-a", urlA, la, conf("collector-a", urlA, "demand", "DemandLatency", "collector-b", urlB))
	b = run("collector-b", urlB, lb, conf("collector-b", urlB, "fraud", "FraudDrift", "collector-a", urlA))
	return a, b
}

type alertsAnswer struct {
	Data     []api.ActiveAlert `json:"data"`
	Warnings []string          `json:"warnings"`
}

func alertStates(t *testing.T, base string) alertsAnswer {
	t.Helper()
	code, body := testutil.Do(t, http.MethodGet, base+"/api/v1/alerts/state", "", "")
	require.Equal(t, http.StatusOK, code, string(body))
	var out alertsAnswer
	require.NoError(t, json.Unmarshal(body, &out))
	return out
}

// byCollector indexes a merged list by "collector/alertname".
func byCollector(as []api.ActiveAlert) map[string]api.ActiveAlert {
	out := map[string]api.ActiveAlert{}
	for _, a := range as {
		name := "?"
		if a.Collector != nil {
			name = a.Collector.Name
		}
		out[name+"/"+a.Name] = a
	}
	return out
}

// TestClusterAlerts: either collector's alerts list shows every
// collector's alerts, each marked with its collector; an ack through a of
// b's alert (found by its id) is performed and audited by b as the
// caller (and the person a delegating token acts for); ?collector= picks
// the collector for an alert both hold and for silences; with b down, a's
// list still answers, b's alerts as last seen and marked unreachable.
func TestClusterAlerts(t *testing.T) {
	a, b := startAlertingCluster(t)
	want := []string{"collector-a/DemandLatency", "collector-a/DiskLow", "collector-b/DiskLow", "collector-b/FraudDrift"}
	var merged map[string]api.ActiveAlert
	require.Eventually(t, func() bool {
		merged = byCollector(alertStates(t, a.url).Data)
		for _, k := range want {
			if merged[k].State != "firing" {
				return false
			}
		}
		return true
	}, 20*time.Second, 50*time.Millisecond)

	t.Run("either collector lists every collector's alerts, each marked", func(t *testing.T) {
		for _, c := range []*member{a, b} {
			got := alertStates(t, c.url)
			assert.Empty(t, got.Warnings, c.name)
			m := byCollector(got.Data)
			assert.Len(t, m, 4, c.name)
			for _, k := range want {
				require.Contains(t, m, k, c.name)
				owner := strings.Split(k, "/")[0]
				url := map[string]string{"collector-a": a.url, "collector-b": b.url}[owner]
				assert.Equal(t, &api.ModelCollector{Name: owner, URL: url, Reachable: true}, m[k].Collector, "%s on %s", k, c.name)
			}
			assert.Equal(t, m["collector-a/DiskLow"].ID, m["collector-b/DiskLow"].ID, "the same labels, the same fingerprint")
		}
		// A peer asking (a forwarded call) gets the collector's own alone.
		req, err := http.NewRequest(http.MethodGet, b.url+"/api/v1/alerts/state", nil)
		require.NoError(t, err)
		req.Header.Set(cluster.HeaderForwardedBy, "collector-a")
		resp, body := testutil.Send(t, req)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var own alertsAnswer
		require.NoError(t, json.Unmarshal(body, &own))
		assert.Len(t, own.Data, 2)
	})

	t.Run("an ack through a of b's alert is performed and audited by b", func(t *testing.T) {
		id := merged["collector-b/FraudDrift"].ID
		req, err := http.NewRequest(http.MethodPost, a.url+"/api/v1/alerts/ack", strings.NewReader(`{"id":"`+id+`","comment":"on it"}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+clusterGateway)
		req.Header.Set(api.HeaderActingFor, "alice")
		resp, body := testutil.Send(t, req)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Equal(t, "collector-b", resp.Header.Get(cluster.HeaderServedBy))

		m := byCollector(alertStates(t, a.url).Data)
		require.NotNil(t, m["collector-b/FraudDrift"].Ack, "b holds the ack")
		assert.Equal(t, "alice via ssh-gateway", m["collector-b/FraudDrift"].Ack.By, "as the person the token acts for")
		assert.Nil(t, m["collector-a/DemandLatency"].Ack)
		for _, al := range b.s.Rules.Alerts() {
			if al.ID == id {
				require.NotNil(t, al.Ack)
			}
		}
		acks := func(es []api.AuditEntry) (n int, actor string) {
			for _, e := range es {
				if e.Path == "/api/v1/alerts/ack" {
					n++
					actor = e.Actor
				}
			}
			return n, actor
		}
		n, actor := acks(auditEntries(t, b.url))
		assert.Equal(t, 1, n, "b audited the ack")
		assert.Equal(t, "alice via ssh-gateway", actor)
		n, _ = acks(auditEntries(t, a.url))
		assert.Zero(t, n, "a did not")
	})

	t.Run("an alert both hold: here by default, ?collector= picks the other", func(t *testing.T) {
		id := merged["collector-b/DiskLow"].ID
		code, body := testutil.Do(t, http.MethodPost, a.url+"/api/v1/alerts/ack?collector=collector-b", clusterResponder, `{"id":"`+id+`"}`)
		require.Equal(t, http.StatusOK, code, string(body))
		m := byCollector(alertStates(t, a.url).Data)
		require.NotNil(t, m["collector-b/DiskLow"].Ack)
		assert.Nil(t, m["collector-a/DiskLow"].Ack, "a's alert of the same labels is not b's")

		code, body = testutil.Do(t, http.MethodPost, a.url+"/api/v1/alerts/ack", clusterResponder, `{"id":"`+id+`"}`)
		require.Equal(t, http.StatusOK, code, string(body))
		m = byCollector(alertStates(t, a.url).Data)
		require.NotNil(t, m["collector-a/DiskLow"].Ack, "without ?collector= the collector asked acks its own")
	})

	t.Run("a silence through a with ?collector= is b's", func(t *testing.T) {
		code, body := testutil.Do(t, http.MethodPost, a.url+"/api/v1/silences?collector=collector-b", clusterResponder,
			`{"matchers":"{alertname=\"FraudDrift\",model=\"fraud\"}","duration":"1h","comment":"known"}`)
		require.Equal(t, http.StatusOK, code, string(body))
		require.Eventually(t, func() bool {
			return len(byCollector(alertStates(t, a.url).Data)["collector-b/FraudDrift"].SilencedBy) == 1
		}, 10*time.Second, 50*time.Millisecond)
		assert.Len(t, b.s.Rules.Silences(), 1)
		assert.Empty(t, a.s.Rules.Silences())
	})

	t.Run("an unknown id is a 404", func(t *testing.T) {
		code, body := testutil.Do(t, http.MethodPost, a.url+"/api/v1/alerts/ack", clusterResponder, `{"id":"0123456789abcdef"}`)
		assert.Equal(t, http.StatusNotFound, code, string(body))
	})

	t.Run("with b down, a lists b's alerts as last seen, marked unreachable", func(t *testing.T) {
		fraudID := merged["collector-b/FraudDrift"].ID
		b.stop()
		got := alertStates(t, a.url)
		m := byCollector(got.Data)
		require.Len(t, m, 4)
		assert.True(t, m["collector-a/DemandLatency"].Collector.Reachable)
		fraud := m["collector-b/FraudDrift"]
		assert.False(t, fraud.Collector.Reachable)
		assert.Contains(t, fraud.Collector.Error, "collector collector-b ("+b.url+") is unreachable")
		require.Len(t, got.Warnings, 1)
		assert.Contains(t, got.Warnings[0], "collector-b")
		assert.Contains(t, got.Warnings[0], "as last seen")

		code, body := testutil.Do(t, http.MethodPost, a.url+"/api/v1/alerts/ack", clusterResponder, `{"id":"`+fraudID+`"}`)
		assert.Equal(t, http.StatusServiceUnavailable, code, string(body))
		assert.Contains(t, string(body), "collector-b")
	})
}
