package common

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/tui/styles"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{FormatAge(-time.Second), "0s"},
		{FormatAge(59 * time.Second), "59s"},
		{FormatAge(12*time.Minute + 59*time.Second), "12m"},
		{FormatAge(time.Hour), "1h"},
		{FormatAge(47 * time.Hour), "47h"},
		{FormatAge(72 * time.Hour), "3d"},
		{FormatNumber(0), "0"},
		{FormatNumber(0.004567), "0.0046"},
		{FormatNumber(0.1234), "0.12"},
		{FormatNumber(12.34), "12.3"},
		{FormatNumber(123.4), "123"},
		{FormatNumber(1234), "1.23k"},
		{FormatNumber(-45600000), "-45.6M"},
		{FormatNumber(math.NaN()), "NaN"},
		{FormatNumber(math.Inf(-1)), "-Inf"},
		{FormatPercent(0), "0%"},
		{FormatPercent(0.0004), "<0.1%"},
		{FormatPercent(0.0698), "7.0%"},
		{FormatPercent(0.45), "45%"},
		{FormatSeconds(0.000850), "850µs"},
		{FormatSeconds(0.428), "428ms"},
		{FormatSeconds(1.234), "1.23s"},
		{FormatSeconds(42), "42s"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, tc.got)
	}
}

func plain() Common {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return Common{Ctx: context.Background(), Styles: styles.New(r), Now: time.Now, ASCII: true}
}

var testCols = []Column{
	{Title: "NAME", Width: 6, Flex: true, MaxWidth: 10},
	{Title: "A", Width: 5, Priority: 1, Right: true},
	{Title: "B", Width: 5, Priority: 3},
	{Title: "C", Width: 5, Priority: 2},
}

func TestTableLayoutDropsLowPriority(t *testing.T) {
	tests := []struct {
		width int
		want  []string
	}{
		{40, []string{"NAME", "A", "B", "C"}},
		{26, []string{"NAME", "A", "B", "C"}}, // 2 + 6+5+5+5 + 3
		{25, []string{"NAME", "A", "C"}},
		{20, []string{"NAME", "A", "C"}},
		{19, []string{"NAME", "A"}},
		{18, []string{"NAME", "A"}},
		{5, []string{"NAME"}},
	}
	for _, tc := range tests {
		tb := NewTable(plain(), testCols)
		tb.SetSize(tc.width, 5)
		assert.Equal(t, tc.want, tb.VisibleColumns(), "width %d", tc.width)
	}
}

func TestTableRenderAndNavigate(t *testing.T) {
	tb := NewTable(plain(), testCols)
	tb.SetSize(40, 3) // header + 2 rows
	tb.SetRows([]Row{
		{Key: "a", Cells: []string{"alpha", "1", "x", "y"}},
		{Key: "b", Cells: []string{"a-very-long-name", "22", "x", "y"}},
		{Key: "c", Cells: []string{"gamma", "333", "x", "y"}},
	})
	lines := strings.Split(tb.View(), "\n")
	require.Len(t, lines, 3)
	assert.Equal(t, "  NAME           A B     C    ", lines[0])
	assert.Equal(t, "> alpha          1 x     y    ", lines[1])
	assert.Equal(t, "  a-very-lo~    22 x     y    ", lines[2], "long names are cut with the ASCII ellipsis")

	tb.Update(tea.KeyMsg{Type: tea.KeyDown})
	tb.Update(tea.KeyMsg{Type: tea.KeyDown})
	lines = strings.Split(tb.View(), "\n")
	assert.True(t, strings.HasPrefix(lines[2], "> gamma"), "the window scrolls to keep the cursor visible: %q", lines)
	tb.Update(tea.KeyMsg{Type: tea.KeyDown})
	assert.Equal(t, 2, tb.Cursor(), "the cursor stops at the last row")

	// A refresh that re-sorts keeps the cursor on the same item.
	tb.SetRows([]Row{{Key: "c", Cells: []string{"gamma"}}, {Key: "a", Cells: []string{"alpha"}}})
	sel, ok := tb.Selected()
	require.True(t, ok)
	assert.Equal(t, "c", sel.Key)

	assert.True(t, tb.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("G")}))
	assert.Equal(t, 1, tb.Cursor())
	assert.False(t, tb.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")}), "unbound keys pass through")

	tb.SetRows(nil)
	tb.SetEmpty("nothing here")
	assert.Equal(t, "  NAME           A B     C    \n  nothing here", tb.View())
	_, ok = tb.Selected()
	assert.False(t, ok)
}

// An empty table's explanation wraps to the width (the models view's "no
// models" line lost its end at 80 columns), within the table's height.
func TestTableEmptyMessageWraps(t *testing.T) {
	const msg = "no models: the collector holds no mle_predictions_total, latency or drift series"
	tests := []struct {
		name          string
		width, height int
		want          []string
	}{
		{"fits", 100, 5, []string{"  " + msg}},
		{"wraps at 80", 80, 5, []string{"  no models: the collector holds no mle_predictions_total, latency or drift", "  series"}},
		{"wraps twice", 40, 5, []string{"  no models: the collector holds no", "  mle_predictions_total, latency or", "  drift series"}},
		{"cut to the height", 40, 3, []string{"  no models: the collector holds no", "  mle_predictions_total, latency or"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := NewTable(plain(), testCols)
			tb.SetSize(tc.width, tc.height)
			tb.SetEmpty(msg)
			lines := strings.Split(tb.View(), "\n")
			assert.Equal(t, tc.want, lines[1:])
			for _, l := range lines {
				assert.LessOrEqual(t, len(l), tc.width)
			}
		})
	}
}
