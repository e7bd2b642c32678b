package scenario_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/gameday/loadgen"
	"github.com/mlectl/mlectl/gameday/scenario"
)

func TestReportMarkdownAndJSON(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	fired, stopped := at(72), at(130)
	rep := &scenario.Report{
		Name: "temp drill", Collector: "http://c:9710", Model: "demand", Started: t0, Ended: at(130), Passed: false,
		Expectations: []scenario.ExpectResult{
			{Step: 2, Alert: "FeatureDrift", Labels: map[string]string{"feature": "temp"}, FiresWithin: "5m0s", Since: at(30),
				Fired: true, FiredAt: &fired, TimeToDetect: "42s", TimeToDetectSeconds: 42, Passed: true},
			{Step: 4, Alert: "DemandModelSlow", FiresWithin: "1m0s", Since: at(70), Reason: "did not fire within 1m0s"},
		},
		Injections: []gameday.Injection{{ID: "inj-1", Model: "demand", Feature: "temp", Kind: gameday.KindShift, Magnitude: 3,
			Duration: "10m", StartedAt: at(30), EndsAt: at(630), StoppedAt: &stopped, Records: 1234}},
		AlertsFired: []scenario.FiredAlert{{Name: "FeatureDrift", Labels: map[string]string{"alertname": "FeatureDrift", "feature": "temp", "model": "demand"},
			ActiveAt: at(71), FiredAt: at(71), FirstSeen: fired}},
		Actions: []events.Event{{Time: at(30), Kind: gameday.EventKind, Actor: "rita", Text: "game day inj-1: shift temp by 3σ for 10m"},
			{Time: at(100), Kind: events.KindAction, Actor: "bob", Action: "rollback", Result: "ok"}},
		Loadgen: &loadgen.Stats{Sent: 100, Accepted: 99, Failed: 1, Batches: 10},
	}
	var md bytes.Buffer
	require.NoError(t, rep.WriteMarkdown(&md))
	want := "# Game day: temp drill — FAIL\n\n" +
		"Model `demand` on http://c:9710, 2026-11-27 10:00:00 to 10:02:10 UTC (2m10s).\n\n" +
		"## Expectations\n\n" +
		"| Step | Expectation | Clock from | Fired at | Time to detect | Result |\n|---|---|---|---|---|---|\n" +
		"| 2 | FeatureDrift{feature=\"temp\"} fires within 5m0s | 10:00:30 | 10:01:12 | 42s | PASS |\n" +
		"| 4 | DemandModelSlow{} fires within 1m0s | 10:01:10 | — | — | FAIL: did not fire within 1m0s |\n\n" +
		"## Injections\n\n" +
		"| ID | Kind | Feature | Magnitude | Version | Started | Stopped | Records |\n|---|---|---|---|---|---|---|---|\n" +
		"| inj-1 | shift | temp | 3 | all | 10:00:30 | 10:02:10 | 1234 |\n\n" +
		"## Alerts fired\n\n" +
		"| Alert | Labels | Active since | Fired at | First seen |\n|---|---|---|---|---|\n" +
		"| FeatureDrift | {feature=\"temp\", model=\"demand\"} | 10:01:11 | 10:01:11 | 10:01:12 |\n\n" +
		"## Actions taken\n\n" +
		"| Time | Kind | Actor | What |\n|---|---|---|---|\n" +
		"| 10:00:30 | injection | rita | game day inj-1: shift temp by 3σ for 10m |\n" +
		"| 10:01:40 | action | bob | rollback ok |\n\n" +
		"## Traffic\n\nloadgen sent 100 predictions in 10 requests: 99 accepted, 1 refused.\n"
	assert.Equal(t, want, md.String())

	var js bytes.Buffer
	require.NoError(t, rep.WriteJSON(&js))
	var back map[string]any
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, false, back["passed"])
	exps := back["expectations"].([]any)
	assert.Equal(t, 42.0, exps[0].(map[string]any)["time_to_detect_seconds"])
	assert.Equal(t, "2026-11-27T10:01:12Z", exps[0].(map[string]any)["fired_at"])
	assert.NotContains(t, exps[1].(map[string]any), "fired_at")
}
