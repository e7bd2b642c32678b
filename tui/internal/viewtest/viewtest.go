package viewtest

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/stretchr/testify/require"
)

// Updater is a view as its tests drive it.
type Updater interface {
	Update(tea.Msg) tea.Cmd
}

// Drain runs cmd and feeds every message it yields back into v, as the
// Bubble Tea loop would, until no command is left.
func Drain(t *testing.T, v Updater, cmd tea.Cmd) {
	t.Helper()
	for i := 0; cmd != nil; i++ {
		require.Less(t, i, 20, "the view keeps issuing commands")
		msg := cmd()
		if batch, ok := msg.(tea.BatchMsg); ok {
			for _, c := range batch {
				Drain(t, v, c)
			}
			return
		}
		if msg == nil {
			return
		}
		cmd = v.Update(msg)
	}
}
