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

	tok, err := ParseConfigBytes([]byte("ingest_auth: token\n"))
	require.NoError(t, err)
	assert.Equal(t, "token", tok.IngestAuth)

	empty, err := ParseConfigBytes(nil)
	require.NoError(t, err)
	assert.Equal(t, Config{}, empty)

	for _, bad := range []struct{ doc, want string }{
		{"limits:\n  max_body_byte: 10\n", "max_body_byte"},
		{"limits:\n  max_future_skew: soon\n", "soon"},
		{"query:\n  timeout: -1s\n", "query.timeout"},
		{"limits: [1]\n", "line 1"},
		{"ingest_auth: closed\n", `ingest_auth: "closed" is not one of open, token`},
	} {
		_, err := ParseConfigBytes([]byte(bad.doc))
		require.Error(t, err, bad.doc)
		assert.Contains(t, err.Error(), bad.want)
	}
}

func TestParseConfigDriftWindow(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want time.Duration
		err  []string
	}{
		{"", 0, nil},
		{"drift: {window: 1m}\n", time.Minute, nil},
		{"drift:\n  window: 10s\n", 10 * time.Second, nil},
		{"drift:\n  window: 1h\n", time.Hour, nil},
		{"drift:\n  window: 5s\n", 0, []string{"drift.window", "between 10s and 1h0m0s", "got 5s"}},
		{"drift:\n  window: 2h\n", 0, []string{"drift.window", "got 2h0m0s"}},
		{"drift:\n  window: -1m\n", 0, []string{"drift.window", "got -1m0s"}},
		{"drift:\n  window: soon\n", 0, []string{"soon", "line 2"}},
		{"drift:\n  windows: 1m\n", 0, []string{"windows"}},
	} {
		cfg, err := ParseConfigBytes([]byte(tc.doc))
		if tc.err != nil {
			require.Error(t, err, tc.doc)
			for _, w := range tc.err {
				assert.Contains(t, err.Error(), w, tc.doc)
			}
			continue
		}
		require.NoError(t, err, tc.doc)
		assert.Equal(t, tc.want, cfg.Drift.Window, tc.doc)
	}
}

func TestParseConfigEngineBackend(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want string
		err  []string
	}{
		{"", "cpu", nil},
		{"engine: {backend: auto}\n", "auto", nil},
		{"engine:\n  backend: cpu\n", "cpu", nil},
		{"engine:\n  backend: opencl\n", "opencl", nil},
		{"engine:\n  backend: cuda\n", "cuda", nil},
		{"engine:\n  backend: gpu\n", "", []string{"engine.backend", `unknown backend "gpu"`, "auto, cpu, opencl or cuda"}},
		{"engine:\n  backend: CUDA\n", "", []string{"engine.backend", `"CUDA"`}},
		{"engine:\n  backends: cpu\n", "", []string{"backends"}},
	} {
		cfg, err := ParseConfigBytes([]byte(tc.doc))
		if tc.err != nil {
			require.Error(t, err, tc.doc)
			for _, w := range tc.err {
				assert.Contains(t, err.Error(), w, tc.doc)
			}
			continue
		}
		require.NoError(t, err, tc.doc)
		assert.Equal(t, tc.want, cfg.Engine.BackendName(), tc.doc)
	}
}
