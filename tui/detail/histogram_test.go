package detail

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/predlog/baseline"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/styles"
)

func noteView(t *testing.T, ascii bool) *View {
	t.Helper()
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	v := New(common.Common{Ctx: t.Context(), Styles: styles.New(r), Now: time.Now, ASCII: ascii}, nil)
	v.Width = 80
	return v
}

func share(x float64) *float64 { return &x }

func at(h, m int) *time.Time {
	t := time.Date(2026, 1, 1, h, m, 0, 0, time.UTC)
	return &t
}

func TestNumericNoteBars(t *testing.T) {
	h := &client.DriftHistogram{Feature: "x", Version: "v1", Type: "numerical",
		Window:   skew.Window{Start: at(11, 0), End: at(11, 5), Samples: 10},
		Baseline: &skew.BaselineInfo{Rows: 100, Sampled: 100},
		Numeric: &skew.NumericBins{Edges: []float64{0, 1, 2, 3, 4}, Counts: []float64{0, 2, 4, 2}, Above: 2,
			BaselineProportions: []float64{0.5, 0.25, 0.25, 0}},
	}
	scoredEnd := time.Date(2026, 1, 1, 11, 5, 0, 250e6, time.UTC)
	for _, tc := range []struct {
		name  string
		ascii bool
		win   skew.Window
		// the note's first two lines
		title, head string
		// bar rows of a 7-line note, top first
		base, cur []string
	}{
		// Scale: the top bar is the baseline's 50% over 4 rows of 8
		// eighths. Baseline 50/25/25/0% -> 32/16/16/0 eighths; current
		// 0/20/40/20% -> 0/13/26/13 eighths (12.8 and 25.6 rounded).
		{"unicode, scored window on whole minutes", false, skew.Window{Kind: skew.WindowScored, Start: at(11, 0), End: at(11, 5), Samples: 10},
			"x v1 · 4 bins over 0..4.00 · baseline vs scored window, one scale", "baseline (100 rows)    scored window 11:00–11:05 · 10 values",
			[]string{"█   ", "█   ", "███ ", "███ "}, []string{"  ▂ ", "  █ ", " ▅█▅", " ███"}},
		{"unicode, scored window closed past the minute", false, skew.Window{Kind: skew.WindowScored, Start: at(11, 0), End: &scoredEnd, Samples: 10},
			"x v1 · 4 bins over 0..4.00 · baseline vs scored window, one scale", "baseline (100 rows)    scored window 11:00:00–11:05:00 · 10 values",
			[]string{"█   ", "█   ", "███ ", "███ "}, []string{"  ▂ ", "  █ ", " ▅█▅", " ███"}},
		{"ascii, open window", true, skew.Window{Kind: skew.WindowOpen, Start: at(11, 0), End: at(11, 5), Samples: 10},
			"x v1 · 4 bins over 0..4.00 · baseline vs open window, one scale", "baseline (100 rows)    open window 11:00-11:05 · 10 values",
			[]string{"#   ", "#   ", "### ", "### "}, []string{"  . ", "  # ", " +#+", " ###"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := noteView(t, tc.ascii)
			h := *h
			h.Window = tc.win
			lines := v.numericNote(&h, 7)
			require.Len(t, lines, 7)
			assert.Equal(t, tc.title, lines[0])
			assert.Equal(t, tc.head, lines[1])
			const bw = len("baseline (100 rows)")
			for r := range 4 {
				row := []rune(lines[2+r])
				assert.Equal(t, tc.base[r]+strings.Repeat(" ", bw-4)+"    "+tc.cur[r], string(row[:bw+8]), "row %d", r)
				if tc.ascii {
					for _, c := range row {
						assert.Less(t, c, rune(128), "7-bit only with --ascii: %q", string(row))
					}
				}
			}
			assert.Contains(t, lines[2], "top bar 50%")
			assert.Contains(t, lines[3], "above 4.00: 20%", "2 of 10 values lie above the bins")
			assert.Equal(t, "0..4.00"+strings.Repeat(" ", bw-7)+"    0..4.00", lines[6], "4 cells are too narrow for the labels")
		})
	}
}

func TestCategoryNote(t *testing.T) {
	h := &client.DriftHistogram{Feature: "c", Version: "v1", Type: "categorical",
		Window:   skew.Window{Samples: 8},
		Baseline: &skew.BaselineInfo{Rows: 4, Sampled: 4},
		Categories: []skew.CategoryCount{
			{Value: "a", Count: 2, BaselineProportion: share(0.75)},
			{Value: "b", Count: 0, BaselineProportion: share(0.25)},
			{Value: "new", Count: 6, BaselineProportion: share(0)},
		},
	}
	v := noteView(t, true)
	lines := v.categoryNote(h, 3)
	require.Len(t, lines, 3)
	assert.Equal(t, "c v1 · 3 categories · open window · 8 values", lines[0], "no span before the first record")
	assert.Contains(t, lines[1], "a     baseline ")
	assert.True(t, strings.HasSuffix(lines[1], " 25%"), lines[1])
	assert.Equal(t, "+2 more", lines[2], "the last line says what did not fit")
	for _, l := range v.categoryNote(h, 4)[1:] {
		for _, c := range l {
			assert.Less(t, c, rune(128), "7-bit only with --ascii: %q", l)
		}
	}
	assert.True(t, strings.HasSuffix(v.categoryNote(h, 4)[3], " 75%"), "new: 6 of 8")
}

func TestDriftNoteWithoutCurrentWindow(t *testing.T) {
	v := noteView(t, true)
	v.snap = Snapshot{
		Features:  []Feature{{Version: "v1", Name: "x", Against: "baseline", Method: "ks", Score: 0.1}},
		Baselines: map[string]*client.Baseline{"v1": {Model: "m", Version: "v1", Features: []baseline.Feature{{Name: "x", Type: baseline.Numerical, Count: 3, Sample: []float64{1, 2, 3}}}}},
	}
	v.model, v.tab = "m", TabDrift
	v.rebuild()
	require.NotNil(t, v.syncHistogram(false), "a newly selected feature is fetched")
	assert.Nil(t, v.syncHistogram(false), "the same feature is not fetched again")
	require.NotNil(t, v.syncHistogram(true), "a refresh fetches it again")
	assert.Contains(t, v.driftNote(2)[1], "current window: loading...")

	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"old collector", fmt.Errorf("route: %w", client.ErrNotConfigured), "current window: not configured (the collector does not serve /api/v1/drift)"},
		{"no window yet", &client.APIError{StatusCode: 404, Message: `model "m" has no drift window`}, `current window: model "m" has no drift window`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v.hist = histState{key: "v1\x00x", err: tc.err}
			lines := v.driftNote(2)
			assert.Contains(t, lines[0], "x baseline (v1): ", "the profile alone is still shown")
			assert.Contains(t, lines[0], "median 2.00")
			assert.Equal(t, tc.want, lines[1])
		})
	}
}
