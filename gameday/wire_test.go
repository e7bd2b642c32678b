package gameday_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/gameday"
)

// The API serves gameday.Injection (with a typed Kind); clients decode
// api.Injection. Every field must survive the trip unchanged.
func TestInjectionJSONIsTheWireType(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	stopped := at.Add(time.Minute)
	for _, in := range []gameday.Injection{
		{ID: "inj-1", Model: "demand", Version: "v12", Feature: "temp", Kind: gameday.KindShift, Magnitude: 3, Duration: "5m",
			StartedAt: at, EndsAt: at.Add(5 * time.Minute), StoppedAt: &stopped, Active: false, Records: 42},
		{ID: "inj-2", Model: "demand", Kind: gameday.KindLatency, Magnitude: 2, Duration: "1m", StartedAt: at, EndsAt: at.Add(time.Minute), Active: true},
	} {
		served, err := json.Marshal(in)
		require.NoError(t, err)
		var decoded api.Injection
		require.NoError(t, json.Unmarshal(served, &decoded))
		again, err := json.Marshal(decoded)
		require.NoError(t, err)
		assert.Equal(t, string(served), string(again))
	}
}
