package server

import (
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/alerting"
)

func TestAlignDriftWindows(t *testing.T) {
	for _, tc := range []struct {
		name         string
		rules        *alerting.DriftConfig
		window, want time.Duration
	}{
		{"no drift rules", nil, time.Minute, 0},
		{"rules take the pipeline's window", &alerting.DriftConfig{}, time.Minute, time.Minute},
		{"same window", &alerting.DriftConfig{Window: model.Duration(time.Minute)}, time.Minute, time.Minute},
		{"pipeline default leaves the rules alone", &alerting.DriftConfig{Window: model.Duration(2 * time.Minute)}, 0, 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := alerting.Config{Drift: tc.rules}
			require.NoError(t, alignDriftWindows(&c, tc.window))
			if tc.rules != nil {
				assert.Equal(t, tc.want, time.Duration(c.Drift.Window))
			}
		})
	}
}
