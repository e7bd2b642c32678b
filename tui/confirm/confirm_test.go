package confirm

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/styles"
)

func plain(ascii bool) common.Common {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return common.Common{Ctx: context.Background(), Styles: styles.New(r), Now: time.Now, ASCII: ascii}
}

type ranMsg struct{}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func TestConfirm(t *testing.T) {
	enter := tea.KeyMsg{Type: tea.KeyEnter}
	esc := tea.KeyMsg{Type: tea.KeyEsc}
	tests := []struct {
		name          string
		typed         string
		key           tea.KeyMsg
		wantRun       bool
		wantDone      bool
		wantCancelled bool
		wantText      string
	}{
		{name: "exact name runs the action", typed: "fraud", key: enter, wantRun: true, wantDone: true},
		{name: "surrounding spaces are forgiven", typed: " fraud ", key: enter, wantRun: true, wantDone: true},
		{name: "wrong name does nothing", typed: "frau", key: enter, wantText: `"frau" does not match fraud`},
		{name: "case matters", typed: "Fraud", key: enter, wantText: "does not match"},
		{name: "empty input does nothing", typed: "", key: enter, wantText: "nothing typed"},
		{name: "esc cancels even with the right name", typed: "fraud", key: esc, wantCancelled: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := New(plain(false), "Roll back fraud", "Production goes back to v6.", "fraud", func() tea.Msg { return ranMsg{} })
			m.SetSize(80, 20)
			require.True(t, m.Capturing())
			typeText(m, tc.typed)
			cmd := m.Update(tc.key)
			if tc.wantRun {
				require.NotNil(t, cmd)
				assert.IsType(t, ranMsg{}, cmd())
			} else {
				assert.Nil(t, cmd)
			}
			assert.Equal(t, tc.wantDone, m.Done())
			assert.Equal(t, tc.wantCancelled, m.Cancelled())
			assert.Equal(t, !tc.wantDone && !tc.wantCancelled, m.Capturing())
			if tc.wantText != "" {
				assert.Contains(t, m.View(), tc.wantText)
			}
		})
	}
}

func TestConfirmAfterMismatchThenFix(t *testing.T) {
	runs := 0
	m := New(plain(false), "Promote demand", "", "demand", func() tea.Msg { runs++; return nil })
	typeText(m, "demnad")
	assert.Nil(t, m.Update(tea.KeyMsg{Type: tea.KeyEnter}))
	for range 6 {
		m.Update(tea.KeyMsg{Type: tea.KeyBackspace})
	}
	assert.NotContains(t, m.View(), "does not match", "editing clears the mismatch note")
	typeText(m, "demand")
	cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	require.NotNil(t, cmd)
	cmd()
	assert.Equal(t, 1, runs)
	assert.Nil(t, m.Update(tea.KeyMsg{Type: tea.KeyEnter}), "a finished dialog hands the action out once")
	assert.False(t, m.Capturing())
}

func TestConfirmView(t *testing.T) {
	for _, ascii := range []bool{false, true} {
		for _, sz := range []struct{ w, h int }{{80, 22}, {160, 46}, {60, 10}} {
			m := New(plain(ascii), "Roll back fraud to v6", "Production traffic of fraud moves from v7 to v6. This cannot be undone from here except by another rollback.", "fraud", nil)
			m.SetSize(sz.w, sz.h)
			typeText(m, "fr")
			out := m.View()
			lines := strings.Split(out, "\n")
			assert.Len(t, lines, sz.h, "fills its area")
			for _, l := range lines {
				assert.LessOrEqual(t, ansi.StringWidth(l), sz.w)
				if ascii {
					for _, r := range l {
						assert.Less(t, r, rune(128), "ASCII mode draws 7-bit only: %q", l)
					}
				}
			}
			assert.Contains(t, out, "Roll back fraud to v6")
			assert.Contains(t, out, "Type fraud to confirm:")
			assert.Contains(t, out, "fr")
			assert.Contains(t, out, "esc cancel")
		}
	}
}

// Handle closes the dialog the way the operator ended it and says which.
func TestHandle(t *testing.T) {
	tests := []struct {
		name    string
		open    bool
		typed   string
		key     tea.KeyMsg
		took    bool
		closed  bool
		outcome string
	}{
		{"no dialog", false, "", tea.KeyMsg{Type: tea.KeyEnter}, false, true, ""},
		{"still asking", true, "frau", tea.KeyMsg{Type: tea.KeyEnter}, true, false, ""},
		{"confirmed", true, "fraud", tea.KeyMsg{Type: tea.KeyEnter}, true, true, "done"},
		{"cancelled", true, "fraud", tea.KeyMsg{Type: tea.KeyEsc}, true, true, "cancelled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d *Model
			if tc.open {
				d = New(plain(false), "Roll back fraud", "", "fraud", func() tea.Msg { return ranMsg{} })
				typeText(d, tc.typed)
			}
			outcome := ""
			cmd, took := Handle(&d, tc.key, func() { outcome = "done" }, func() { outcome = "cancelled" })
			assert.Equal(t, tc.took, took)
			assert.Equal(t, tc.closed, d == nil)
			assert.Equal(t, tc.outcome, outcome)
			if tc.outcome == "done" {
				require.NotNil(t, cmd)
				assert.Equal(t, ranMsg{}, cmd())
			}
		})
	}
}
