//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/alerting"
)

// TestCostRulesPromtool checks the collector's own rule file with
// Prometheus's tools: `promtool check rules` accepts it and `promtool test
// rules` sees CostOverBudget fire as a ticket once a model's hourly cost
// stays above its budget for 15 minutes, and stay quiet for a model under
// its budget and for one without a budget.
func TestCostRulesPromtool(t *testing.T) {
	promtool := binary(t, "promtool")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "collector.rules.yml"), []byte(alerting.CollectorRules()), 0o644))
	out, err := exec.Command(promtool, "check", "rules", filepath.Join(dir, "collector.rules.yml")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "SUCCESS")

	test := `
rule_files: [collector.rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'mle_cost_hourly{model="fraud"}'
        values: '10x9 15x30'
      - series: 'mle_cost_budget_hourly{model="fraud"}'
        values: '12x39'
      - series: 'mle_cost_hourly{model="chat"}'
        values: '5x39'
      - series: 'mle_cost_budget_hourly{model="chat"}'
        values: '12x39'
      - series: 'mle_cost_hourly{model="idle"}'
        values: '100x39'
    alert_rule_test:
      - eval_time: 9m
        alertname: CostOverBudget
        exp_alerts: []
      - eval_time: 24m
        alertname: CostOverBudget
        exp_alerts: []
      - eval_time: 25m
        alertname: CostOverBudget
        exp_alerts:
          - exp_labels: {model: fraud, severity: ticket}
            exp_annotations:
              runbook: serving-cost-overrun
              summary: Model fraud costs 15.00 an hour, over its budget_hourly of 12.00
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "collector.test.yml"), []byte(test), 0o644))
	out, err = exec.Command(promtool, "test", "rules", filepath.Join(dir, "collector.test.yml")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "SUCCESS")
}
