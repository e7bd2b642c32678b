//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/alerting"
	"github.com/mlectl/mlectl/tsdb"
)

// TestAlertmanagerReceivesThenResolves runs the alerting manager on its real
// schedule against a real Alertmanager v0.35.0 (bin/alertmanager): the alert
// shows up active in Alertmanager's /api/v2/alerts and reaches
// Alertmanager's webhook receiver as firing, then, once the condition
// clears, leaves /api/v2/alerts and reaches the receiver as resolved.
func TestAlertmanagerReceivesThenResolves(t *testing.T) {
	// The receiver behind Alertmanager.
	var mu sync.Mutex
	var got []alerting.WebhookMessage
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m alerting.WebhookMessage
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &m); err == nil {
			mu.Lock()
			got = append(got, m)
			mu.Unlock()
		}
	}))
	defer hook.Close()
	statuses := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var s []string
		for _, m := range got {
			s = append(s, m.Status)
		}
		return s
	}

	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %s/
        send_resolved: true
`, hook.URL)), 0o644))
	port := freePort(t)
	amURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	start(t, binary(t, "alertmanager"), "--config.file", cfg, "--storage.path", filepath.Join(dir, "am"),
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port), "--cluster.listen-address=")
	waitHTTP(t, amURL+"/-/ready", 30*time.Second)

	db, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	defer db.Close()
	flag := labels.FromStrings("__name__", "e2e_flag", "model", "fraud")
	set := func(v float64) {
		app := db.Appender(context.Background())
		_, err := app.Append(0, flag, time.Now().UnixMilli(), v)
		require.NoError(t, err)
		require.NoError(t, app.Commit())
	}
	set(1)
	rules := filepath.Join(dir, "rules.yml")
	require.NoError(t, os.WriteFile(rules, []byte(`
groups:
  - name: e2e
    interval: 1s
    rules:
      - alert: E2EModelDown
        expr: e2e_flag == 1
        labels: {severity: page}
        annotations: {summary: "model {{ $labels.model }} down", runbook: error-rate-slo-burn}
`), 0o644))
	m, err := alerting.New(alerting.Options{Storage: db, RuleFiles: []string{rules}, Alertmanagers: []string{amURL},
		ResendDelay: time.Second, ExternalURL: "http://collector.test"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- m.Run(ctx) }()
	defer func() {
		cancel()
		<-runDone
		m.Stop()
	}()
	require.Eventually(t, func() bool { return len(m.Alertmanagers()) == 1 }, 10*time.Second, 10*time.Millisecond,
		"the notifier never picked up the Alertmanager URL")

	type amAlert struct {
		Labels map[string]string `json:"labels"`
		Status struct {
			State string `json:"state"`
		} `json:"status"`
		GeneratorURL string `json:"generatorURL"`
	}
	amAlerts := func() []amAlert {
		resp, err := http.Get(amURL + "/api/v2/alerts?filter=alertname%3D%22E2EModelDown%22")
		require.NoError(t, err)
		defer resp.Body.Close()
		var as []amAlert
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&as))
		return as
	}
	require.Eventually(t, func() bool {
		as := amAlerts()
		return len(as) == 1 && as[0].Status.State == "active"
	}, 30*time.Second, 200*time.Millisecond, "alert never became active in Alertmanager")
	as := amAlerts()
	assert.Equal(t, "fraud", as[0].Labels["model"])
	assert.Contains(t, as[0].GeneratorURL, "http://collector.test/graph?g0.expr=")
	require.Eventually(t, func() bool { return len(statuses()) >= 1 }, 30*time.Second, 100*time.Millisecond)
	assert.Equal(t, "firing", statuses()[0])

	set(0)
	require.Eventually(t, func() bool { return len(amAlerts()) == 0 }, 30*time.Second, 200*time.Millisecond,
		"alert never resolved in Alertmanager")
	require.Eventually(t, func() bool {
		s := statuses()
		return len(s) >= 2 && s[len(s)-1] == "resolved"
	}, 30*time.Second, 100*time.Millisecond, "receiver never got the resolved notification")
}

// TestDriftRulesPromtool checks the generated drift rules with Prometheus's
// own tools: `promtool check rules` accepts them and `promtool test rules`
// sees FeatureDrift fire only after three drifted 5m windows, and never for
// a model under the low-traffic guard.
func TestDriftRulesPromtool(t *testing.T) {
	promtool := binary(t, "promtool")
	cfg, err := alerting.DecodeDriftConfig([]byte("window: 5m\nmin_events: 100\ndefaults: {feature_windows: 3, dataset_share: -1, skew_windows: -1}\n"))
	require.NoError(t, err)
	rules, err := cfg.YAML()
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "drift.rules.yml"), rules, 0o644))
	out, err := exec.Command(promtool, "check", "rules", filepath.Join(dir, "drift.rules.yml")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "SUCCESS")

	test := `
rule_files: [drift.rules.yml]
evaluation_interval: 1m
tests:
  # Counters every minute, one drift verdict per 5m window.
  - interval: 1m
    input_series:
      - series: 'mle_feature_drifted{model="fraud",version="v1",feature="amount",method="psi",against="baseline"}'
        values: '0 _x4 1 _x4 1 _x4 1 _x4 1'
      - series: 'mle_predictions_total{model="fraud",version="v1",role="primary",status="ok"}'
        values: '0+200x20'
      - series: 'mle_feature_drifted{model="quiet",version="v1",feature="amount",method="psi",against="baseline"}'
        values: '0 _x4 1 _x4 1 _x4 1 _x4 1'
      - series: 'mle_predictions_total{model="quiet",version="v1",role="primary",status="ok"}'
        values: '0+2x20'
    alert_rule_test:
      - eval_time: 14m
        alertname: FeatureDrift
        exp_alerts: []
      - eval_time: 15m
        alertname: FeatureDrift
        exp_alerts:
          - exp_labels: {model: fraud, version: v1, feature: amount, method: psi, against: baseline, severity: ticket}
            exp_annotations:
              runbook: feature-drift
              summary: Feature amount of model fraud drifted (against baseline) for 3 consecutive 5m windows
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "drift.test.yml"), []byte(test), 0o644))
	out, err = exec.Command(promtool, "test", "rules", filepath.Join(dir, "drift.test.yml")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "SUCCESS")
}
