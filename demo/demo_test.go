package demo

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/detail"
)

// queryScalar runs an instant PromQL query against the demo's collector and
// returns the first sample's value, or false when the result is empty.
func queryScalar(t *testing.T, base, q string) (float64, bool) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var body struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, "success", body.Status)
	if len(body.Data.Result) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(body.Data.Result[0].Value[1].(string), 64)
	require.NoError(t, err)
	return v, true
}

func TestDemoIncidentShowsDriftAndRollbackEndsIt(t *testing.T) {
	d, err := Start(context.Background(), Options{
		IncidentAfter: 3 * time.Second,
		Tick:          100 * time.Millisecond,
		DriftEvery:    time.Second,
		DriftWindow:   12 * time.Second, // 300 demand rows, the drift guard's minimum
		Backfill:      20 * time.Second,
		LabelLag:      time.Second,
		QualityWindow: 100,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })

	// Traffic is flowing: 25 demand requests/s in production.
	rate, ok := queryScalar(t, d.URL, `sum(rate(mle_predictions_total{model="demand",role="production"}[10s]))`)
	require.True(t, ok, "no traffic series")
	require.InDelta(t, 25, rate, 8)

	// Normed Wasserstein of a window against the training profile: sampling
	// noise stays well under 0.5, a 3σ shift moves it to about 3.
	before, ok := queryScalar(t, d.URL, `mle_feature_drift_score{model="demand",feature="temp",method="wasserstein_normed"}`)
	require.True(t, ok, "no drift series before the incident")
	require.Less(t, before, 0.5)

	// Labels arrive late through /api/v1/feedback and join: quality series
	// and a coverage ratio exist before the incident.
	maeQuery := `mle_model_mae{model="demand",version="v12"}`
	var maeBefore float64
	require.Eventually(t, func() bool {
		v, ok := queryScalar(t, d.URL, maeQuery)
		maeBefore = v
		return ok && time.Now().Before(d.IncidentAt)
	}, 3*time.Second, 100*time.Millisecond, "no quality series before the incident")
	coverage, ok := queryScalar(t, d.URL, `mle_label_coverage_ratio{model="demand",version="v12"}`)
	require.True(t, ok, "no label coverage series")
	require.Greater(t, coverage, 0.0)
	require.LessOrEqual(t, coverage, 1.0)

	require.Eventually(t, func() bool {
		v, ok := queryScalar(t, d.URL, `mle_feature_drift_score{model="demand",feature="temp",version="v12"}`)
		return ok && v > 2
	}, 40*time.Second, 200*time.Millisecond, "temp never drifted (score before: %v)", before)
	drifted, _ := queryScalar(t, d.URL, `mle_feature_drifted{model="demand",feature="temp",version="v12"}`)
	require.Equal(t, 1.0, drifted)

	// demand logs explanations: the shifted feature is the one whose
	// attribution grew most against the first window.
	require.Eventually(t, func() bool {
		temp, ok := queryScalar(t, d.URL, `mle_feature_attribution_change{model="demand",feature="temp",version="v12"}`)
		others, ok2 := queryScalar(t, d.URL, `max(mle_feature_attribution_change{model="demand",feature!="temp",version="v12"})`)
		return ok && ok2 && temp > 0 && temp > others
	}, 20*time.Second, 200*time.Millisecond, "temp does not rank first by attribution change")
	// The console's drift tab shows it: temp is its first row.
	c, err := client.New(d.URL)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		snap := detail.Fetch(context.Background(), c, "demand", time.Now(), false)
		return snap.DriftErr == nil && len(snap.Features) > 0 && snap.Features[0].Name == "temp" && snap.Features[0].AttrChange > 0
	}, 10*time.Second, 200*time.Millisecond, "the drift tab does not list temp first")
	expl, ok := queryScalar(t, d.URL, `mle_explanation_coverage_ratio{model="demand",version="v12"}`)
	require.True(t, ok, "no explanation coverage series")
	require.Equal(t, 1.0, expl)

	// The shifted input makes the model worse: the live MAE rises.
	require.Eventually(t, func() bool {
		v, ok := queryScalar(t, d.URL, maeQuery)
		return ok && v > 1.2*maeBefore
	}, 10*time.Second, 200*time.Millisecond, "MAE never rose (before: %v)", maeBefore)

	// The prediction log keeps every record: the export returns them.
	exp, err := http.Get(d.URL + "/api/v1/predictions/export?model=demand&format=ndjson")
	require.NoError(t, err)
	expBody, _ := io.ReadAll(exp.Body)
	exp.Body.Close()
	require.Equal(t, http.StatusOK, exp.StatusCode, "%s", expBody)
	lines := strings.Split(strings.TrimSpace(string(expBody)), "\n")
	require.Greater(t, len(lines), 100)
	require.Contains(t, lines[0], `"model":"demand"`)

	// The drift rules turn the verdicts into a firing FeatureDrift alert that
	// links the shipped runbook.
	require.Eventually(t, func() bool {
		return alertFiring(t, d.URL, "FeatureDrift", "demand")
	}, 40*time.Second, time.Second, "FeatureDrift never fired for demand")

	// Rolling back through the registry's API (webhook actuator → the demo's
	// model server) returns to v11 and ends the shift.
	resp, err := http.Post(d.URL+"/api/v1/models/demand/rollback", "application/json",
		strings.NewReader(`{"reason":"temp drifted after the v12 rollout"}`))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	require.Contains(t, string(body), `"v11"`)
	require.Eventually(t, func() bool {
		v, ok := queryScalar(t, d.URL, `mle_feature_drift_score{model="demand",feature="temp",version="v11"}`)
		return ok && v < 0.5
	}, 15*time.Second, 200*time.Millisecond)

	// The rollback is counted, and marks v12's promotion, one of demand's
	// two deploys (v11 registered into production, v12 promoted), failed.
	require.Eventually(t, func() bool {
		n, ok := queryScalar(t, d.URL, `mle_rollbacks_total{model="demand"}`)
		r, ok2 := queryScalar(t, d.URL, `mle_change_failure_ratio{model="demand"}`)
		return ok && ok2 && n == 1 && r == 0.5
	}, 15*time.Second, 200*time.Millisecond, "the rollback is not in mle_rollbacks_total / mle_change_failure_ratio")
}

