package collector

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfigBytes([]byte(`
limits:
  max_body_bytes: 1048576
  max_series_per_metric: -1
  max_label_value_length: 512
  max_future_skew: 5m
query:
  timeout: 30s
rules:
  - name: later
tokens: {}
`))
	require.NoError(t, err)
	assert.EqualValues(t, 1<<20, cfg.Limits.MaxBodyBytes)
	assert.Equal(t, 5*time.Minute, cfg.Limits.MaxFutureSkew)
	assert.Equal(t, 30*time.Second, cfg.Query.Timeout)
	assert.NotZero(t, cfg.Rules.Kind, "reserved sections are kept for their owners")

	d := cfg.withDefaults()
	assert.Equal(t, -1, d.Limits.MaxSeriesPerMetric, "negative disables")
	assert.Equal(t, 512, d.Limits.MaxLabelValueLength)
	assert.Equal(t, DefaultMaxLabelsPerSeries, d.Limits.MaxLabelsPerSeries, "zero takes the default")

	empty, err := ParseConfigBytes(nil)
	require.NoError(t, err)
	assert.Equal(t, Config{}, empty)

	for _, bad := range []struct{ doc, want string }{
		{"limits:\n  max_body_byte: 10\n", "max_body_byte"},
		{"limits:\n  max_future_skew: soon\n", "soon"},
		{"query:\n  timeout: -1s\n", "query.timeout"},
		{"limits: [1]\n", "line 1"},
	} {
		_, err := ParseConfigBytes([]byte(bad.doc))
		require.Error(t, err, bad.doc)
		assert.Contains(t, err.Error(), bad.want)
	}
}
