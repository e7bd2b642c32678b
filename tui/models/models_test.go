package models

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/registry"
	"github.com/mlectl/mlectl/tui/common"
)

func sample(v float64, kv ...string) client.Sample {
	m := client.Metric{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return client.Sample{Metric: m, Point: client.Point{V: v}}
}

func TestJoin(t *testing.T) {
	pred := client.Vector{
		sample(30, "model", "fraud", "version", "v7", "role", "prod"),
		sample(10, "model", "fraud", "version", "v9", "role", "canary"),
		sample(40, "model", "fraud", "version", "v8", "role", "shadow"),
		sample(5, "model", "churn", "version", "v3", "role", "prod"),
		sample(99, "version", "orphan"), // no model label: ignored
	}
	errRate := client.Vector{sample(2, "model", "fraud")}
	p95 := client.Vector{sample(0.2, "model", "fraud"), sample(0.05, "model", "solo")}
	drift := client.Vector{sample(0.6, "model", "churn")}
	alerts := []client.Alert{
		{Labels: map[string]string{"model": "churn"}, State: "pending"},
		{Labels: map[string]string{"model": "solo"}, State: "firing"},
		{Labels: map[string]string{"alertname": "NoModel"}, State: "firing"},
	}
	ms := join(pred, errRate, p95, drift, alerts)
	require.Len(t, ms, 3)
	assert.Equal(t, []string{"solo", "churn", "fraud"}, []string{ms[0].Name, ms[1].Name, ms[2].Name},
		"firing first, then pending, then by error share")

	fraud := ms[2]
	assert.Equal(t, []string{"v7", "v9"}, fraud.Prod, "every non-shadow role serves production traffic")
	assert.Equal(t, []string{"v8"}, fraud.Shadow)
	assert.InDelta(t, 40, fraud.PredRate, 1e-9, "shadow traffic is not counted")
	assert.InDelta(t, 0.05, fraud.ErrShare, 1e-9)
	assert.True(t, math.IsNaN(fraud.Drift))

	churn := ms[1]
	assert.Equal(t, 0.0, churn.ErrShare, "no error series with traffic means no errors")
	assert.Equal(t, 1, churn.Pending)

	solo := ms[0]
	assert.True(t, math.IsNaN(solo.PredRate), "no prediction series: no rate rather than zero")
	assert.True(t, math.IsNaN(solo.ErrShare))
}

func TestSortByUrgencyTies(t *testing.T) {
	nan := math.NaN()
	ms := []Model{
		{Name: "b", ErrShare: nan, Drift: 0.2},
		{Name: "a", ErrShare: nan, Drift: 0.2},
		{Name: "c", ErrShare: 0.01, Drift: nan},
	}
	SortByUrgency(ms)
	assert.Equal(t, "c", ms[0].Name)
	assert.Equal(t, "a", ms[1].Name)
	assert.Equal(t, "b", ms[2].Name)
}

func TestViewFilterDrillAndDashes(t *testing.T) {
	v := New(benchCommon(), nil)
	v.SetSize(80, 10)
	snap := Snapshot{Models: join(
		client.Vector{sample(1, "model", "fraud", "version", "v1", "role", "prod"), sample(1, "model", "churn", "version", "v2", "role", "prod")},
		nil, nil, nil, nil), AlertsConfigured: false}
	v.SetSnapshot(snap)
	out := v.View()
	assert.Contains(t, out, "alerts: not configured")
	assert.Contains(t, out, "SLO: not configured")
	assert.Len(t, strings.Split(out, "\n"), 10)

	v.SetFilter("V2") // versions match too, case-insensitively
	require.Len(t, v.table.Rows(), 1)
	assert.Equal(t, "churn", v.table.Rows()[0].Key)
	row := v.table.Rows()[0]
	assert.Equal(t, common.Dash, row.Cells[colAlerts], "alerts column without an alerts endpoint")
	assert.Equal(t, common.Dash, row.Cells[colSLO])

	cmd := v.Update(tea.KeyMsg{Type: tea.KeyEnter})
	require.NotNil(t, cmd)
	assert.Equal(t, common.NavigateMsg{View: "model", Arg: "churn"}, cmd(), "enter opens the model's detail")
	cmd = v.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")})
	require.NotNil(t, cmd)
	assert.Equal(t, common.NavigateMsg{View: "query", Arg: DrillQuery("churn")}, cmd(), "x drills into the query")

	v.SetFilter("nothing")
	assert.Contains(t, v.View(), "no model matches /nothing")
	assert.Nil(t, v.Update(tea.KeyMsg{Type: tea.KeyEnter}))
}

func TestDrillQueryEscapes(t *testing.T) {
	assert.Equal(t, `sum by (version, role, status) (rate(mle_predictions_total{model="a\"b\\c"}[5m]))`, DrillQuery(`a"b\c`))
}

func TestSLOs(t *testing.T) {
	nan := math.NaN()
	ms := []Model{{Name: "fraud", Burn1h: nan, PageBurn: nan, Budget: nan}, {Name: "churn", Burn1h: nan, PageBurn: nan, Budget: nan}}
	found := addSLOs(ms,
		client.Vector{
			sample(2, "sloth_service", "fraud", "sloth_slo", "latency"),
			sample(20, "sloth_service", "fraud-scorer", "model", "fraud", "sloth_slo", "availability"),
			sample(99, "sloth_service", "checkout"), // no such model
		},
		client.Vector{sample(1, "sloth_service", "fraud", "sloth_slo", "latency"), sample(16, "sloth_service", "fraud-scorer", "model", "fraud")},
		client.Vector{sample(0.5, "sloth_service", "fraud"), sample(0.1, "model", "fraud")},
	)
	require.True(t, found)
	assert.Equal(t, 20.0, ms[0].Burn1h, "the worst SLO of a model counts")
	assert.Equal(t, 16.0, ms[0].PageBurn)
	assert.Equal(t, 0.1, ms[0].Budget, "the least budget left counts")
	assert.True(t, math.IsNaN(ms[1].Burn1h))
	assert.False(t, addSLOs(ms[1:], client.Vector{sample(1, "sloth_service", "other")}, nil, nil))

	tests := []struct {
		burn, page, budget float64
		want               string
	}{
		{nan, nan, nan, ""},
		{0.5, 0.5, 0.9, "OK"},
		{1, 1, 0.9, "BURN"},
		{14.4, 14.4, 0.9, "PAGE"},
		{27.9, 0.3, 0.9, "BURN"}, // the hour holds the incident, the short window is healthy again
		{0.1, 0.1, 0, "OUT"},
		{nan, nan, -0.2, "OUT"},
		{3, 3, nan, "BURN"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, SLOState(Model{Burn1h: tc.burn, PageBurn: tc.page, Budget: tc.budget}), "burn %v page %v budget %v", tc.burn, tc.page, tc.budget)
	}
}

// A period budget first recorded less than PeriodWarmUp ago (the demo's
// first seconds: one or two 30-s windows) is not judged: no OUT, no
// BUDGET figure; the burn rate still pages.
func TestSLOPeriodWarmingUp(t *testing.T) {
	nan := math.NaN()
	ms := []Model{
		{Name: "demand", Burn1h: nan, Budget: nan},
		{Name: "fraud", Burn1h: nan, Budget: nan},
		{Name: "churn", Burn1h: nan, Budget: nan},
	}
	burns := client.Vector{sample(0.2, "sloth_service", "demand"), sample(20, "sloth_service", "fraud")}
	addSLOs(ms, burns, burns,
		client.Vector{sample(-3, "sloth_service", "demand"), sample(-1, "sloth_service", "fraud"), sample(-1, "sloth_service", "churn")})
	markWarmingUp(ms, client.Vector{sample(-1, "sloth_service", "churn")}) // only churn's was recorded 10m ago
	for _, tc := range []struct {
		model, state string
		warming      bool
	}{
		{"demand", "OK", true},  // spent on paper, from a handful of windows
		{"fraud", "PAGE", true}, // the fast burn still pages
		{"churn", "OUT", false}, // recorded long enough: judged
	} {
		i := slices.IndexFunc(ms, func(m Model) bool { return m.Name == tc.model })
		assert.Equal(t, tc.warming, ms[i].WarmingUp, tc.model)
		assert.Equal(t, tc.state, SLOState(ms[i]), tc.model)
	}
	assert.Equal(t, "", SLOState(Model{Burn1h: nan, Budget: -1, WarmingUp: true}), "no burn rate, a period warming up: no verdict")

	v := New(benchCommon(), nil)
	v.SetSize(100, 10)
	v.Update(fetchedMsg(Snapshot{AlertsConfigured: true, SLOConfigured: true, Models: []Model{
		{Name: "demand", Prod: []string{"v12"}, PredRate: 25, ErrShare: 0.01, P95: 0.05, Drift: nan, Burn1h: 0.2, Budget: -3, WarmingUp: true},
	}}))
	screen := v.View()
	assert.NotContains(t, screen, "OUT")
	assert.NotContains(t, screen, "-300%")
	assert.Contains(t, screen, "SLO budget: warming up (under 10m of its period recorded)")
}

func TestApplyRegistry(t *testing.T) {
	pred := client.Vector{
		sample(30, "model", "demand", "version", "v11", "role", "prod"),
		sample(10, "model", "demand", "version", "v12", "role", "prod"),
		sample(5, "model", "ranker", "version", "v12", "role", "prod"),
		sample(5, "model", "ranker", "version", "v13", "role", "canary"),
		sample(5, "model", "ranker", "version", "v14", "role", "shadow"),
		sample(3, "model", "loose", "version", "v1", "role", "prod"),
		sample(3, "model", "loose", "version", "v2", "role", "prod"),
		sample(3, "model", "adhoc", "version", "v5", "role", "prod"),
	}
	ver := func(v string, stage registry.Stage, traffic float64) client.Version {
		return client.Version{Version: v, Stage: stage, TrafficPercent: traffic}
	}
	reg := []client.ModelState{
		{Model: registry.Model{Name: "demand"}, Production: "v11", Versions: []client.Version{
			ver("v11", registry.StageProduction, 100), ver("v12", registry.StageNone, 0)}},
		{Model: registry.Model{Name: "ranker"}, Production: "v12", Versions: []client.Version{
			ver("v12", registry.StageProduction, 90), ver("v13", registry.StageCanary, 10), ver("v14", registry.StageShadow, 0)}},
		{Model: registry.Model{Name: "loose"}, Versions: []client.Version{ver("v1", registry.StageNone, 0)}},
		{Model: registry.Model{Name: "fresh"}, Production: "v1", Versions: []client.Version{ver("v1", registry.StageProduction, 100)}},
	}
	ms := applyRegistry(join(pred, nil, nil, nil, nil), reg)
	byName := map[string]Model{}
	for _, m := range ms {
		byName[m.Name] = m
	}
	require.Len(t, byName, 5)
	tests := []struct {
		name           string
		prod, draining []string
	}{
		{"demand", []string{"v11"}, []string{"v12"}}, // just rolled back from v12
		{"ranker", []string{"v12", "v13"}, nil},      // a canary is routed, not draining
		{"loose", []string{"v1", "v2"}, nil},         // no production in the registry: traffic as is
		{"adhoc", []string{"v5"}, nil},               // unknown to the registry
		{"fresh", []string{"v1"}, nil},               // registered, no traffic yet
	}
	for _, tc := range tests {
		m := byName[tc.name]
		assert.Equal(t, tc.prod, m.Prod, tc.name)
		assert.Equal(t, tc.draining, m.Draining, tc.name)
	}
	assert.Equal(t, []string{"v14"}, byName["ranker"].Shadow)
	assert.True(t, math.IsNaN(byName["fresh"].PredRate), "no traffic: no rate rather than zero")
	assert.InDelta(t, 40, byName["demand"].PredRate, 1e-9, "draining traffic still counts in the rate")

	for _, ascii := range []bool{false, true} {
		c := benchCommon()
		c.ASCII = ascii
		v := New(c, nil)
		v.SetSize(80, 10)
		v.SetSnapshot(Snapshot{Models: ms, AlertsConfigured: true, RegistryConfigured: true})
		cells := map[string]string{}
		for _, r := range v.table.Rows() {
			cells[r.Key] = r.Cells[colProd]
		}
		mark := "↓"
		if ascii {
			mark = "-"
		}
		assert.Equal(t, "v11 "+mark+"v12", cells["demand"], "production first, the old version marked (ascii %v)", ascii)
		assert.Equal(t, "v12,v13", cells["ranker"])
		assert.Equal(t, "v1", cells["fresh"])
		assert.LessOrEqual(t, len([]rune(cells["demand"])), columns[colProd].Width, "fits the PROD column")
		assert.Contains(t, v.View(), mark+"v: old version draining", "the footnote says what the marker means")
		v.SetFilter("v12")
		var keys []string
		for _, r := range v.table.Rows() {
			keys = append(keys, r.Key)
		}
		assert.ElementsMatch(t, []string{"demand", "ranker"}, keys, "a draining version matches the filter")
	}
}

// A first answer that lists the registry's models but holds no traffic
// yet (the demo still writing its history) is not shown as facts: no
// "fraud v6" while production is about to read v7, no "SLO: not
// configured"; the view says loading and asks again until data arrives.
func TestLoadingUntilFirstData(t *testing.T) {
	nan := math.NaN()
	registryOnly := Snapshot{RegistryConfigured: true, AlertsConfigured: true, Models: []Model{
		{Name: "fraud", Prod: []string{"v6"}, PredRate: nan, ErrShare: nan, P95: nan, Drift: nan, Burn1h: nan, Budget: nan},
	}}
	v := New(benchCommon(), nil)
	v.SetSize(80, 10)
	cmd := v.Update(fetchedMsg(registryOnly))
	screen := v.View()
	assert.Contains(t, screen, "loading models")
	assert.NotContains(t, screen, "v6")
	assert.NotContains(t, screen, "not configured")
	assert.True(t, v.LastUpdate().IsZero(), "the header says no data yet")
	require.NotNil(t, cmd, "the view asks again soon")

	withData := registryOnly
	withData.Models = []Model{{Name: "fraud", Prod: []string{"v7"}, PredRate: 40, ErrShare: 0.01, P95: 0.2, Drift: nan, Burn1h: nan, Budget: nan}}
	v.Update(fetchedMsg(withData))
	screen = v.View()
	assert.Contains(t, screen, "v7")
	assert.NotContains(t, screen, "loading")
}

// SLO rules loaded but not yet evaluated (the demo's first seconds) read
// "no data yet", not "not configured".
func TestSLORulesWithoutSeries(t *testing.T) {
	nan := math.NaN()
	s := Snapshot{AlertsConfigured: true, SLORulesLoaded: true, Models: []Model{
		{Name: "fraud", Prod: []string{"v7"}, PredRate: 40, ErrShare: 0.01, P95: 0.2, Drift: nan, Burn1h: nan, Budget: nan},
	}}
	v := New(benchCommon(), nil)
	v.SetSize(80, 10)
	v.Update(fetchedMsg(s))
	assert.Contains(t, v.View(), "SLO: no data yet")
	assert.NotContains(t, v.View(), "not configured")
}

// ALERTS counts what :alerts lists for the model — one row per alert
// name and feature — not series: in the demo's incident the page and the
// ticket series of DemandModelSlow read ALERTS 7 over five rows.
func TestAlertsColumnCountsRows(t *testing.T) {
	alert := func(state string, kv ...string) client.Alert {
		l := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			l[kv[i]] = kv[i+1]
		}
		return client.Alert{Labels: l, State: state}
	}
	tests := []struct {
		name            string
		alerts          []client.Alert
		firing, pending int
		cell            string
	}{
		{"page and ticket of one SLO alert", []client.Alert{
			alert("firing", "alertname", "DemandModelSlow", "model", "demand", "severity", "page"),
			alert("firing", "alertname", "DemandModelSlow", "model", "demand", "severity", "ticket"),
		}, 1, 0, "1"},
		{"one alert per drifted feature", []client.Alert{
			alert("firing", "alertname", "FeatureDrift", "model", "demand", "feature", "temp"),
			alert("firing", "alertname", "FeatureDrift", "model", "demand", "feature", "hum"),
		}, 2, 0, "2"},
		{"a pending series of a firing alert", []client.Alert{
			alert("firing", "alertname", "DemandModelErrors", "model", "demand", "severity", "ticket"),
			alert("pending", "alertname", "DemandModelErrors", "model", "demand", "severity", "page"),
			alert("pending", "alertname", "LabelCoverageLow", "model", "demand", "version", "v11"),
		}, 1, 1, "1+1p"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pred := client.Vector{sample(24, "model", "demand", "version", "v11", "role", "production")}
			ms := join(pred, nil, nil, nil, tc.alerts)
			require.Len(t, ms, 1)
			assert.Equal(t, tc.firing, ms[0].Firing)
			assert.Equal(t, tc.pending, ms[0].Pending)
			v := New(benchCommon(), nil)
			v.SetSize(80, 6)
			v.SetSnapshot(Snapshot{Models: ms, AlertsConfigured: true})
			assert.Equal(t, tc.cell, v.table.Rows()[0].Cells[colAlerts])
		})
	}
}

