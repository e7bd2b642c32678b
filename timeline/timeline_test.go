package timeline_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/timeline"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var t0 = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// scriptedIncident is a drift incident: bad deploy, drift, alert, ack,
// rollback, resolve; plus noise from another model.
func scriptedIncident() []events.Event {
	return []events.Event{
		{ID: "01", Time: at(0), Kind: events.KindDeploy, Model: "fraud", Version: "v3", Actor: "ci", Text: "registered fraud v3 (s3://models/fraud/v3) as shadow"},
		{ID: "02", Time: at(5 * time.Minute), Kind: events.KindAction, Action: "promote", Result: "ok", Model: "fraud", Version: "v3", Actor: "alice", Text: "promote fraud: v2 → v3"},
		{ID: "03", Time: at(7 * time.Minute), Kind: events.KindAnnotation, Model: "churn", Actor: "carol", Text: "unrelated"},
		{ID: "04", Time: at(12 * time.Minute), Kind: events.KindDriftDetected, Model: "fraud", Version: "v3", Text: "mle_feature_drift_score{feature=\"amount\",method=\"psi\"} = 0.41 > 0.25",
			Labels: map[string]string{"feature": "amount"}},
		{ID: "05", Time: at(17 * time.Minute), Kind: events.KindAlertFiring, Model: "fraud", Version: "v3", Text: "PSI of amount is 0.41",
			Labels: map[string]string{"alertname": "FeatureDrift", "feature": "amount", "severity": "page"}},
		{ID: "06", Time: at(19 * time.Minute), Kind: events.KindAlertFiring, Model: "fraud", Version: "v3",
			Labels: map[string]string{"alertname": "ErrorRateSLOBurn", "severity": "page"}},
		{ID: "07", Time: at(21*time.Minute + 30*time.Second), Kind: events.KindAck, Model: "fraud", Actor: "bob"},
		{ID: "08", Time: at(24 * time.Minute), Kind: events.KindRunbookStep, Model: "fraud", Actor: "bob", Action: "query", Result: "ok",
			Text: "runbook feature-drift step 1 (See which features drift): query prepared"},
		{ID: "09", Time: at(26 * time.Minute), Kind: events.KindAction, Action: "rollback", Result: "failed", Model: "fraud", Version: "v2", Actor: "bob",
			Text: "rollback to v2 failed, registry unchanged: webhook answered 503"},
		{ID: "10", Time: at(28 * time.Minute), Kind: events.KindAction, Action: "rollback", Result: "ok", Model: "fraud", Version: "v2", Actor: "bob",
			Text: "rollback fraud: v3 → v2 — PSI 0.41 on amount after v3 deploy"},
		{ID: "11", Time: at(36 * time.Minute), Kind: events.KindAlertResolved, Model: "fraud", Version: "v3",
			Labels: map[string]string{"alertname": "ErrorRateSLOBurn", "severity": "page"}},
		{ID: "12", Time: at(47 * time.Minute), Kind: events.KindAlertResolved, Model: "fraud", Version: "v3", Text: "PSI of amount is 0.08",
			Labels: map[string]string{"alertname": "FeatureDrift", "feature": "amount", "severity": "page"}},
		{ID: "13", Time: at(50 * time.Minute), Kind: events.KindAnnotation, Model: "fraud", Actor: "bob", Text: "upstream changed amount to cents | ticket DATA-123"},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./timeline -update to create it")
	assert.Equal(t, string(want), string(got))
}

func TestScriptedIncidentGolden(t *testing.T) {
	evs := scriptedIncident()
	// Order of input must not matter.
	evs[0], evs[9] = evs[9], evs[0]
	r := timeline.Build("fraud", at(-time.Hour), at(2*time.Hour), evs)
	r.GeneratedAt = at(3 * time.Hour)

	want := map[string]time.Time{
		timeline.ImpactStarted: at(12 * time.Minute),
		timeline.Detected:      at(17 * time.Minute),
		timeline.Acknowledged:  at(21*time.Minute + 30*time.Second),
		timeline.Mitigated:     at(28 * time.Minute),
		timeline.Resolved:      at(47 * time.Minute),
	}
	got := map[string]time.Time{}
	for _, m := range r.Milestones {
		got[m.Name] = m.Time
	}
	assert.Equal(t, want, got)
	assert.Equal(t, 5*time.Minute, *r.Durations.TimeToDetect)
	assert.Equal(t, 4*time.Minute+30*time.Second, *r.Durations.TimeToAcknowledge)
	assert.Equal(t, 16*time.Minute, *r.Durations.TimeToMitigate)
	assert.Equal(t, 35*time.Minute, *r.Durations.TimeToResolve)
	assert.Len(t, r.Events, 12, "the churn annotation is filtered out")

	golden(t, "incident.md", r.Markdown())
	js, err := r.JSON()
	require.NoError(t, err)
	golden(t, "incident.json", js)
}

func TestMilestoneRules(t *testing.T) {
	tests := []struct {
		name   string
		events []events.Event
		want   map[string]time.Duration
	}{
		{"no events", nil, map[string]time.Duration{}},
		{"alert only, still firing", []events.Event{
			{Time: at(time.Minute), Kind: events.KindAlertFiring, Labels: map[string]string{"alertname": "A"}},
		}, map[string]time.Duration{timeline.ImpactStarted: time.Minute, timeline.Detected: time.Minute}},
		{"re-fire after resolve keeps incident open", []events.Event{
			{Time: at(time.Minute), Kind: events.KindAlertFiring, Labels: map[string]string{"alertname": "A"}},
			{Time: at(2 * time.Minute), Kind: events.KindAlertResolved, Labels: map[string]string{"alertname": "A"}},
			{Time: at(3 * time.Minute), Kind: events.KindAlertFiring, Labels: map[string]string{"alertname": "A"}},
		}, map[string]time.Duration{timeline.ImpactStarted: time.Minute, timeline.Detected: time.Minute}},
		{"promote mitigates when there is no rollback; ack before alert ignored", []events.Event{
			{Time: at(0), Kind: events.KindAck},
			{Time: at(time.Minute), Kind: events.KindSLOBreach},
			{Time: at(2 * time.Minute), Kind: events.KindAlertFiring, Labels: map[string]string{"alertname": "A"}},
			{Time: at(3 * time.Minute), Kind: events.KindAction, Action: "promote", Result: "ok"},
			{Time: at(4 * time.Minute), Kind: events.KindIncidentResolve, Actor: "bob"},
		}, map[string]time.Duration{timeline.ImpactStarted: time.Minute, timeline.Detected: 2 * time.Minute,
			timeline.Mitigated: 3 * time.Minute, timeline.Resolved: 4 * time.Minute}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := timeline.Build("", at(-time.Hour), at(time.Hour), tc.events)
			got := map[string]time.Duration{}
			for _, m := range r.Milestones {
				got[m.Name] = m.Time.Sub(t0)
			}
			assert.Equal(t, tc.want, got)
			assert.NotEmpty(t, r.Markdown())
		})
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Second: "45s", 4*time.Minute + 30*time.Second: "4m30s", time.Hour + 2*time.Minute: "1h02m00s", -90 * time.Second: "-1m30s",
	} {
		assert.Equal(t, want, timeline.FormatDuration(d))
	}
}

