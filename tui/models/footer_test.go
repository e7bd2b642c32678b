package models

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// At 80 columns the model count, the draining legend and both "not
// configured" notes do not fit one line (87 cells). With a blank line
// below the table the footnote wraps to a second line; with a full table
// the lowest-priority note (alerts) is dropped whole. No line ever
// exceeds the width or is cut mid-word.
func TestFooterAt80Columns(t *testing.T) {
	models := []Model{
		{Name: "demand", Prod: []string{"v11"}, Draining: []string{"v12"}},
		{Name: "ranker", Prod: []string{"v12"}},
		{Name: "fresh", Prod: []string{"v1"}},
	}
	tests := []struct {
		name   string
		height int
		// want: the footnote lines, as the operator reads them.
		want []string
	}{
		{"room for two lines", 10, []string{
			"3 of 3 models · ↓v: old version draining · SLO: not configured",
			"alerts: not configured",
		}},
		// Table: header + 3 rows fill the 5-line body less the footnote.
		{"table fills the body", 5, []string{
			"3 of 3 models · ↓v: old version draining · SLO: not configured",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := New(benchCommon(), nil)
			v.SetSize(80, tc.height)
			v.SetSnapshot(Snapshot{Models: models, RegistryConfigured: true})
			lines := strings.Split(ansi.Strip(v.View()), "\n")
			require.Len(t, lines, tc.height, "the view fills its body exactly")
			for i, l := range lines {
				assert.LessOrEqual(t, ansi.StringWidth(l), 80, "line %d wider than 80: %q", i, l)
				assert.NotContains(t, l, "…", "nothing is cut mid-word")
			}
			got := lines[len(lines)-len(tc.want):]
			assert.Equal(t, tc.want, got)
			assert.Contains(t, strings.Join(lines[:len(lines)-len(tc.want)], "\n"), "fresh", "every row still shows above the footnote")
		})
	}
}

func TestPackNotes(t *testing.T) {
	tests := []struct {
		name     string
		parts    []string
		width    int
		maxLines int
		want     []string
	}{
		{"all fit one line", []string{"a", "bb", "ccc"}, 20, 1, []string{"a · bb · ccc"}},
		{"wrap to a second line", []string{"aaaa", "bbbb", "cc"}, 11, 2, []string{"aaaa · bbbb", "cc"}},
		{"drop a note whole, keep a later one that fits", []string{"aaaa", "bbbbbbbb", "c"}, 10, 1, []string{"aaaa · c"}},
		{"a first note wider than the line is cut", []string{"abcdefghijkl", "x"}, 8, 1, []string{"abcdefg…"}},
		{"nothing", nil, 10, 2, []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, packNotes(tc.parts, tc.width, tc.maxLines))
		})
	}
}
