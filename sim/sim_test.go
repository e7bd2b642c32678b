package sim

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func meanFeature(recs []Record, model, role, feature string) (float64, int) {
	var sum float64
	n := 0
	for _, r := range recs {
		if r.Model == model && r.Role == role {
			sum += r.Features[feature].(float64)
			n++
		}
	}
	return sum / float64(n), n
}

func TestTrafficRatesAndIncidentShift(t *testing.T) {
	models, err := DemoModels()
	require.NoError(t, err)
	s := New(models, 42)
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

	before := s.Tick(t0.Add(100*time.Second), 100*time.Second)
	meanBefore, n := meanFeature(before, "demand", "production", "temp")
	// 25 req/s for 100 s, every request logged for production and shadow.
	require.Equal(t, 2500, n)
	std := s.std(models[1], "temp")
	require.Greater(t, std, 0.1)

	s.Stage(Incident{Model: "demand", Feature: "temp", ShiftSigmas: 3, LatencyFactor: 4, ErrorRate: 0.2, At: t0.Add(100 * time.Second)})
	during := s.Tick(t0.Add(200*time.Second), 100*time.Second)
	meanDuring, _ := meanFeature(during, "demand", "production", "temp")
	require.InDelta(t, 3*std, meanDuring-meanBefore, 0.1*std, "a 3σ shift moves the mean by about 3σ")

	errors := 0
	for _, r := range during {
		if r.Model == "demand" && r.Role == "production" && r.Status == "error" {
			errors++
		}
	}
	require.InDelta(t, 0.2, float64(errors)/2500, 0.04)

	require.NoError(t, s.SetProduction("demand", "v11"))
	after := s.Tick(t0.Add(300*time.Second), 100*time.Second)
	meanAfter, _ := meanFeature(after, "demand", "production", "temp")
	require.Less(t, math.Abs(meanAfter-meanBefore), 0.5*std, "rolling back ends the incident")
}

func TestSameSeedSameTraffic(t *testing.T) {
	m1, err := DemoModels()
	require.NoError(t, err)
	m2, err := DemoModels()
	require.NoError(t, err)
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	a := New(m1, 7).Tick(at, 10*time.Second)
	b := New(m2, 7).Tick(at, 10*time.Second)
	require.Equal(t, a, b)
	require.Error(t, New(m1, 7).SetProduction("nope", "v1"))
}

// meanAbsExplanation is the mean |contribution| of each feature over the
// production records of model.
func meanAbsExplanation(recs []Record, model string) map[string]float64 {
	sum, n := map[string]float64{}, 0
	for _, r := range recs {
		if r.Model != model || r.Role != "production" {
			continue
		}
		n++
		for f, c := range r.Explanations {
			sum[f] += math.Abs(c)
		}
	}
	for f := range sum {
		sum[f] /= float64(n)
	}
	return sum
}

// TestStagedShiftRanksFirstByAttributionChange: demand logs the Shapley
// values of its additive score, and under the staged temp shift temp's
// mean |contribution| grows more than any other feature's.
func TestStagedShiftRanksFirstByAttributionChange(t *testing.T) {
	models, err := DemoModels()
	require.NoError(t, err)
	s := New(models, 42)
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	before := s.Tick(t0.Add(100*time.Second), 100*time.Second)
	for _, r := range before {
		if r.Model == "demand" {
			require.Len(t, r.Explanations, 4)
		} else {
			require.Nil(t, r.Explanations, "only demand explains")
		}
	}
	s.Stage(Incident{Model: "demand", Feature: "temp", ShiftSigmas: 3, LatencyFactor: 4, ErrorRate: 0.2, At: t0.Add(100 * time.Second)})
	during := s.Tick(t0.Add(200*time.Second), 100*time.Second)
	a, b := meanAbsExplanation(before, "demand"), meanAbsExplanation(during, "demand")
	best, bestChange := "", math.Inf(-1)
	for f := range b {
		if c := b[f] - a[f]; c > bestChange {
			best, bestChange = f, c
		}
	}
	require.Equal(t, "temp", best, "changes: before %v during %v", a, b)
}