// The demo's first seconds: the registry lists the models while the
// storage is still opening and every query answers 503. The view said
// "demand — — … 0" per model (ALERTS 0 before the rule engine ran); it
// keeps loading instead, says why, and asks again soon.
func TestLoadingWhileQueriesFail(t *testing.T) {
	nan := math.NaN()
	notReady := &client.APIError{StatusCode: 503, Message: "mlectl collector is not ready: storage is not open yet"}
	tests := []struct {
		name string
		errs []error
	}{
		{"storage opening", []error{fmt.Errorf("%s: %w", QueryPredRate, notReady), fmt.Errorf("%s: %w", QueryP95, notReady)}},
		{"no error, no series yet", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := New(benchCommon(), nil)
			v.SetSize(80, 10)
			cmd := v.Update(fetchedMsg(Snapshot{RegistryConfigured: true, AlertsConfigured: true, Errs: tc.errs, Models: []Model{
				{Name: "demand", Prod: []string{"v12"}, PredRate: nan, ErrShare: nan, P95: nan, Drift: nan, Burn1h: nan, PageBurn: nan, Budget: nan},
			}}))
			require.NotNil(t, cmd, "asks again soon")
			assert.Empty(t, v.table.Rows(), "no rows of dashes")
			screen := v.View()
			assert.NotContains(t, screen, "demand")
			if len(tc.errs) > 0 {
				assert.Contains(t, screen, "no data yet: the collector's queries failed (see below)")
				assert.Contains(t, screen, "HTTP 503")
			} else {
				assert.Contains(t, screen, "loading models")
			}
			assert.True(t, v.LastUpdate().IsZero(), "the header says no data yet")
		})
	}
}

