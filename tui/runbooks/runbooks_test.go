package runbooks

import (
	"strings"
	"testing"

	"github.com/charmbracelet/glamour"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnwrap(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"paragraph", "one\ntwo\nthree", "one two three"},
		{"list item continuation", "1. **A?** first\n   second\n2. next", "1. **A?** first second\n2. next"},
		{"bullets stay", "- a\n- b\n  c", "- a\n- b c"},
		{"blank line ends a paragraph", "a\n\nb", "a\n\nb"},
		{"headings stay", "# T\nbody\nmore", "# T\nbody more"},
		{"tables stay", "| a | b |\n|---|---|\n| c | d |", "| a | b |\n|---|---|\n| c | d |"},
		{"code fences stay", "```\nx\ny\n```\nz", "```\nx\ny\n```\nz"},
		{"a step title keeps its text below", "5. **Roll back** — action `rollback`\n   Only when\n   it started", "5. **Roll back** — action `rollback`\n   Only when it started"},
		{"run lines stay", "   text\n\n   Run: `mlectl x`", "   text\n\n   Run: `mlectl x`"},
	} {
		assert.Equal(t, tc.want, Unwrap(tc.in), tc.name)
	}
}

func TestPlainStyleDropsMarkers(t *testing.T) {
	r, err := glamour.NewTermRenderer(glamour.WithStyles(PlainStyle()), glamour.WithWordWrap(60))
	require.NoError(t, err)
	for _, tc := range []struct{ name, in, want string }{
		{"strong", "- **ID:** feature-drift", "* ID: feature-drift"},
		{"emphasis", "a *very* big shift", "a very big shift"},
		{"strike", "~~old~~ new", "old new"},
		{"numbered step", "1. **Roll back** now", "1. Roll back now"},
	} {
		out, err := r.Render(tc.in)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, strings.TrimSpace(out), tc.name)
		for _, c := range out {
			assert.Less(t, c, rune(128), "%s: 7-bit output only, got %q", tc.name, c)
		}
	}
}
