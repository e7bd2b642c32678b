package cost_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/collector"
)

// TestConfigRefusesBadFields: the collector's config parser refuses each
// bad cost field, naming it.
func TestConfigRefusesBadFields(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"negative price", "cost: {models: {fraud: {price_per_replica_hour: -0.5, replicas: 2}}}", "cost.models.fraud.price_per_replica_hour must not be negative"},
		{"NaN price", "cost: {models: {fraud: {price_per_gpu_hour: .nan}}}", "cost.models.fraud.price_per_gpu_hour must be a finite number"},
		{"infinite price", "cost: {models: {fraud: {price_per_1k_tokens: .inf, tokens_per_second: 'vector(1)'}}}", "cost.models.fraud.price_per_1k_tokens must be a finite number"},
		{"negative version price", "cost: {models: {fraud: {versions: {v2: {price_per_replica_hour: -1}}}}}", "cost.models.fraud.versions.v2.price_per_replica_hour must not be negative"},
		{"negative budget", "cost: {models: {fraud: {budget_hourly: -3}}}", "cost.models.fraud.budget_hourly must not be negative"},
		{"negative replicas", "cost: {models: {fraud: {replicas: -1}}}", "cost.models.fraud.replicas must not be negative"},
		{"bad replica query", "cost: {models: {fraud: {replicas: 'kube_deployment_status_replicas{deployment=}'}}}", "cost.models.fraud.replicas"},
		{"range vector replicas", "cost: {models: {fraud: {replicas: 'kube_deployment_status_replicas[5m]'}}}", "want an instant vector or a scalar"},
		{"replicas a list", "cost: {models: {fraud: {replicas: [1, 2]}}}", "replicas must be a number or a PromQL expression"},
		{"tokens price without tokens", "cost: {models: {chat: {price_per_1k_tokens: 0.002}}}", "cost.models.chat: price_per_1k_tokens needs tokens_per_second"},
		{"misspelt field", "cost: {models: {fraud: {price_per_replica_hr: 1}}}", "price_per_replica_hr"},
		{"negative rate window", "cost: {rate_window: -5m}", "rate_window"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := collector.ParseConfigBytes([]byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestConfigAcceptsBothReplicaForms: a number and a PromQL string.
func TestConfigAcceptsBothReplicaForms(t *testing.T) {
	cfg, err := collector.ParseConfigBytes([]byte(`
cost:
  models:
    fraud:
      price_per_replica_hour: 0.34
      replicas: 3
      budget_hourly: 12
      versions:
        v13: {replicas: 'kube_deployment_status_replicas{deployment="fraud-v13"}'}
`))
	require.NoError(t, err)
	m := cfg.Cost.Models["fraud"]
	assert.Equal(t, 3.0, m.Replicas.Fixed)
	assert.Equal(t, `kube_deployment_status_replicas{deployment="fraud-v13"}`, m.Versions["v13"].Replicas.Query)
	assert.Equal(t, 12.0, *m.BudgetHourly)
}
