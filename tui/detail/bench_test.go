package detail

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/registry"
	"github.com/mlectl/mlectl/tui/chart"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/styles"
)

// benchSnapshot is a busy model: four overview charts of an hour at one
// point a minute (two series each), 20 features × 2 versions × 2
// references with an hour of history, 3 versions and 500 events.
func benchSnapshot(at time.Time) Snapshot {
	s := Snapshot{Model: "demand", At: at}
	panels := Panels("demand")
	for p := range panels {
		var d PanelData
		if panels[p].Prefer != nil {
			d.Metric = "rmse"
		}
		for l := range 2 {
			line := chart.Line{Label: fmt.Sprintf("v%d", 12+l)}
			for i := range 60 {
				line.Points = append(line.Points, chart.Point{
					T: at.Add(time.Duration(i-60) * Step), V: float64(p+1) * (1 + 0.3*math.Sin(float64(i+l)/7)),
				})
			}
			d.Lines = append(d.Lines, line)
		}
		d.Last = d.Lines[0].Points[59].V
		s.Panels = append(s.Panels, d)
	}
	for f := 19; f >= 0; f-- { // highest score first, as Fetch sorts them
		for _, version := range []string{"v12", "v13"} {
			for _, against := range []string{"baseline", "previous_24h"} {
				ft := Feature{
					Version: version, Name: fmt.Sprintf("feature_%02d", f), Against: against,
					Method: "wasserstein_normed", Score: float64(f) / 40, Threshold: 0.1, Drifted: f % 3 / 2,
					Others: map[string]float64{"ks": float64(f) / 50, "psi": float64(f) / 60},
				}
				for i := range int(Window / HistoryStep) {
					ft.History = append(ft.History, ft.Score*(1+0.1*math.Cos(float64(i))))
				}
				s.Features = append(s.Features, ft)
			}
		}
	}
	s.State = client.ModelState{Production: "v12", Versions: []registry.Version{
		{Model: "demand", Version: "v11", Stage: registry.StageNone, CreatedAt: at.Add(-14 * 24 * time.Hour)},
		{Model: "demand", Version: "v12", Stage: registry.StageProduction, TrafficPercent: 100, CreatedAt: at.Add(-48 * time.Hour), Metrics: map[string]float64{"rmse": 41.2}},
		{Model: "demand", Version: "v13", Stage: registry.StageShadow, CreatedAt: at.Add(-6 * time.Hour)},
	}}
	s.State.Name = "demand"
	for i := range MaxEvents {
		s.Events = append(s.Events, events.Event{
			Time: at.Add(-time.Duration(i) * time.Minute), Kind: events.KindAnnotation, Model: "demand", Actor: "alice",
			Text: fmt.Sprintf("note %d: looked at the feature store lag", i),
		})
	}
	return s
}

// BenchmarkDetailView measures one frame of the model detail view per tab
// with the busy model above loaded (the data is laid out when it lands, in
// Update; View only draws). Charts are drawn in View, so the overview is
// the tab to watch.
func BenchmarkDetailView(b *testing.B) {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.TrueColor)
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c := common.Common{Ctx: context.Background(), Styles: styles.New(r), Now: func() time.Time { return at }}
	snap := benchSnapshot(at)
	for _, sz := range []struct{ w, h int }{{80, 22}, {160, 46}} {
		for tab := range numTabs {
			b.Run(fmt.Sprintf("%s/%dx%d", tab, sz.w, sz.h), func(b *testing.B) {
				v := New(c, nil)
				v.SetSize(sz.w, sz.h)
				v.model, v.tab = "demand", tab
				v.Update(fetchedMsg{seq: v.Seq(), snap: snap})
				if !v.Loaded {
					b.Fatal("the snapshot was not taken")
				}
				// The selected feature's open window beside its baseline,
				// as the drift tab draws it once the histogram arrived.
				version, feature, ok := v.selectedFeature()
				if !ok {
					b.Fatal("no drift row selected")
				}
				v.hist.key, v.hist.h = version+"\x00"+feature, benchHistogram(at, version, feature)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					_ = v.View()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
			})
		}
	}
}

// benchHistogram is a numerical feature's open window over 20 baseline bins.
func benchHistogram(at time.Time, version, feature string) *client.DriftHistogram {
	start, end := at.Add(-2*time.Minute), at.Add(3*time.Minute)
	h := &client.DriftHistogram{Model: "demand", Version: version, Feature: feature, Type: "numerical",
		Window:   skew.Window{Start: &start, End: &end, Length: 300, Samples: 292, Missing: 8},
		Baseline: &skew.BaselineInfo{Rows: 5000, Sampled: 5000},
		Numeric:  &skew.NumericBins{Above: 3, Uncertain: 1}}
	for i := range 21 {
		h.Numeric.Edges = append(h.Numeric.Edges, float64(i)*25)
	}
	for i := range 20 {
		h.Numeric.Counts = append(h.Numeric.Counts, float64(20-i))
		h.Numeric.BaselineProportions = append(h.Numeric.BaselineProportions, float64(i+1)/210)
	}
	return h
}
