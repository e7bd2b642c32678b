package alerts

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/registry"
)

// incident is demand's drift incident as the demo's rules raise it: one
// feature drifting on production v12 and shadow v13, against two
// references, plus an SLO page.
func incident() []client.Alert {
	drift := func(feature, version, against string, age time.Duration) client.Alert {
		a := firing("FeatureDrift", "demand", "ticket", age, "feature", feature, "version", version, "against", against)
		a.Annotations = map[string]string{"runbook": "feature-drift", "summary": feature + " drifted"}
		a.Value = "0.31"
		return a
	}
	slo := firing("DemandErrorBudgetBurn", "demand", "page", 5*time.Minute, "sloth_slo", "availability")
	slo.Annotations = map[string]string{"runbook": "error-rate-slo-burn"}
	return []client.Alert{
		drift("temp", "v12", "baseline", 12*time.Minute),
		drift("temp", "v12", "previous_24h", 11*time.Minute),
		drift("temp", "v13", "baseline", 10*time.Minute),
		drift("temp", "v13", "previous_24h", 9*time.Minute),
		drift("hum", "v13", "baseline", 3*time.Minute),
		slo,
	}
}

var demandState = client.ModelState{
	Model:      registry.Model{Name: "demand", ProductionHistory: []string{"v11"}},
	Production: "v12",
	Versions: []client.Version{
		{Model: "demand", Version: "v11", Stage: registry.StageArchived},
		{Model: "demand", Version: "v12", Stage: registry.StageProduction},
		{Model: "demand", Version: "v13", Stage: registry.StageShadow},
	},
}

var promote = events.Event{Time: now.Add(-20 * time.Minute), Kind: events.KindAction, Action: "promote", Model: "demand", Version: "v12", Actor: "alice", Text: "promote demand: v11 → v12"}

func deliverIncident(v *View, as ...client.Alert) {
	if r, ok := v.api.(*recorder); ok {
		r.mu.Lock()
		r.alerts = as
		r.mu.Unlock()
	}
	v.Refresh()
	v.Update(fetchedMsg{seq: v.Seq(), alerts: as, states: states(as...), models: []client.ModelState{demandState},
		events: map[string][]events.Event{"demand": {promote}}, at: now})
}

func press(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func rowCells(v *View) [][]string {
	var out [][]string
	for _, r := range v.table.Rows() {
		out = append(out, r.Cells)
	}
	return out
}

func TestGroupingFoldsVersions(t *testing.T) {
	v := testView(t, &recorder{})
	deliverIncident(v, incident()...)
	rows := rowCells(v)
	require.Len(t, rows, 3, "one row per alert name, model and feature")
	assert.Equal(t, "DemandErrorBudgetBurn", rows[0][colName], "the page first")
	assert.Equal(t, "FeatureDrift temp", rows[1][colName], "the feature is shown")
	assert.Equal(t, "v12 shadow v13", rows[1][colVersions], "versions folded, the shadow marked")
	assert.Equal(t, "12m", rows[1][colAge], "the group's age is its oldest series'")
	assert.Equal(t, "shadow v13", rows[2][colVersions])
	assert.Contains(t, v.View(), "3 firing · 0 pending · 6 series")

	// h hides the shadow's alerts: hum fires on v13 only.
	v.Update(press("h"))
	rows = rowCells(v)
	require.Len(t, rows, 2)
	assert.Equal(t, "v12", rows[1][colVersions])
	assert.Contains(t, v.View(), "3 shadow/canary hidden")
	v.Update(press("h"))
	require.Len(t, rowCells(v), 3)

	// S sorts by age, newest first.
	v.Update(press("S"))
	rows = rowCells(v)
	assert.Equal(t, []string{"FeatureDrift hum", "DemandErrorBudgetBurn", "FeatureDrift temp"}, []string{rows[0][colName], rows[1][colName], rows[2][colName]})
	assert.Contains(t, v.View(), "by age")
}

// At 60 columns MODEL stays; the other columns go first.
func TestModelColumnKeptAt60(t *testing.T) {
	v := testView(t, &recorder{})
	v.SetSize(60, 20)
	deliverIncident(v, incident()...)
	cols := v.table.VisibleColumns()
	assert.Contains(t, cols, "MODEL")
	assert.Contains(t, cols, "ALERT")
	for _, l := range strings.Split(v.View(), "\n") {
		assert.LessOrEqual(t, len([]rune(l)), 60, l)
	}
	assert.Contains(t, v.View(), "demand")
}

func TestDetailPane(t *testing.T) {
	v := testView(t, &recorder{})
	v.SetSize(120, 40)
	deliverIncident(v, incident()...)
	v.Update(tea.KeyMsg{Type: tea.KeyDown})
	v.Update(press("d"))
	screen := v.View()
	for _, want := range []string{
		"FeatureDrift temp · demand",
		"firing since 11:48 UTC (12m ago)",
		"runbook feature-drift",
		"SERIES (4)",
		"shadow v13", "against=previous_24h", "value 0.31",
		"alertname=FeatureDrift", "feature=temp",
		"summary: temp drifted",
		"SILENCES", "none: it notifies",
		"11:40  promote v12 by alice",
	} {
		assert.Contains(t, screen, want)
	}
	// The pane follows its alert across refreshes; esc closes it.
	as := incident()
	deliverIncident(v, as[5], as[0], as[3], as[1], as[2])
	assert.Contains(t, v.View(), "FeatureDrift temp · demand")
	assert.True(t, v.Back())
	assert.False(t, v.Back())
}

func TestIncidentSummary(t *testing.T) {
	v := testView(t, &recorder{})
	deliverIncident(v, incident()...)
	sum := strings.Join(v.summary(), "\n")
	assert.Contains(t, sum, "INCIDENT demand · 3 firing since 11:48 (12m): DemandErrorBudgetBurn, FeatureDrift temp, FeatureDrift hum")
	assert.Contains(t, sum, "serving v12 (shadow v13)")
	assert.Contains(t, sum, "last change: promote v12 11:40 (20m ago) by alice")
	assert.Contains(t, sum, "runbook: error-rate-slo-burn")

	v.Open("fraud", nil)
	assert.Equal(t, "Incident fraud", v.Title())
	assert.Contains(t, strings.Join(v.summary(), "\n"), "INCIDENT fraud · nothing fires")
}

// A silence of a row names its feature: the other features still page.
func TestSilenceMatchesTheRow(t *testing.T) {
	api := &recorder{}
	v := testView(t, api)
	deliverIncident(v, incident()...)
	v.Update(tea.KeyMsg{Type: tea.KeyDown})
	v.Update(press("s"))
	run(t, v.Update(tea.KeyMsg{Type: tea.KeyEnter}))
	assert.Equal(t, []string{`{alertname="FeatureDrift",model="demand",feature="temp"}`}, api.silenced)
}
