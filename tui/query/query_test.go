package query

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/styles"
)

func plain() common.Common {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return common.Common{Ctx: context.Background(), Styles: styles.New(r), Now: time.Now, ASCII: true}
}

func TestStepFor(t *testing.T) {
	assert.Equal(t, 51*time.Second, stepFor(80), "about one point per chart column")
	assert.Equal(t, 24*time.Second, stepFor(160))
	assert.Equal(t, minStep, stepFor(1000), "never finer than the scrape interval")
	assert.Equal(t, 6*time.Minute, stepFor(0), "degenerate widths still give a valid step")
}

func TestErrorCaretFollowsLongQueries(t *testing.T) {
	v := New(plain(), nil)
	v.SetSize(60, 10)
	q := strings.Repeat("x + ", 30) + "+ 1"
	err := &client.APIError{Type: "bad_data", Message: `invalid parameter "query": 1:121: parse error: unexpected "+"`}
	lines := v.errorLines(q, err)
	require.Len(t, lines, 4)
	assert.Equal(t, "error (bad_data) at 1:121:", lines[0])
	caret := strings.Index(lines[2], "^")
	require.Positive(t, caret)
	assert.Less(t, caret, 60, "the caret stays on screen")
	assert.Equal(t, byte('+'), lines[1][caret], "the caret points at the offending token: %q", lines[1])

	lines = v.errorLines("up", &client.APIError{Type: "execution", Message: "query timed out"})
	assert.Equal(t, []string{"error (execution): query timed out"}, lines)
	lines = v.errorLines("up", context.DeadlineExceeded)
	assert.Equal(t, []string{"query failed: context deadline exceeded"}, lines)
}

func TestTableRows(t *testing.T) {
	ts := time.Unix(10, 0)
	rows := tableRows(client.Vector{
		{Metric: client.Metric{"__name__": "b"}, Point: client.Point{T: ts, V: 2}},
		{Metric: client.Metric{"__name__": "a", "x": "1"}, Point: client.Point{T: ts, V: 1.23456789}},
	}, "-")
	require.Len(t, rows, 2)
	assert.Equal(t, []string{`a{x="1"}`, "1.23457"}, rows[0].Cells)
	assert.Equal(t, []string{"b", "2"}, rows[1].Cells)

	rows = tableRows(client.Matrix{{Metric: client.Metric{}, Points: []client.Point{{T: ts, V: 1}, {T: ts, V: 3}}}}, "-")
	assert.Equal(t, []string{"{}", "3 (2 pts)"}, rows[0].Cells)
	assert.Equal(t, []string{"scalar", "4"}, tableRows(client.Scalar{T: ts, V: 4}, "-")[0].Cells)
	assert.Equal(t, []string{"string", "hi"}, tableRows(client.String{T: ts, S: "hi"}, "-")[0].Cells)
}
