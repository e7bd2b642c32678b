//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCollectorRulesToAlertmanager runs bin/collector with a rules: section
// and a real Alertmanager: the collector's /api/v1/rules, /api/v1/alerts and
// /api/v1/alertmanagers answer from the rules engine, ALERTS is queryable,
// Alertmanager shows the alert active and then resolved, and the event log
// holds alert_firing then alert_resolved.
func TestCollectorRulesToAlertmanager(t *testing.T) {
	dir := t.TempDir()
	amPort := freePort(t)
	amURL := fmt.Sprintf("http://127.0.0.1:%d", amPort)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "am.yml"), []byte("route: {receiver: none, group_wait: 0s, group_interval: 1s}\nreceivers: [{name: none}]\n"), 0o644))
	start(t, binary(t, "alertmanager"), "--config.file", filepath.Join(dir, "am.yml"), "--storage.path", filepath.Join(dir, "am"),
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", amPort), "--cluster.listen-address=")
	waitHTTP(t, amURL+"/-/ready", 30*time.Second)

	// Fires until stop, then resolves.
	stop := time.Now().Add(8 * time.Second).Unix()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rules.yml"), []byte(fmt.Sprintf(`
groups:
  - name: e2e
    interval: 1s
    rules:
      - alert: E2EWindow
        expr: vector(time()) < %d
        labels: {severity: page, model: fraud}
`, stop)), 0o644))
	cfg := filepath.Join(dir, "collector.yml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`
auth: disabled
rules:
  evaluation_interval: 1s
  rule_files: [rules.yml]
  alertmanagers: [%s]
  resend_delay: 1s
`, amURL)), 0o644))
	base, _ := startCollector(t, "--config", cfg)

	get := func(u string, v any) {
		t.Helper()
		resp, err := http.Get(u)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, u)
		require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
	}
	type promAlerts struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	require.Eventually(t, func() bool {
		var a promAlerts
		get(base+"/api/v1/alerts", &a)
		return len(a.Data.Alerts) == 1 && a.Data.Alerts[0].State == "firing"
	}, 20*time.Second, 200*time.Millisecond, "collector /api/v1/alerts never showed the alert firing")

	var rules struct {
		Data struct {
			Groups []struct {
				Name string `json:"name"`
			} `json:"groups"`
		} `json:"data"`
	}
	get(base+"/api/v1/rules", &rules)
	var groups []string
	for _, g := range rules.Data.Groups {
		groups = append(groups, g.Name)
	}
	// The rule file's group and the collector's own: disk space alerts and
	// the cost budget (quiet without a cost: block: it compares series
	// only a cost block writes).
	assert.ElementsMatch(t, []string{"e2e", "mlectl-collector", "mlectl-cost"}, groups)
	var ams struct {
		Data struct {
			Active []struct {
				URL string `json:"url"`
			} `json:"activeAlertmanagers"`
		} `json:"data"`
	}
	get(base+"/api/v1/alertmanagers", &ams)
	require.Len(t, ams.Data.Active, 1)
	assert.Equal(t, amURL+"/api/v2/alerts", ams.Data.Active[0].URL)
	var q struct {
		Data struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	// ALERTS is written from the evaluation after the for-state restore.
	require.Eventually(t, func() bool {
		get(base+"/api/v1/query?query="+url.QueryEscape(`ALERTS{alertname="E2EWindow",alertstate="firing"}`), &q)
		return len(q.Data.Result) == 1
	}, 10*time.Second, 200*time.Millisecond, "ALERTS never written")

	amActive := func() int {
		var as []json.RawMessage
		get(amURL+"/api/v2/alerts?filter=alertname%3D%22E2EWindow%22", &as)
		return len(as)
	}
	require.Eventually(t, func() bool { return amActive() == 1 }, 20*time.Second, 200*time.Millisecond, "never active in Alertmanager")
	require.Eventually(t, func() bool { return amActive() == 0 }, 30*time.Second, 200*time.Millisecond, "never resolved in Alertmanager")

	var evs struct {
		Data []struct {
			Kind  string `json:"kind"`
			Model string `json:"model"`
		} `json:"data"`
	}
	get(base+"/api/v1/events?model=fraud", &evs)
	var kinds []string
	for _, e := range evs.Data {
		kinds = append(kinds, e.Kind)
	}
	assert.Equal(t, []string{"alert_firing", "alert_resolved"}, kinds)
}
