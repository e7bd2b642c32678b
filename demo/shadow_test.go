package demo

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDemoServesShadowReport: the simulator logs shadow records beside
// production ones, so the demo's collector answers the logged comparison
// for every model (the console's shadow tab) without model files.
func TestDemoServesShadowReport(t *testing.T) {
	d, err := Start(context.Background(), Options{
		IncidentAfter: time.Hour, Tick: 100 * time.Millisecond, DriftEvery: time.Second,
		Backfill: 10 * time.Second, LabelLag: time.Second,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	for _, m := range d.Sim.Models() {
		t.Run(m.Name, func(t *testing.T) {
			q := url.Values{"from": {time.Now().Add(-time.Minute).Format(time.RFC3339)}}
			resp, err := http.Get(d.URL + "/api/v1/shadow/" + m.Name + "/report?" + q.Encode())
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			var env struct {
				Data struct {
					Source            string   `json:"source"`
					ProductionVersion string   `json:"production_version"`
					CandidateVersion  string   `json:"candidate_version"`
					Pairs             int      `json:"pairs"`
					Agreement         *float64 `json:"agreement"`
					TopDisagreements  []any    `json:"top_disagreements"`
				} `json:"data"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
			assert.Equal(t, "logged", env.Data.Source)
			assert.Equal(t, m.Production, env.Data.ProductionVersion)
			assert.Equal(t, m.Shadow, env.Data.CandidateVersion)
			assert.Greater(t, env.Data.Pairs, 50, "10 s of backfilled traffic")
			require.NotNil(t, env.Data.Agreement)
			assert.NotEmpty(t, env.Data.TopDisagreements)
		})
	}
	// The live worker pairs arriving shadow records too: rolling series.
	require.Eventually(t, func() bool {
		v, ok := queryScalar(t, d.URL, `mle_shadow_rows_total{model="demand",source="logged",candidate_version="v13",production_version="v12"}`)
		return ok && v > 0
	}, 15*time.Second, 100*time.Millisecond, "no logged shadow series")
	v, ok := queryScalar(t, d.URL, `mle_shadow_agreement_ratio{model="fraud",source="logged"}`)
	require.True(t, ok)
	assert.GreaterOrEqual(t, v, 0.0)
	assert.LessOrEqual(t, v, 1.0)
}

// TestShadowReportFollowsRollback: after a rollback the shadow comparison
// is the restored production version against the candidate, at once, not
// the replaced version until it leaves the report's range.
func TestShadowReportFollowsRollback(t *testing.T) {
	d, err := Start(context.Background(), Options{
		IncidentAfter: time.Hour, Tick: 100 * time.Millisecond, DriftEvery: time.Second,
		Backfill: 20 * time.Second, LabelLag: time.Second,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	type report struct {
		Data struct {
			ProductionVersion string    `json:"production_version"`
			CandidateVersion  string    `json:"candidate_version"`
			From              time.Time `json:"from"`
			Pairs             int       `json:"pairs"`
			Unpaired          int       `json:"unpaired"`
		} `json:"data"`
	}
	get := func() report {
		resp, err := http.Get(d.URL + "/api/v1/shadow/demand/report?from=-1h")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var r report
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
		return r
	}
	before := get()
	assert.Equal(t, "v12", before.Data.ProductionVersion)
	assert.Equal(t, "v13", before.Data.CandidateVersion)

	resp, err := http.Post(d.URL+"/api/v1/models/demand/rollback", "application/json", strings.NewReader(`{"reason":"test"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	rolledBack := time.Now()
	require.Eventually(t, func() bool { return get().Data.Pairs > 10 }, 10*time.Second, 200*time.Millisecond, "no pairs of v11 after the rollback")
	after := get()
	assert.Equal(t, "v11", after.Data.ProductionVersion, "the registry's production version, not the one that served most of the hour")
	assert.Equal(t, "v13", after.Data.CandidateVersion)
	assert.WithinDuration(t, rolledBack, after.Data.From, 2*time.Second, "the comparison starts when v11 took over")
	assert.Less(t, after.Data.Unpaired, after.Data.Pairs/2+10, "v13's records paired with v12's requests are out of range, not unpaired")
}
