package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/testutil"
)

func doReq(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	code, b := testutil.Do(t, method, url, token, body)
	return code, string(b)
}

// The real collector serves the game-day API behind its token roles, and
// its prediction ingest applies the injection before storing.
func TestRunGameDayInjection(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "collector.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("tokens:\n  - {name: rita, token: resp-token, role: responder}\n  - {name: vera, token: view-token, role: viewer}\n"), 0o600))
	base, _, _, _ := startRun(t, "--data-dir", filepath.Join(t.TempDir(), "d"), "--config", cfg)
	inj := base + "/api/v1/gameday/injections"
	body := `{"model":"demand","feature":"temp","kind":"scale","magnitude":2,"duration":"5m"}`

	code, msg := doReq(t, http.MethodPost, inj, "", body)
	assert.Equal(t, http.StatusUnauthorized, code, msg)
	code, msg = doReq(t, http.MethodPost, inj, "view-token", body)
	assert.Equal(t, http.StatusForbidden, code, msg)
	code, msg = doReq(t, http.MethodPost, inj, "resp-token", body)
	assert.Equal(t, http.StatusNotFound, code, "a model with no registration and no traffic is a typo")
	assert.Contains(t, msg, `"error":"model: `)

	line := func(id string, temp string) string {
		return `{"model":"demand","version":"v1","request_id":"` + id + `","features":{"temp":` + temp + `,"hum":0.5},"prediction":1}` + "\n"
	}
	code, msg = doReq(t, http.MethodPost, base+"/api/v1/predictions", "", line("a", "0.25"))
	require.Equal(t, http.StatusOK, code, msg)
	code, msg = doReq(t, http.MethodPost, inj, "resp-token", body)
	require.Equal(t, http.StatusCreated, code, msg)
	var created struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(msg), &created))
	code, msg = doReq(t, http.MethodPost, base+"/api/v1/predictions", "", line("b", "0.25")+line("c", "0.4"))
	require.Equal(t, http.StatusOK, code, msg)

	code, msg = doReq(t, http.MethodGet, base+"/api/v1/predictions/export?model=demand&injected=only", "", "")
	require.Equal(t, http.StatusOK, code, msg)
	got := strings.Split(strings.TrimSpace(msg), "\n")
	require.Len(t, got, 2, msg)
	assert.Contains(t, got[0], `"temp":0.5`)
	assert.Contains(t, got[1], `"temp":0.8`)
	assert.Contains(t, got[0], `"injected":true`)
	code, msg = doReq(t, http.MethodGet, base+"/api/v1/predictions/export?model=demand&injected=exclude", "", "")
	require.Equal(t, http.StatusOK, code, msg)
	assert.Equal(t, 1, strings.Count(msg, "\n"))
	assert.Contains(t, msg, `"request_id":"a"`)
	code, msg = doReq(t, http.MethodGet, base+"/api/v1/predictions/export?model=demand&injected=maybe", "", "")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, msg, "injected: must be include, exclude or only")

	code, msg = doReq(t, http.MethodGet, inj, "", "")
	require.Equal(t, http.StatusOK, code, msg)
	assert.Contains(t, msg, `"records":2`)
	code, msg = doReq(t, http.MethodDelete, inj+"/"+created.Data.ID, "resp-token", "")
	require.Equal(t, http.StatusOK, code, msg)
	assert.Contains(t, msg, `"active":false`)
	code, msg = doReq(t, http.MethodGet, base+"/api/v1/events?kind=injection", "", "")
	require.Equal(t, http.StatusOK, code, msg)
	assert.Equal(t, 2, strings.Count(msg, `"kind":"injection"`), msg)
	assert.Contains(t, msg, `"actor":"rita"`)
}

// A collector that stops with an injection active records its stop
// (reason "collector stopped"): after a restart the timeline shows the
// injection's start and its end, not one that never ends.
func TestRunStopRecordsTheEndOfActiveInjections(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	cfg := filepath.Join(t.TempDir(), "collector.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("tokens:\n  - {name: rita, token: resp-token, role: responder}\n"), 0o600))
	base, cancel, done, logs := startRun(t, "--data-dir", dir, "--config", cfg)
	code, msg := doReq(t, http.MethodPost, base+"/api/v1/predictions", "",
		`{"model":"demand","version":"v1","request_id":"a","features":{"temp":0.25},"prediction":1}`+"\n")
	require.Equal(t, http.StatusOK, code, msg)
	code, msg = doReq(t, http.MethodPost, base+"/api/v1/gameday/injections", "resp-token",
		`{"model":"demand","feature":"temp","kind":"shift","magnitude":3,"duration":"1h"}`)
	require.Equal(t, http.StatusCreated, code, msg)
	var created struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(msg), &created))
	cancel()
	select {
	case c := <-done:
		require.Equal(t, 0, c, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after cancellation")
	}

	base, _, _, _ = startRun(t, "--data-dir", dir, "--config", cfg)
	code, msg = doReq(t, http.MethodGet, base+"/api/v1/events?kind=injection", "resp-token", "")
	require.Equal(t, http.StatusOK, code, msg)
	var evs struct {
		Data []struct {
			Action string            `json:"action"`
			Actor  string            `json:"actor"`
			Labels map[string]string `json:"labels"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(msg), &evs))
	require.Len(t, evs.Data, 2, msg)
	for _, e := range evs.Data {
		assert.Equal(t, created.Data.ID, e.Labels["injection_id"])
	}
	actions := []string{evs.Data[0].Action, evs.Data[1].Action}
	assert.ElementsMatch(t, []string{"start", "stop"}, actions, msg)
	stop := evs.Data[0]
	if stop.Action != "stop" {
		stop = evs.Data[1]
	}
	assert.Equal(t, "collector stopped", stop.Labels["reason"])
	assert.Equal(t, "collector", stop.Actor)
}
