package sshserve

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headerWidths are the display widths of the console's header lines seen
// so far (one per full frame).
func headerWidths(out string) []int {
	var ws []int
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		if i := strings.Index(line, "mlectl › "); i >= 0 {
			ws = append(ws, ansi.StringWidth(line[i:]))
		}
	}
	return ws
}

// TestSessionsHaveTheirOwnSizeAndState opens two consoles at 80×24 and
// 160×48: each draws at its own width, a filter typed in one does not reach
// the other, and a resize redraws only the resized one.
func TestSessionsHaveTheirOwnSizeAndState(t *testing.T) {
	url := startDemo(t)
	alice := newPerson(t, "alice", "viewer")
	_, addr := startServer(t, Config{KeysFile: writeKeys(t, t.TempDir(), nil, alice), Collector: url})
	c, err := dial(addr, alice)
	require.NoError(t, err)
	defer c.Close()
	small, large := openConsole(t, c, 80, 24), openConsole(t, c, 160, 48)
	small.waitFor(t, "3 of 3 models")
	large.waitFor(t, "3 of 3 models")
	assert.Contains(t, headerWidths(small.out.Text()), 80)
	assert.NotContains(t, headerWidths(small.out.Text()), 160)
	assert.Contains(t, headerWidths(large.out.Text()), 160)
	assert.NotContains(t, headerWidths(large.out.Text()), 80)

	_, err = small.in.Write([]byte("/ranker\r"))
	require.NoError(t, err)
	small.waitFor(t, "1 of 3 models")
	assert.NotContains(t, large.out.Text(), "1 of 3 models", "the filter leaked into the other session")

	require.NoError(t, small.sess.WindowChange(30, 100))
	require.Eventually(t, func() bool {
		for _, w := range headerWidths(small.out.Text()) {
			if w == 100 {
				return true
			}
		}
		return false
	}, waitLimit, pollEvery, "no 100-column frame after the resize")
	assert.NotContains(t, headerWidths(large.out.Text()), 100)
}
