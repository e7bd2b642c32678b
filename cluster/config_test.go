package cluster_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/collector"
)

// TestClusterConfig: the cluster: block is checked when the collector's
// configuration is parsed; each mistake is refused naming its field.
func TestClusterConfig(t *testing.T) {
	const peers = "  peers: [{name: collector-b, url: 'http://10.0.0.2:9710', models: [fraud]}]\n"
	for _, tc := range []struct {
		name, yaml, err string
	}{
		{"valid", "cluster:\n  name: collector-a\n  url: http://10.0.0.1:9710\n  models: [demand]\n  fleet_rules: collector-b\n" + peers, ""},
		{"no name", "cluster:\n  url: http://10.0.0.1:9710\n", "cluster.name"},
		{"no url", "cluster:\n  name: a\n", "cluster.url"},
		{"url with a path", "cluster:\n  name: a\n  url: http://10.0.0.1:9710/api\n", "cluster.url"},
		{"bad ownership", "cluster:\n  name: a\n  url: http://10.0.0.1:9710\n  ownership: random\n", "cluster.ownership"},
		{"peer named as self", "cluster:\n  name: collector-b\n  url: http://10.0.0.1:9710\n" + peers, "cluster.peers[0].name"},
		{"peer url twice", "cluster:\n  name: a\n  url: http://10.0.0.2:9710\n" + peers, "cluster.peers[0].url"},
		{"model owned twice", "cluster:\n  name: a\n  url: http://10.0.0.1:9710\n  models: [fraud]\n" + peers, `model "fraud" is listed for both a and collector-b`},
		{"bad model name", "cluster:\n  name: a\n  url: http://10.0.0.1:9710\n  models: ['fr aud']\n", "cluster.models"},
		{"fleet_rules unknown", "cluster:\n  name: a\n  url: http://10.0.0.1:9710\n  fleet_rules: c\n", "cluster.fleet_rules"},
		{"fleet files without collector", "cluster:\n  name: a\n  url: http://10.0.0.1:9710\n  fleet_rule_files: [f.yml]\n", "cluster.fleet_rule_files"},
		{"unknown key", "cluster:\n  name: a\n  url: http://10.0.0.1:9710\n  owner: b\n", "owner"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := collector.ParseConfigBytes([]byte(tc.yaml))
			if tc.err == "" {
				require.NoError(t, err)
				require.NotNil(t, cfg.Cluster)
				assert.Equal(t, "collector-a", cfg.Cluster.Self().Name)
				assert.Len(t, cfg.Cluster.Members(), 2)
				assert.False(t, cfg.Cluster.EvaluatesFleetRules())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
	cfg, err := collector.ParseConfigBytes([]byte("limits: {}\n"))
	require.NoError(t, err)
	assert.Nil(t, cfg.Cluster, "no cluster: a collector on its own")
}
