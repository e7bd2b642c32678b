//go:build e2e

package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// selectedRow returns the index among the screen's lines of the one under
// the cursor marker ("> " under --ascii) and that line.
func selectedRow(screen string) (int, string) {
	for i, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " "), "> ") {
			return i, l
		}
	}
	return -1, ""
}

// waitSelected polls the pane until the selected line satisfies ok; it
// returns the last screen either way, for the assertion to show.
func (m tmux) waitSelected(within time.Duration, ok func(row int, line string) bool) string {
	deadline := time.Now().Add(within)
	for {
		s := m.screen()
		if row, line := selectedRow(s); ok(row, line) || time.Now().After(deadline) {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestTypeAheadInTmux writes letters in one write, as fast typing or a
// laggy SSH link delivers them, to the real binary in a real terminal:
// each press is applied (Bubble Tea v1 reads them as one key message).
func TestTypeAheadInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is needed for the console test (apt-get install tmux): %v", err)
	}
	mlectl := binary(t, "mlectl")
	port := freePort(t)
	m := tmux{t: t, session: fmt.Sprintf("mlectl-typeahead-%d", port)}
	m.run("new-session", "-d", "-s", m.session, "-x", "80", "-y", "24",
		fmt.Sprintf("%s demo --listen 127.0.0.1:%d --incident-after 1h --ascii", mlectl, port))
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", m.session).Run() })

	screen := m.waitScreen(30*time.Second, "collector ready", "demand", "fraud", "ranker")
	first, _ := selectedRow(screen)
	require.GreaterOrEqual(t, first, 0, "a model row is selected:\n%s", screen)

	// jj in one write: two rows down.
	m.typeText("jj")
	screen = m.waitSelected(5*time.Second, func(r int, _ string) bool { return r == first+2 })
	row, line := selectedRow(screen)
	require.Equal(t, first+2, row, "jj moved the cursor two rows (now on %q):\n%s", line, screen)
	// k then j again, in one write: one up, one down, one up.
	m.typeText("kjk")
	screen = m.waitSelected(5*time.Second, func(r int, _ string) bool { return r == first+1 })
	row, _ = selectedRow(screen)
	require.Equal(t, first+1, row, "kjk moved the cursor one row up:\n%s", screen)

	// pp in a runbook: the feature-drift runbook opens on its rollback
	// step (5); two presses of p select step 3.
	m.keys(":")
	m.typeText("runbooks feature-drift")
	m.keys("Enter")
	screen = m.waitScreen(20*time.Second, "Runbook feature-drift", "STEPS")
	_, line = selectedRow(screen)
	require.Contains(t, line, "5. ", "the runbook opens on its rollback step:\n%s", screen)
	m.typeText("pp")
	screen = m.waitSelected(5*time.Second, func(_ int, l string) bool { return strings.Contains(l, "3. ") })
	_, line = selectedRow(screen)
	require.Contains(t, line, "3. ", "pp selected two steps up:\n%s", screen)
	m.typeText("nn")
	screen = m.waitSelected(5*time.Second, func(_ int, l string) bool { return strings.Contains(l, "5. ") })
	_, line = selectedRow(screen)
	require.Contains(t, line, "5. ", "nn selected two steps down:\n%s", screen)

	// A command typed in one write still reaches the command line whole.
	m.typeText(":alerts")
	m.keys("Enter")
	m.waitScreen(20*time.Second, "Alerts", "STATE")
	m.keys("q")
}
