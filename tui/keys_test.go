package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/tui/keys"
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

// A `:` command replaces the breadcrumbs (k9s): they grew with every
// command ("Models › Runbook feature-drift › Query › Timeline").
func TestColonCommandReplacesBreadcrumbs(t *testing.T) {
	s := openCommand(t, 160, 24, "runbooks feature-drift", "Runbook feature-drift")
	s.keys(":", "query up", "enter")
	s.keys(":", "timeline fraud", "enter")
	s.waitFor("Timeline fraud")
	screen := s.screen()
	header := strings.Split(screen, "\n")[0]
	assert.True(t, strings.HasPrefix(header, "mlectl › Timeline fraud "), "only the view the command opened: %q", header)
}

// Deep breadcrumbs are cut from the left at 80 and 60 columns: the view on
// screen keeps its name, collector health keeps its place.
func TestBreadcrumbsCutFromTheLeft(t *testing.T) {
	for _, w := range []int{80, 60} {
		cfg := testConfig(stableURL{collectorClient(t, alertsRecorded)})
		cfg.Width, cfg.Height = w, 24
		m := New(t.Context(), cfg)
		m.stack = []string{"models", "model", "alerts", "runbooks", "query", "gameday", "timeline"}
		header := m.header()
		assert.LessOrEqual(t, len([]rune(header)), w)
		assert.True(t, strings.HasPrefix(header, "… › "), "cut from the left: %q", header)
		assert.Contains(t, header, m.active().Title()+" ", "the current view's name is whole: %q", header)
		assert.Contains(t, header, "collector ?")
	}
}

// `:model NAME` refuses a model the collector does not know, naming it,
// instead of opening an empty view; a model known only by its traffic
// (ranker has no registry entry) still opens.
func TestModelCommandRefusesUnknownModel(t *testing.T) {
	s := openCommand(t, 120, 24, "model nosuch", `unknown model "nosuch"`)
	s.keys(":", "model ranker", "enter")
	s.waitFor("mlectl › ranker")
	s.keys(":", "model", "enter")
	s.waitFor(":model needs a model name")
	s.keys(":", "incident nosuch", "enter")
	s.waitFor(`unknown model "nosuch"`)
	require.NoError(t, s.tm.Quit())
	m := s.tm.FinalModel(t).(*Model)
	assert.Equal(t, []string{"model"}, m.stack, "the refused commands left the view on screen")
}

// The footer names the active view's own hotkeys, not only the global
// ones (k9s shows them in its header).
func TestFooterShowsViewKeys(t *testing.T) {
	tests := []struct {
		start string
		wait  string
		want  []string
	}{
		{"models", "recsys", []string{"enter model detail", "x query model", ": command", "? help"}},
		{"timeline", "newest first", []string{"e export", ": command"}},
		{"runbooks", "runbooks · enter opens one", []string{"enter open runbook", "/ filter"}},
	}
	for _, tc := range tests {
		t.Run(tc.start, func(t *testing.T) {
			s := newSession(t, alertsRecorded, 160, 24, tc.start)
			s.waitFor("collector ready", tc.wait)
			screen := s.screen()
			lines := strings.Split(screen, "\n")
			footer := lines[len(lines)-1]
			for _, w := range tc.want {
				assert.Contains(t, footer, w)
			}
			assert.NotContains(t, footer, "↑/k", "navigation keys stay in the help")
		})
	}
}

// TestViewsUseDeclaredKeys checks that every key a view offers comes from
// its keymap in tui/keys (or the shared navigation keys), so the keymaps,
// their conflict check and README's table speak for what the views really
// match, and that the help screen lists each of them.
func TestViewsUseDeclaredKeys(t *testing.T) {
	declared := map[string][][]string{} // view → the keys of each declared binding
	for _, vk := range keys.Views() {
		for _, g := range vk.Keys.FullHelp() {
			for _, b := range g {
				declared[vk.View] = append(declared[vk.View], b.Keys())
			}
		}
	}
	for _, b := range keys.NewNav().Bindings() {
		for v := range declared {
			declared[v] = append(declared[v], b.Keys())
		}
	}
	for _, readOnly := range []bool{false, true} {
		m := New(t.Context(), Config{Renderer: asciiRenderer(), Now: fixedNow, ReadOnly: readOnly, Width: 200, Height: 60})
		require.Len(t, m.views, len(declared), "a keymap for each view")
		for name, v := range m.views {
			m.stack = []string{name}
			m.mode = modeHelp
			help := m.helpView()
			bs := v.KeyBindings()
			require.NotEmpty(t, bs, name)
			for _, b := range bs {
				assert.True(t, slices.ContainsFunc(declared[name], func(ks []string) bool { return slices.Equal(ks, b.Keys()) }),
					"%s offers %v (%s), which tui/keys does not declare for it", name, b.Keys(), b.Help().Desc)
				if b.Enabled() {
					assert.Contains(t, help, b.Help().Desc, "%s's help screen lists %s", name, b.Help().Key)
				}
			}
			if readOnly {
				assert.False(t, slices.ContainsFunc(bs, func(b key.Binding) bool {
					return b.Enabled() && strings.Contains(b.Help().Desc, "roll back")
				}), "%s offers no rollback in a read-only console", name)
			}
		}
	}
}
