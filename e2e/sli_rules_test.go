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

// TestSLIRulesPromtool checks the explanation-coverage, feature-freshness
// and label-coverage tickets with Prometheus's own tools: `promtool check
// rules` accepts them and `promtool test rules` sees each fire when its
// series crosses the threshold (a per-model 1s freshness for an online
// model, the 1h batch default otherwise), and label coverage stay quiet
// for a model that never received labels.
func TestSLIRulesPromtool(t *testing.T) {
	promtool := binary(t, "promtool")
	cfg, err := alerting.DecodeDriftConfig([]byte(`window: 5m
min_events: 100
defaults: {feature_windows: -1, dataset_share: -1, skew_windows: -1}
models: [{model: online, feature_freshness: 1s}]
`))
	require.NoError(t, err)
	rules, err := cfg.YAML()
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sli.rules.yml"), rules, 0o644))
	// --lint=none: a model with its own settings has the same alert names
	// in its group and (excluded by selector) in the default group, which
	// the duplicate-rules lint reports although the series never overlap.
	out, err := exec.Command(promtool, "check", "rules", "--lint=none", filepath.Join(dir, "sli.rules.yml")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "SUCCESS")

	test := `
rule_files: [sli.rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'mle_predictions_total{model="fraud",version="v1",role="production",status="ok"}'
        values: '0+200x30'
      - series: 'mle_predictions_total{model="online",version="v1",role="production",status="ok"}'
        values: '0+200x30'
      - series: 'mle_predictions_total{model="nolabels",version="v1",role="production",status="ok"}'
        values: '0+200x30'
      # one value per 5m window
      - series: 'mle_explanation_coverage_ratio{model="fraud",version="v1"}'
        values: '0.99 _x4 0.5 _x4 0.5'
      - series: 'mle_feature_freshness_seconds{model="fraud",version="v1",feature="amount",quantile="0.99"}'
        values: '10 _x4 10 _x4 7200'
      - series: 'mle_feature_freshness_seconds{model="online",version="v1",feature="clicks",quantile="0.99"}'
        values: '0.2 _x4 2 _x4 2'
      - series: 'mle_label_coverage_ratio{model="fraud",version="v1",role="production"}'
        values: '0.9x14 0.2x10'
      - series: 'mle_label_coverage_ratio{model="nolabels",version="v1",role="production"}'
        values: '0x24'
    alert_rule_test:
      - eval_time: 4m
        alertname: ExplanationCoverageLow
        exp_alerts: []
      - eval_time: 5m
        alertname: ExplanationCoverageLow
        exp_alerts:
          - exp_labels: {model: fraud, version: v1, severity: ticket}
            exp_annotations:
              runbook: feature-explanations
              summary: Only 50% of model fraud's predictions were logged with explanations (threshold 95%)
      - eval_time: 4m
        alertname: FeatureStale
        exp_alerts: []
      - eval_time: 9m
        alertname: FeatureStale
        exp_alerts:
          - exp_labels: {model: online, version: v1, feature: clicks, quantile: "0.99", severity: ticket}
            exp_annotations:
              runbook: feature-freshness
              summary: Feature clicks of model online was 2s old at prediction time (p99; limit 1s)
      - eval_time: 10m
        alertname: FeatureStale
        exp_alerts:
          - exp_labels: {model: online, version: v1, feature: clicks, quantile: "0.99", severity: ticket}
            exp_annotations:
              runbook: feature-freshness
              summary: Feature clicks of model online was 2s old at prediction time (p99; limit 1s)
          - exp_labels: {model: fraud, version: v1, feature: amount, quantile: "0.99", severity: ticket}
            exp_annotations:
              runbook: feature-freshness
              summary: Feature amount of model fraud was 2h 0m 0s old at prediction time (p99; limit 1h)
      - eval_time: 14m
        alertname: LabelCoverageLow
        exp_alerts: []
      - eval_time: 15m
        alertname: LabelCoverageLow
        exp_alerts:
          - exp_labels: {model: fraud, version: v1, role: production, severity: ticket}
            exp_annotations:
              runbook: label-coverage
              summary: Only 20% of model fraud's predictions have a label (threshold 50%)
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sli.test.yml"), []byte(test), 0o644))
	out, err = exec.Command(promtool, "test", "rules", filepath.Join(dir, "sli.test.yml")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "SUCCESS")
}
