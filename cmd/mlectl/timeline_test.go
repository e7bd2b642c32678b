package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/events"
)

// The CLI export of the scripted incident recorded through the real API
// yields the milestones and durations of the timeline package's golden file.
func TestTimelineExportCLI(t *testing.T) {
	e := newCLIEnv(t)
	cl, err := newCLIClient(e.url, cliAdmin)
	require.NoError(t, err)
	t0 := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	for _, ev := range []events.Event{
		{Time: at(0), Kind: events.KindDeploy, Model: "fraud", Version: "v3"},
		{Time: at(12 * time.Minute), Kind: events.KindDriftDetected, Model: "fraud", Version: "v3", Text: "PSI 0.41 on amount"},
		{Time: at(17 * time.Minute), Kind: events.KindAlertFiring, Model: "fraud", Labels: map[string]string{"alertname": "FeatureDrift"}},
		{Time: at(19 * time.Minute), Kind: events.KindAlertFiring, Model: "fraud", Labels: map[string]string{"alertname": "ErrorRateSLOBurn"}},
		{Time: at(21*time.Minute + 30*time.Second), Kind: events.KindAck, Model: "fraud"},
		{Time: at(28 * time.Minute), Kind: events.KindAction, Action: "rollback", Result: "ok", Model: "fraud", Version: "v2"},
		{Time: at(36 * time.Minute), Kind: events.KindAlertResolved, Model: "fraud", Labels: map[string]string{"alertname": "ErrorRateSLOBurn"}},
		{Time: at(47 * time.Minute), Kind: events.KindAlertResolved, Model: "fraud", Labels: map[string]string{"alertname": "FeatureDrift"}},
		{Time: at(20 * time.Minute), Kind: events.KindAlertFiring, Model: "churn", Labels: map[string]string{"alertname": "Other"}},
	} {
		_, err := cl.PostEvent(context.Background(), ev)
		require.NoError(t, err)
	}

	goldenRaw, err := os.ReadFile(filepath.Join("..", "..", "timeline", "testdata", "incident.json"))
	require.NoError(t, err)
	type export struct {
		Milestones []struct {
			Name string    `json:"name"`
			Time time.Time `json:"time"`
		} `json:"milestones"`
		Durations map[string]*struct {
			Seconds float64 `json:"seconds"`
		} `json:"durations"`
		Events []events.Event `json:"events"`
	}
	var golden export
	require.NoError(t, json.Unmarshal(goldenRaw, &golden))

	out := filepath.Join(t.TempDir(), "pm.json")
	code, _, errs := e.mlectl(cliViewer, "timeline", "export", "--model", "fraud", "--from", "2026-11-20T13:00:00Z", "--to", "2026-11-20T16:00:00Z", "--format", "json", "-o", out)
	require.Equal(t, 0, code, errs)
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	var got export
	require.NoError(t, json.Unmarshal(raw, &got))
	assert.Equal(t, golden.Milestones, got.Milestones)
	assert.Equal(t, golden.Durations, got.Durations)
	assert.Len(t, got.Events, 8, "churn is filtered out")

	md := e.ok("", "timeline", "export", "--model", "fraud", "--from", "1795176000", "--to", "2026-11-20T16:00:00Z")
	assert.Contains(t, md, "# Postmortem: fraud incident of 2026-11-20")
	assert.Contains(t, md, "| Time to mitigate | 16m00s |")
	assert.Contains(t, md, "## Action items")

	for _, args := range [][]string{
		{"timeline"},
		{"timeline", "export"},
		{"timeline", "export", "--from", "yesterday"},
		{"timeline", "export", "--from", "-1h", "--to", "-2h"},
		{"timeline", "export", "--from", "-1h", "--format", "pdf"},
	} {
		code, _, errs := e.mlectl("", args...)
		assert.Equal(t, 2, code, "%v: %s", args, errs)
	}

	// Typos are refused naming the unknown model, instead of an empty
	// postmortem or a note no timeline shows.
	for _, tc := range []struct {
		token, unknown string
		args           []string
	}{
		{"", "nosuch", []string{"timeline", "export", "--model", "nosuch", "--from", "-1h"}},
		{cliAdmin, "nosuchmodel", []string{"annotate", "nosuchmodel", "looked at it"}},
	} {
		code, out, errs := e.mlectl(tc.token, tc.args...)
		assert.Equal(t, 2, code, "%v: %s", tc.args, errs)
		assert.Contains(t, errs, `model "`+tc.unknown+`" is unknown`, "%v names the model", tc.args)
		assert.Empty(t, out)
	}
	// A note on a known model answers with its id.
	code, out, errs = e.mlectl(cliAdmin, "annotate", "fraud", "looked at it")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `annotation recorded for fraud at .* \(id [0-9a-f]{32}\)`, out)
}
