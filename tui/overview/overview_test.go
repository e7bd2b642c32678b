package overview

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	wire "github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/styles"
)

func sample(v float64, kv ...string) client.Sample {
	m := client.Metric{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return client.Sample{Metric: m, Point: client.Point{V: v}}
}

func plain() common.Common {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return common.Common{Ctx: context.Background(), Styles: styles.New(r), Now: time.Now, ASCII: true}
}

// join takes the production version's figures, the worst SLO, and leaves
// what the collector does not write NaN (a dash on screen).
func TestJoin(t *testing.T) {
	v := make([]client.Vector, 13)
	v[0] = client.Vector{sample(25, "model", "demand"), sample(40, "model", "fraud")}
	id := func(n string) []string { return []string{"sloth_id", n, "sloth_service", "demand"} }
	v[1] = client.Vector{sample(0.8, id("demand-latency")...), sample(0.25, id("demand-availability")...), sample(0, "sloth_id", "x", "sloth_service", "checkout")}
	v[2] = client.Vector{sample(0.01, id("demand-latency")...), sample(0.001, id("demand-availability")...)}
	v[3] = client.Vector{sample(2.5, id("demand-availability")...)}
	v[4] = client.Vector{
		sample(14.2, "__name__", wire.MetricModelMAE, "model", "demand", "version", "v12", "role", "production"),
		sample(9.0, "__name__", wire.MetricModelMAE, "model", "demand", "version", "v11", "role", "production"), // draining
	}
	v[5] = client.Vector{sample(500, "model", "demand", "version", "v12", "role", "production")}
	v[11] = client.Vector{sample(0.02, "model", "demand", "version", "v12"), sample(0.5, "model", "demand", "version", "v13")}
	v[12] = client.Vector{sample(0.25, id("demand-availability")...)}
	reg := []client.ModelState{{Model: wire.Model{Name: "demand"}, Production: "v12", Versions: []client.Version{
		{Version: "v12", Metrics: map[string]float64{"mae": 10}}, {Version: "v11", Metrics: map[string]float64{"mae": 9}},
	}}}
	rows, slo := join(v, reg)
	require.True(t, slo)
	require.Len(t, rows, 2, "checkout's SLO invents no row")
	d, f := rows[0], rows[1]
	assert.Equal(t, "demand", d.Name)
	assert.Equal(t, 0.25, d.BudgetLeft, "the SLO with the least budget left speaks")
	assert.InDelta(t, 1-0.75*0.001, d.Compliance, 1e-12)
	assert.InDelta(t, 0.999, d.Objective, 1e-12)
	assert.Equal(t, 2.5, d.PeriodDays)
	assert.False(t, d.WarmingUp)
	assert.Equal(t, "mae", d.Metric)
	assert.Equal(t, 14.2, d.Live, "production's, not the draining version's")
	assert.Equal(t, 10.0, d.Offline)
	assert.InDelta(t, 0.42, d.QualityDelta(), 1e-9, "mae: higher is worse")
	assert.Equal(t, 500.0, d.Pairs)
	assert.Equal(t, 0.02, d.CostPer1kPredictions, "production's cost, not the shadow's")
	for name, x := range map[string]float64{"lag": d.LabelLagSeconds, "coverage": d.LabelCoverage, "drift": d.Drift,
		"deploys": d.Deploys, "rollbacks": d.Rollbacks, "rolled back": d.RolledBackShare()} {
		assert.True(t, math.IsNaN(x), "%s: no series, no figure", name)
	}
	assert.Equal(t, "fraud", f.Name)
	assert.True(t, math.IsNaN(f.BudgetLeft))

	// The same SLO recorded for a moment only: warming up, not judged.
	v[12] = nil
	rows, _ = join(v, reg)
	assert.True(t, rows[0].WarmingUp)
	view := New(plain(), nil)
	view.SetSize(80, 10)
	view.SetSnapshot(Snapshot{Rows: rows, SLOConfigured: true})
	screen := view.View()
	assert.NotContains(t, screen, "25%")
	assert.Contains(t, screen, "SLO warming up")
}

func TestFormats(t *testing.T) {
	for x, want := range map[float64]string{0.99995: "99.99%", 0.999: "99.9%", 0.95: "95%", 0.9992: "99.92%"} {
		assert.Equal(t, want, compliance(x))
	}
	for x, want := range map[float64]string{0.042: "$0.042", 1.2: "$1.20", 250: "$250"} {
		assert.Equal(t, want, money(x))
	}
	r := Row{Deploys: 4, Rollbacks: 1}
	assert.Equal(t, 0.25, r.RolledBackShare())
	r = Row{Deploys: 0, Rollbacks: math.NaN()}
	assert.True(t, math.IsNaN(r.RolledBackShare()), "no deploys: no share")
	assert.InDelta(t, 0.1, Row{Metric: "auc", Live: 0.81, Offline: 0.9, HigherIsBetter: true}.QualityDelta(), 1e-9)
}
