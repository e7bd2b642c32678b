package demo

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The demo serves the game-day API without tokens and its simulated traffic
// goes through the injector.
func TestDemoGameDayAPI(t *testing.T) {
	d, err := Start(context.Background(), Options{IncidentAfter: time.Hour, Tick: 100 * time.Millisecond, Backfill: time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	resp, err := http.Post(d.URL+"/api/v1/gameday/injections", "application/json",
		strings.NewReader(`{"model":"demand","kind":"latency","magnitude":4,"duration":"1m"}`))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(b))
	require.Eventually(t, func() bool {
		resp, err := http.Get(d.URL + "/api/v1/gameday/injections")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && !strings.Contains(string(b), `"records":0`)
	}, 10*time.Second, 100*time.Millisecond, "the demo's traffic is never injected")
	resp, err = http.Get(d.URL + "/api/v1/events?kind=injection&model=demand")
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(b), `"action":"start"`)
}
