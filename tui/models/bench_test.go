package models

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/table"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/styles"
)

func manyModels(n int) Snapshot {
	ms := make([]Model, n)
	for i := range ms {
		ms[i] = Model{
			Name: fmt.Sprintf("model-%04d", i), Prod: []string{"v1"}, Shadow: []string{"v2"},
			PredRate: float64(i), ErrShare: float64(i%17) / 100, P95: 0.01 * float64(i%50), Drift: math.NaN(),
			Firing: i % 7 / 6,
		}
	}
	SortByUrgency(ms)
	return Snapshot{Models: ms, AlertsConfigured: true, At: time.Unix(0, 0)}
}

func benchCommon() common.Common {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.TrueColor)
	return common.Common{Ctx: context.Background(), Styles: styles.New(r), Now: time.Now}
}

// BenchmarkModelsView measures one frame of the Models view holding 1,000
// models (target: ≤ 2 ms). The baseline renders the same rows with
// bubbles/table, which re-renders its row window on every data change.
func BenchmarkModelsView(b *testing.B) {
	const n = 1000
	snap := manyModels(n)
	for _, sz := range []struct{ w, h int }{{80, 22}, {160, 46}} {
		b.Run(fmt.Sprintf("console/%dx%d", sz.w, sz.h), func(b *testing.B) {
			v := New(benchCommon(), nil)
			v.SetSize(sz.w, sz.h)
			v.SetSnapshot(snap)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				_ = v.View()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
		})
		b.Run(fmt.Sprintf("baseline=bubbles-table/%dx%d", sz.w, sz.h), func(b *testing.B) {
			v := New(benchCommon(), nil)
			v.SetSize(sz.w, sz.h)
			v.SetSnapshot(snap)
			cols := make([]table.Column, len(columns))
			for i, c := range columns {
				cols[i] = table.Column{Title: c.Title, Width: c.Width}
			}
			rows := make([]table.Row, 0, n)
			for _, r := range v.table.Rows() {
				rows = append(rows, table.Row(r.Cells))
			}
			t := table.New(table.WithColumns(cols), table.WithRows(rows), table.WithHeight(sz.h-1), table.WithWidth(sz.w))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				t.UpdateViewport()
				_ = t.View()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
		})
	}
}

// BenchmarkModelsRebuild measures a refresh landing: filtering and
// formatting 1,000 models into rows (done in Update, not View).
func BenchmarkModelsRebuild(b *testing.B) {
	snap := manyModels(1000)
	v := New(benchCommon(), nil)
	v.SetSize(80, 22)
	b.ReportAllocs()
	for b.Loop() {
		v.SetSnapshot(snap)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
}
