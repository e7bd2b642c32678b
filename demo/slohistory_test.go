package demo

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDemoSLOPeriodHoldsItsHealthyHistory: the demo's SLO period (60h) is
// recorded back to its start from the simulated traffic's own SLI windows,
// at the rules' step and as the same series the rules extend, so a short
// incident costs the period a short incident's share of the budget instead
// of spending it (before, the period ratio averaged only the minutes the
// demo had run, and the models view read OUT for demand after the fix).
func TestDemoSLOPeriodHoldsItsHealthyHistory(t *testing.T) {
	d, err := Start(context.Background(), Options{
		IncidentAfter: 2 * time.Second,
		Tick:          100 * time.Millisecond,
		DriftEvery:    time.Second,
		Backfill:      time.Minute,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	latency := `{sloth_slo="latency-100ms"}`

	// The history: one series per SLO (the live rule extends it) holding
	// a sample every 5s over the whole period.
	n, ok := queryScalar(t, d.URL, `count_over_time(slo:sli_error:ratio_rate30s`+latency+`[60h])`)
	require.True(t, ok, "the SLI history is in storage")
	assert.InDelta(t, (60 * time.Hour / ruleInterval), n, 2, "one window every %s over the 60h period", ruleInterval)
	healthy, ok := queryScalar(t, d.URL, `max_over_time(slo:sli_error:ratio_rate30s`+latency+`[60h])`)
	require.True(t, ok)
	assert.Less(t, healthy, 0.05, "the history is the healthy traffic's (under 100ms)")

	// The incident: the live rule records bad windows on the same series.
	var bad float64
	require.Eventually(t, func() bool {
		bad, ok = queryScalar(t, d.URL, `slo:sli_error:ratio_rate30s`+latency)
		return ok && bad > 0.5
	}, 60*time.Second, 500*time.Millisecond, "the incident's latency shows in the 30s SLI window (last %v)", bad)
	series, ok := queryScalar(t, d.URL, `count(slo:sli_error:ratio_rate30s)`)
	require.True(t, ok)
	assert.Equal(t, 2.0, series, "history and live evaluations are one series per SLO")

	// A few bad windows out of 43200 spend a few percent of the budget,
	// and the burn-rate (short windows) still sees the incident.
	require.Eventually(t, func() bool {
		_, ok := queryScalar(t, d.URL, `slo:period_error_budget_remaining:ratio`+latency+` < 1`)
		return ok
	}, 30*time.Second, 500*time.Millisecond, "the period ratio takes in the incident's windows")
	left, ok := queryScalar(t, d.URL, `slo:period_error_budget_remaining:ratio`+latency)
	require.True(t, ok)
	assert.Greater(t, left, 0.9, "a seconds-long incident leaves most of a 60h budget")
	burn, ok := queryScalar(t, d.URL, `slo:current_burn_rate:ratio`+latency)
	require.True(t, ok)
	assert.Greater(t, burn, 14.4, "the current burn rate pages on the incident")
}
