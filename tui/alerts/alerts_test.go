package alerts

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mlectl/mlectl/client"
)

func alert(labels ...string) client.Alert {
	l := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		l[labels[i]] = labels[i+1]
	}
	return client.Alert{Labels: l}
}

func TestDistinguishing(t *testing.T) {
	tests := []struct {
		name   string
		alerts []client.Alert
		want   []string
	}{
		{"one per feature, version and reference", []client.Alert{
			alert("alertname", "FeatureDrift", "model", "demand", "feature", "temp", "version", "v12", "against", "baseline"),
			alert("alertname", "FeatureDrift", "model", "demand", "feature", "temp", "version", "v13", "against", "baseline"),
			alert("alertname", "FeatureDrift", "model", "demand", "feature", "hum", "version", "v12", "against", "previous_24h"),
		}, []string{"temp v12 baseline", "temp v13 baseline", "hum v12 previous_24h"}},
		{"labels an SLO alert shares with no other say nothing", []client.Alert{
			alert("alertname", "DemandModelSlow", "model", "demand", "severity", "ticket", "sloth_slo", "latency", "team", "forecasting"),
			alert("alertname", "DemandModelErrors", "model", "demand", "severity", "ticket", "sloth_slo", "availability", "team", "forecasting"),
		}, []string{"", ""}},
		{"same name on two models is told apart by the model column", []client.Alert{
			alert("alertname", "FeatureDrift", "model", "demand", "feature", "temp"),
			alert("alertname", "FeatureDrift", "model", "ranker", "feature", "temp"),
		}, []string{"", ""}},
		{"a label only some alerts carry", []client.Alert{
			alert("alertname", "X", "model", "m", "shard", "a"),
			alert("alertname", "X", "model", "m"),
		}, []string{"a", ""}},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, Distinguishing(tc.alerts), tc.name)
	}
}
