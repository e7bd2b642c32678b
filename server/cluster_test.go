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

const (
	clusterAdmin     = "ops-secret-token-0123456789"
	clusterResponder = "oncall-secret-token-0123456789"
)

// member is one collector of the two-collector cluster under test.
type member struct {
	name string
	url  string
	s    *server.Server
	stop func() // stops Run and closes, as a collector that went down
}

// startCluster runs collectors a (owns demand) and b (owns fraud), each
// with its own badger directories, tokens configured alike, and the other
// as its static peer.
func startCluster(t *testing.T) (a, b *member) {
	t.Helper()
	la, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lb, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	urlA, urlB := "http://"+la.Addr().String(), "http://"+lb.Addr().String()
	routing := t.TempDir()
	fleetRules := filepath.Join(routing, "fleet.yml")
	require.NoError(t, os.WriteFile(fleetRules, []byte(`groups:
  - name: fleet-slo
    rules:
      - record: fleet:mle_predictions:rate5m
        expr: sum(rate(mle_predictions_total[5m]))
`), 0o600))
	conf := func(name, url, model, peer, peerURL, peerModel string) collector.Config {
		raw := fmt.Sprintf(`
tokens:
  - {name: ops, role: admin, token: %s}
  - {name: oncall, role: responder, token: %s}
models:
  - {name: %s, actuator: {kind: file, path: %q}}
cluster:
  name: %s
  url: %s
  models: [%s]
  peers: [{name: %s, url: %s, models: [%s]}]
  fleet_rules: collector-a
  fleet_rule_files: [%q]
  timeout: 5s
`, clusterAdmin, clusterResponder, model, filepath.Join(routing, model+".json"), name, url, model, peer, peerURL, peerModel, fleetRules)
		cfg, err := collector.ParseConfigBytes([]byte(raw))
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
	a = run("collector-a", urlA, la, conf("collector-a", urlA, "demand", "collector-b", urlB, "fraud"))
	b = run("collector-b", urlB, lb, conf("collector-b", urlB, "fraud", "collector-a", urlA, "demand"))
	return a, b
}

func sha(c byte) string { return strings.Repeat(string(c), 64) }

// registerVersions gives model v1 (production) and v2 (promoted), through
// the collector at base: v1 is the rollback target.
func registerVersions(t *testing.T, base, model string) {
	t.Helper()
	for _, v := range []string{
		`{"version":"v1","artifact_uri":"s3://m/v1","sha256":"` + sha('a') + `","baseline":"s3://d/train.parquet","stage":"production"}`,
		`{"version":"v2","artifact_uri":"s3://m/v2","sha256":"` + sha('b') + `","baseline":"s3://d/train.parquet","stage":"shadow"}`,
	} {
		code, body := testutil.Do(t, http.MethodPost, base+"/api/v1/models/"+model+"/versions", clusterAdmin, v)
		require.Equal(t, http.StatusCreated, code, string(body))
	}
	code, body := testutil.Do(t, http.MethodPost, base+"/api/v1/models/"+model+"/promote", clusterAdmin, `{"version":"v2"}`)
	require.Equal(t, http.StatusOK, code, string(body))
}

func listModels(t *testing.T, base string) map[string]api.ModelState {
	t.Helper()
	code, body := testutil.Do(t, http.MethodGet, base+"/api/v1/models", "", "")
	require.Equal(t, http.StatusOK, code, string(body))
	var env struct{ Data []api.ModelState }
	require.NoError(t, json.Unmarshal(body, &env))
	out := map[string]api.ModelState{}
	for _, m := range env.Data {
		out[m.Name] = m
	}
	return out
}

func auditEntries(t *testing.T, base string) []api.AuditEntry {
	t.Helper()
	code, body := testutil.Do(t, http.MethodGet, base+"/api/v1/audit", clusterAdmin, "")
	require.Equal(t, http.StatusOK, code, string(body))
	var env struct{ Data []api.AuditEntry }
	require.NoError(t, json.Unmarshal(body, &env))
	return env.Data
}

// TestClusterOfTwoCollectors: two collectors on 127.0.0.1 own a model
// each. Either lists both; a model's calls through the other collector
// are served (and audited) by its owner; records sent to the wrong
// collector are refused naming the owner; with the owner stopped, the
// other collector still lists its own models and says which owner is down.
func TestClusterOfTwoCollectors(t *testing.T) {
	a, b := startCluster(t)
	registerVersions(t, a.url, "demand")
	registerVersions(t, a.url, "fraud") // through a: registered on b

	t.Run("either collector lists every model with its owner", func(t *testing.T) {
		for _, c := range []*member{a, b} {
			ms := listModels(t, c.url)
			require.Len(t, ms, 2, c.name)
			assert.Equal(t, &api.ModelCollector{Name: "collector-a", URL: a.url, Reachable: true}, ms["demand"].Collector, c.name)
			assert.Equal(t, &api.ModelCollector{Name: "collector-b", URL: b.url, Reachable: true}, ms["fraud"].Collector, c.name)
			assert.Equal(t, "v2", ms["fraud"].Production, c.name)
		}
	})

	t.Run("fleet rules are evaluated by collector-a only", func(t *testing.T) {
		require.NotNil(t, a.s.Rules)
		var names []string
		for _, g := range a.s.Rules.RuleGroups() {
			names = append(names, g.Name())
		}
		assert.Contains(t, names, "fleet-slo")
		assert.Nil(t, b.s.Rules, "b has no rules of its own and skips the fleet's")
	})

	t.Run("each collector announces itself and its models as series", func(t *testing.T) {
		for _, c := range []*member{a, b} {
			model := map[string]string{"collector-a": "demand", "collector-b": "fraud"}[c.name]
			require.Eventually(t, func() bool {
				code, body := testutil.Do(t, http.MethodGet, c.url+"/api/v1/query?query=mle_model_owner", "", "")
				return code == http.StatusOK && strings.Contains(string(body), `"collector":"`+c.name+`","model":"`+model+`"`)
			}, 10*time.Second, 20*time.Millisecond, "%s announces %s", c.name, model)
			code, body := testutil.Do(t, http.MethodGet, c.url+"/api/v1/query?query=mle_collector_info", "", "")
			require.Equal(t, http.StatusOK, code)
			assert.Contains(t, string(body), `"collector":"`+c.name+`","url":"`+c.url+`"`)
		}
	})

	t.Run("a rollback through a of b's model is performed and audited by b", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, a.url+"/api/v1/models/fraud/rollback", strings.NewReader(`{"reason":"drift on amount"}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+clusterResponder)
		resp, body := testutil.Send(t, req)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Equal(t, "collector-b", resp.Header.Get(cluster.HeaderServedBy))

		st, err := b.s.Meta.Registry.Get(context.Background(), "fraud")
		require.NoError(t, err)
		assert.Equal(t, "v1", st.Production, "b's registry rolled back")
		assert.Equal(t, "v1", listModels(t, a.url)["fraud"].Production, "a's list shows b's rollback")
		_, err = a.s.Meta.Registry.Get(context.Background(), "fraud")
		require.Error(t, err, "a holds no copy of b's model")

		rollbacks := func(es []api.AuditEntry) (n int, actor string) {
			for _, e := range es {
				if e.Path == "/api/v1/models/fraud/rollback" {
					n++
					actor = e.Actor
				}
			}
			return n, actor
		}
		n, actor := rollbacks(auditEntries(t, b.url))
		assert.Equal(t, 1, n, "b audited the rollback")
		assert.Equal(t, "oncall", actor, "as the real caller")
		n, _ = rollbacks(auditEntries(t, a.url))
		assert.Zero(t, n, "a did not")
		code, body := testutil.Do(t, http.MethodGet, a.url+"/api/v1/audit?collector=collector-b", clusterAdmin, "")
		require.Equal(t, http.StatusOK, code, string(body))
		assert.Contains(t, string(body), "/api/v1/models/fraud/rollback", "?collector= reads b's audit through a")
	})

	t.Run("a model's events are posted and read on its owner through either collector", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, a.url+"/api/v1/events", strings.NewReader(`{"model":"fraud","text":"feature store lagging"}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+clusterResponder)
		resp, body := testutil.Send(t, req)
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
		assert.Equal(t, "collector-b", resp.Header.Get(cluster.HeaderServedBy))
		for _, c := range []*member{a, b} {
			code, body := testutil.Do(t, http.MethodGet, c.url+"/api/v1/events?model=fraud", "", "")
			require.Equal(t, http.StatusOK, code, string(body))
			assert.Contains(t, string(body), "feature store lagging", c.name)
		}
		code, body := testutil.Do(t, http.MethodGet, a.url+"/api/v1/events", "", "")
		require.Equal(t, http.StatusOK, code, string(body))
		assert.NotContains(t, string(body), "feature store lagging", "a's own events hold none of b's")
	})

	t.Run("records of another collector's model are refused naming the owner", func(t *testing.T) {
		ts := time.Now().UTC().Format(time.RFC3339Nano)
		lines := `{"model":"demand","version":"v2","role":"production","request_id":"r1","ts":"` + ts + `","latency_ms":2,"features":{"x":1},"prediction":1,"status":"ok"}` + "\n" +
			`{"model":"fraud","version":"v2","role":"production","request_id":"r2","ts":"` + ts + `","latency_ms":2,"features":{"x":1},"prediction":1,"status":"ok"}` + "\n"
		code, resp := testutil.DoJSON(t, http.MethodPost, a.url+"/api/v1/predictions", "", lines)
		assert.Equal(t, http.StatusBadRequest, code)
		assert.EqualValues(t, 1, resp["accepted"], "demand's line is kept")
		errs, _ := resp["errors"].([]any)
		require.Len(t, errs, 1, resp)
		e := errs[0].(map[string]any)
		assert.EqualValues(t, 2, e["line"])
		assert.Equal(t, "model", e["field"])
		assert.Contains(t, e["error"], "owned by collector collector-b ("+b.url+")")
	})

	t.Run("with b stopped, a lists its models and says b's owner is down", func(t *testing.T) {
		b.stop()
		ms := listModels(t, a.url)
		require.Len(t, ms, 2)
		assert.True(t, ms["demand"].Collector.Reachable)
		fraud := ms["fraud"].Collector
		assert.False(t, fraud.Reachable)
		assert.Equal(t, "collector-b", fraud.Name)
		assert.Contains(t, fraud.Error, "collector collector-b ("+b.url+") is unreachable")
		assert.Equal(t, "v1", ms["fraud"].Production, "as last seen from b")

		code, body := testutil.Do(t, http.MethodGet, a.url+"/api/v1/models/fraud", "", "")
		assert.Equal(t, http.StatusServiceUnavailable, code)
		assert.Contains(t, string(body), `model \"fraud\" is owned by collector collector-b (`+b.url+`), which is unreachable`)
		code, body = testutil.Do(t, http.MethodGet, a.url+"/api/v1/models/demand", "", "")
		assert.Equal(t, http.StatusOK, code, string(body))
	})
}
