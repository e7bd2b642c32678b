package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/tui/keys"
)

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