// TestPostmortemAsTheDemoRecordsIt: the rules engine records a drift event
// at the moment its alert fires ("FeatureDrift firing: summary"), after a
// promotion. The postmortem names the promotion as the likely trigger,
// says the time to detect is unknown instead of 0s, and writes the alert
// text once.
func TestPostmortemAsTheDemoRecordsIt(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	fired := t0.Add(2 * time.Minute)
	lbl := map[string]string{"alertname": "FeatureDrift", "feature": "temp"}
	evs := []events.Event{
		{ID: "1", Time: t0, Kind: events.KindAction, Action: "promote", Result: events.ResultOK, Model: "demand", Version: "v12", Actor: "demo", Text: "promote demand: v11 → v12"},
		{ID: "2", Time: fired, Kind: events.KindAlertFiring, Model: "demand", Version: "v12", Actor: "rules", Labels: lbl, Text: "FeatureDrift firing: Feature temp of model demand drifted"},
		{ID: "3", Time: fired, Kind: events.KindDriftDetected, Model: "demand", Version: "v12", Actor: "rules", Labels: lbl, Text: "FeatureDrift firing: Feature temp of model demand drifted"},
		{ID: "4", Time: fired.Add(time.Minute), Kind: events.KindAction, Action: "rollback", Result: events.ResultOK, Model: "demand", Version: "v11", Actor: "oncall", Text: "rollback demand: v12 → v11"},
	}
	r := timeline.Build("demand", t0.Add(-time.Hour), t0.Add(time.Hour), evs)
	assert.Nil(t, r.Durations.TimeToDetect, "no event marks the impact before the alert")
	require.NotNil(t, r.Trigger)
	assert.Equal(t, t0, r.Trigger.Time)
	md := string(r.Markdown())
	for _, want := range []string{
		"time to detect: unknown",
		"- Last change before the impact: 2026-12-06 07:00:00Z — promote demand: v11 → v12 (by demo)",
		"alert FeatureDrift firing: Feature temp of model demand drifted",
	} {
		assert.Contains(t, md, want)
	}
	assert.NotContains(t, md, "time to detect: 0s")
	assert.NotContains(t, md, "firing: FeatureDrift firing:")
	assert.NotContains(t, md, "TODO: what set it off")
}
