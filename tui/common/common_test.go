package common

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
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

type answerMsg struct{ seq int }

// The guard drops a refresh while one runs; Refetch starts anyway and
// makes the running one's answer stale.
func TestBaseRefreshGuard(t *testing.T) {
	b := NewBase(plain(), "things", "Things")
	assert.Equal(t, "things", b.Name())
	assert.Equal(t, "Things", b.Title())
	fetch := func(context.Context) tea.Msg { return answerMsg{} }

	first := b.Fetch(time.Second, fetch)
	require.NotNil(t, first)
	assert.True(t, b.InFlight())
	assert.Nil(t, b.Fetch(time.Second, fetch), "a tick while the fetch runs is dropped")

	seq := b.Seq()
	second := b.Refetch(time.Second, func(_ context.Context, seq int) tea.Msg { return answerMsg{seq} })
	require.NotNil(t, second)
	assert.False(t, b.Current(seq), "the first fetch's answer is stale")
	assert.Equal(t, answerMsg{seq + 1}, second())
	assert.True(t, b.Current(seq+1))

	b.Answered(time.Unix(10, 0), nil)
	assert.False(t, b.InFlight())
	assert.NotNil(t, b.Fetch(time.Second, fetch), "the guard opens with the answer")
	b.Forget()
	assert.NotNil(t, b.Fetch(time.Second, fetch), "a forgotten fetch does not hold the guard")
}

// A failed fetch keeps the data and its age; "not configured" empties
// them and still moves the age on.
func TestBaseAnswer(t *testing.T) {
	t0, t1 := time.Unix(100, 0), time.Unix(200, 0)
	notConfigured := fmt.Errorf("GET /api/v1/x: %w", client.ErrNotConfigured)
	down := errors.New("connection refused")
	tests := []struct {
		name          string
		err           error
		want          []string
		wantAt        time.Time
		notConfigured bool
		failed        string
	}{
		{"success", nil, []string{"new"}, t1, false, ""},
		{"not configured", notConfigured, nil, t1, true, ""},
		{"failed", down, []string{"old"}, t0, false, "things fetch failed: connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBase(plain(), "things", "Things")
			assert.True(t, b.LastUpdate().IsZero())
			shown := Answer(&b, t0, []string{"old"}, nil, nil)
			shown = Answer(&b, t1, []string{"new"}, tc.err, shown)
			assert.Equal(t, tc.want, shown)
			assert.Equal(t, tc.wantAt, b.LastUpdate())
			assert.True(t, b.Loaded)
			assert.Equal(t, tc.notConfigured, b.NotConfigured())
			assert.Equal(t, tc.failed, b.FetchFailed("things"))
		})
	}
}

func TestBaseEmptyText(t *testing.T) {
	e := Empty{Source: "things", Endpoint: "/api/v1/things", Failed: "no things: the fetch failed",
		Items: "things", Item: "thing", None: "the collector has no things"}
	tests := []struct {
		name   string
		loaded bool
		err    error
		filter string
		empty  Empty
		want   string
	}{
		{"loading", false, nil, "", e, "loading things…"},
		{"loading, filtered", false, nil, "x", e, "loading things…"},
		{"none", true, nil, "", e, "the collector has no things"},
		{"filtered", true, nil, "Abc", e, "no thing matches /abc"},
		{"not configured", true, client.ErrNotConfigured, "abc", e, "things: not configured (the collector does not serve /api/v1/things)"},
		{"failed", true, errors.New("down"), "abc", e, "no things: the fetch failed"},
		{"failed, no failed text", true, errors.New("down"), "", Empty{Items: "things", None: "none"}, "none"},
		{"not configured, no endpoint", true, client.ErrNotConfigured, "", Empty{Items: "things", None: "none"}, "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBase(plain(), "things", "Things")
			b.Loaded, b.Err = tc.loaded, tc.err
			b.SetFilter(tc.filter)
			assert.Equal(t, tc.want, b.EmptyText(tc.empty))
		})
	}
}

// The footnote sits on the body's last line whatever the table's length,
// and the status line says an action's outcome.
func TestBaseFootnoteAndStatus(t *testing.T) {
	b := NewBase(plain(), "things", "Things")
	b.SetSize(20, 5)
	assert.Equal(t, "a\nb\n\n\nnote", b.Footnote("a\nb", "note"))
	assert.Equal(t, "a\nb\nc\nd\nnote", b.Footnote("a\nb\nc\nd", "note"))
	assert.Equal(t, "a\n\n\n\nthis note is too lo…", b.Footnote("a", "this note is too long for the width"))

	assert.Empty(t, b.StatusLine())
	b.SetStatus("wrote x.md", false)
	assert.Equal(t, "wrote x.md", b.StatusLine())
	b.SetStatus("export failed", true)
	assert.Equal(t, "export failed", b.StatusLine())
	assert.True(t, b.StatusBad)
}

func TestDataAge(t *testing.T) {
	c := plain()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c.Now = func() time.Time { return now }
	assert.Equal(t, "no data yet", c.DataAge(time.Time{}))
	assert.Equal(t, "data 12s", c.DataAge(now.Add(-12*time.Second)))
	assert.Equal(t, "data 3m", c.DataAge(now.Add(-3*time.Minute)))
	assert.False(t, strings.Contains(c.DataAge(time.Time{}), "-"), "words, not a dash")
}
