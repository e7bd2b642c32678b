package scenario_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/gameday/scenario"
)

func TestDecode(t *testing.T) {
	cases := []struct {
		name, yaml, err string
	}{
		{"minimal", "model: m\nsteps:\n  - wait: 1s\n", ""},
		{"empty", "", "scenario is empty"},
		{"no model", "steps:\n  - wait: 1s\n", "model: is required"},
		{"no steps", "model: m\n", "steps: want at least one step"},
		{"unknown key", "model: m\nstepz: []\n", "field stepz not found"},
		{"unknown step key", "model: m\nsteps:\n  - sleep: 1s\n", "field sleep not found"},
		{"two actions", "model: m\nsteps:\n  - {wait: 1s, stop: all}\n", "steps[0]: want exactly one of"},
		{"bad wait", "model: m\nsteps:\n  - wait: soon\n", `"soon" is not a duration`},
		{"unknown kind", "model: m\nsteps:\n  - inject: {feature: f, kind: melt, magnitude: 1, duration: 1m}\n", "steps[0].inject.kind: must be one of"},
		{"negative fraction", "model: m\nsteps:\n  - inject: {feature: f, kind: nulls, magnitude: -1, duration: 1m}\n", "steps[0].inject.magnitude:"},
		{"inject without duration", "model: m\nsteps:\n  - inject: {feature: f, kind: shift, magnitude: 3}\n", "steps[0].inject.duration:"},
		{"expect without alert", "model: m\nsteps:\n  - expect: {fires_within: 5m}\n", "steps[0].expect.alert: is required"},
		{"expect without time", "model: m\nsteps:\n  - expect: {alert: A}\n", "steps[0].expect.fires_within:"},
		{"bad stop", "model: m\nsteps:\n  - stop: some\n", "steps[0].stop: must be all or last"},
		{"loadgen without csv", "model: m\nversion: v\nloadgen: {rate: 5}\nsteps:\n  - wait: 1s\n", "loadgen.csv: is required"},
		{"loadgen bad rate", "model: m\nversion: v\nloadgen: {csv: a.csv, rate: 0}\nsteps:\n  - wait: 1s\n", "loadgen.rate:"},
		{"loadgen without version", "model: m\nloadgen: {csv: a.csv, rate: 5}\nsteps:\n  - wait: 1s\n", "loadgen.version: is required"},
		{"loadgen bad order", "model: m\nversion: v\nloadgen: {csv: a.csv, rate: 5, order: shuffled}\nsteps:\n  - wait: 1s\n", "loadgen.order:"},
		{"poll too short", "model: m\npoll: 1ms\nsteps:\n  - wait: 1s\n", "poll: must be at least 100ms"},
		{"negative poll", "model: m\npoll: -1s\nsteps:\n  - wait: 1s\n", "poll: must be at least 100ms"},
		{"two documents", "model: m\nsteps:\n  - wait: 1s\n---\nmodel: n\n", "want one YAML document"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := scenario.Decode([]byte(tc.yaml))
			if tc.err == "" {
				require.NoError(t, err)
				require.NotNil(t, sc)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}

func TestExampleScenario(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "gameday-temp-shift.yaml")
	sc, err := scenario.Load(path)
	require.NoError(t, err)
	assert.Equal(t, "demand", sc.Model)
	require.Len(t, sc.Steps, 6)
	assert.Equal(t, scenario.Duration(30*time.Second), *sc.Steps[0].Wait)
	in := sc.Steps[1].Inject
	require.NotNil(t, in)
	assert.Equal(t, scenario.Inject{Feature: "temp", Kind: gameday.KindShift, Magnitude: 3, Duration: scenario.Duration(10 * time.Minute)}, *in)
	assert.Equal(t, scenario.Expect{Alert: "FeatureDrift", FiresWithin: scenario.Duration(5 * time.Minute), Labels: map[string]string{"feature": "temp"}}, *sc.Steps[2].Expect)
	assert.Equal(t, "all", sc.Steps[5].Stop)
	assert.Equal(t, filepath.Dir(path), sc.Dir)
}

func FuzzDecode(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "gameday-temp-shift.yaml"))
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte("model: m\nsteps:\n  - wait: 1s\n"))
	f.Add([]byte("model: m\nversion: v\nloadgen: {csv: a.csv, rate: 5}\nsteps:\n  - inject: {feature: f, kind: swap, magnitude: 0.5, duration: 1m}\n  - expect: {alert: A, fires_within: 1m, labels: {a: b}}\n"))
	f.Add([]byte("model: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := scenario.Decode(data)
		if err != nil {
			require.Nil(t, sc)
			return
		}
		// A decoded scenario is valid: it has a model and steps, each with
		// exactly one action and positive durations.
		require.NoError(t, sc.Validate())
		require.NotEmpty(t, sc.Model)
		for _, st := range sc.Steps {
			if st.Wait != nil {
				require.Positive(t, time.Duration(*st.Wait))
			}
			if st.Inject != nil {
				require.Positive(t, time.Duration(st.Inject.Duration))
			}
		}
	})
}