// alertFiring reports whether /api/v1/alerts lists alertname for model as
// firing with a runbook annotation.
func alertFiring(t *testing.T, base, alertname, model string) bool {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/alerts")
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Alerts []struct {
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
				State       string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	for _, a := range body.Data.Alerts {
		if a.Labels["alertname"] == alertname && a.Labels["model"] == model && a.State == "firing" {
			require.NotEmpty(t, a.Annotations["runbook"], "alert %s has no runbook", alertname)
			return true
		}
	}
	return false
}

// BenchmarkStartBackfill10m measures Start with the default 10 minutes of
// simulated history (in-process ingest, series at simulated time).
func BenchmarkStartBackfill10m(b *testing.B) {
	for b.Loop() {
		start := time.Now()
		d, err := Start(context.Background(), Options{})
		require.NoError(b, err)
		b.ReportMetric(time.Since(start).Seconds(), "start-s")
		require.NoError(b, d.Close())
	}
}

// TestStartBackfillInBackground: Start returns while the history is still
// being simulated; once Backfilled is closed the history is queryable and
// live traffic runs.
func TestStartBackfillInBackground(t *testing.T) {
	d, err := Start(context.Background(), Options{
		Tick: 100 * time.Millisecond, Backfill: 30 * time.Second, DriftEvery: time.Second, BackfillInBackground: true,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	resp, err := http.Get(d.URL + "/-/ready")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the collector serves before the history is in")
	select {
	case <-d.Backfilled():
	case <-time.After(20 * time.Second):
		t.Fatal("the background backfill never finished")
	}
	// 30 s of history at 25 requests/s for demand's production version.
	n, ok := queryScalar(t, d.URL, `sum(increase(mle_predictions_total{model="demand",role="production"}[1m]))`)
	require.True(t, ok, "no traffic series after the backfill")
	require.Greater(t, n, 400.0)
}
