package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// selectedLine returns the screen line under the cursor marker.
func selectedLine(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, "› ") || strings.HasPrefix(l, "> ") {
			return l
		}
	}
	return ""
}

// TestRunesReadTogetherAreKeyPresses sends letters as Bubble Tea v1
// delivers keys read in one go (one KeyMsg, several runes): each is a key
// press of its own, while a text input still takes typed text whole.
func TestRunesReadTogetherAreKeyPresses(t *testing.T) {
	tests := []struct {
		name  string
		send  []tea.Msg
		wait  string
		check func(t *testing.T, screen string)
	}{
		{"jj moves down twice", []tea.Msg{runes("jj")}, "", func(t *testing.T, screen string) {
			assert.Contains(t, selectedLine(screen), "ModelDriftHigh", "the third row is selected")
		}},
		{"jjk moves down twice and up once", []tea.Msg{runes("jjk")}, "", func(t *testing.T, screen string) {
			assert.Contains(t, selectedLine(screen), "ModelLatencyHigh")
		}},
		{"a command typed in one read still runs", []tea.Msg{runes(":runbooks"), tea.KeyMsg{Type: tea.KeyEnter}}, "runbooks · enter opens one", func(t *testing.T, screen string) {
			assert.Contains(t, screen, "feature-drift")
		}},
		{"a filter typed in one read is the filter", []tea.Msg{runes("/latency"), tea.KeyMsg{Type: tea.KeyEnter}}, "/latency", func(t *testing.T, screen string) {
			assert.Contains(t, screen, "ModelLatencyHigh")
			assert.NotContains(t, screen, "ModelDriftHigh")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t, alertsRecorded, 80, 24, "alerts")
			s.waitFor("collector ready", "ModelDriftHigh")
			for _, m := range tc.send {
				s.tm.Send(m)
			}
			if tc.wait != "" {
				s.waitFor(tc.wait)
			}
			// Keys are handled in order: the screen after quitting shows
			// their effect.
			screen := s.screen()
			tc.check(t, screen)
		})
	}
}

// TestRunesAreSplitAtTheRoot checks the model itself: "jj" in one KeyMsg
// moves the cursor two rows, as two presses do.
func TestRunesAreSplitAtTheRoot(t *testing.T) {
	s := newSession(t, alertsRecorded, 80, 24, "alerts")
	s.waitFor("collector ready", "ModelDriftHigh")
	s.tm.Send(runes("jj"))
	s.tm.Send(runes("q"))
	m := s.tm.FinalModel(t).(*Model)
	m.quitting = false
	require.Equal(t, "alerts", m.Active())
	assert.Contains(t, selectedLine(m.View()), "ModelDriftHigh")
}
