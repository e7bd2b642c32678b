package alerting

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/api"
)

// The API serves Silence (it holds parsed matchers); clients decode
// api.Silence. Every field must survive the trip unchanged.
func TestSilenceJSONIsTheWireType(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, s := range []Silence{
		{ID: "s1", Matchers: `{model="fraud"}`, StartsAt: at, EndsAt: at.Add(time.Hour), CreatedBy: "alice", Comment: "maintenance", Model: "fraud", Status: "active"},
		{ID: "s2", Matchers: `{alertname="X"}`, StartsAt: at, EndsAt: at.Add(time.Minute)},
	} {
		served, err := json.Marshal(s)
		require.NoError(t, err)
		var decoded api.Silence
		require.NoError(t, json.Unmarshal(served, &decoded))
		again, err := json.Marshal(decoded)
		require.NoError(t, err)
		assert.Equal(t, string(served), string(again))
	}
}