// SLO reads PAGE while an SLO page alert fires: a minute after the demo's
// rollback the short window is healthy again (PageBurn low) but the
// page's slow condition (2m and 30m windows) still holds, and the column
// read BURN beside a firing page.
func TestSLOPageWhileThePageFires(t *testing.T) {
	alert := func(state string, kv ...string) client.Alert {
		l := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			l[kv[i]] = kv[i+1]
		}
		return client.Alert{Labels: l, State: state}
	}
	tests := []struct {
		name   string
		alerts []client.Alert
		want   string
	}{
		{"the page fires", []client.Alert{
			alert("firing", "alertname", "DemandModelSlow", "model", "demand", "sloth_service", "demand", "sloth_severity", "page"),
			alert("firing", "alertname", "DemandModelSlow", "model", "demand", "sloth_service", "demand", "sloth_severity", "ticket"),
		}, "PAGE"},
		{"a page of a service named after the model", []client.Alert{
			alert("firing", "alertname", "SLOBurn", "sloth_service", "demand", "sloth_severity", "page"),
		}, "PAGE"},
		{"the page has resolved, the ticket fires", []client.Alert{
			alert("firing", "alertname", "DemandModelSlow", "model", "demand", "sloth_severity", "ticket"),
		}, "BURN"},
		{"the page is pending", []client.Alert{
			alert("pending", "alertname", "DemandModelSlow", "model", "demand", "sloth_severity", "page"),
		}, "BURN"},
		{"another model pages", []client.Alert{
			alert("firing", "alertname", "FraudErrors", "model", "fraud", "sloth_severity", "page"),
		}, "BURN"},
		{"a page that is not an SLO's", []client.Alert{
			alert("firing", "alertname", "ModelDown", "model", "demand", "severity", "page"),
		}, "BURN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms := []Model{{Name: "demand", Burn1h: 31.1, PageBurn: 0.3, Budget: 0.9}, {Name: "fraud", Burn1h: 0.2, PageBurn: 0.2, Budget: 0.9}}
			markPaging(ms, tc.alerts)
			assert.Equal(t, tc.want, SLOState(ms[0]))
		})
	}
}
