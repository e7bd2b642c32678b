package keys

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func flat(km interface{ FullHelp() [][]key.Binding }) []key.Binding {
	var out []key.Binding
	for _, g := range km.FullHelp() {
		out = append(out, g...)
	}
	return out
}

// reserved maps each key of Global and Nav to the binding's help.
func reserved() map[string]string {
	out := map[string]string{}
	for _, b := range append(flat(NewGlobal()), NewNav().Bindings()...) {
		for _, k := range b.Keys() {
			out[k] = b.Help().Key + " " + b.Help().Desc
		}
	}
	return out
}

// TestViewKeys checks every view's keymap: each binding says in help
// what it does, no key takes a global or navigation key unless the
// keymap documents why, and no documented override is stale.
func TestViewKeys(t *testing.T) {
	res := reserved()
	views := Views()
	names := map[string]bool{}
	for _, vk := range views {
		names[vk.View] = true
	}
	assert.Len(t, names, 9, "one or more keymaps for each of the nine views")
	for _, vk := range views {
		t.Run(vk.View+"/"+strings.Join(helpKeys(vk.Keys.ShortHelp()), ","), func(t *testing.T) {
			bs := flat(vk.Keys)
			require.NotEmpty(t, bs)
			used := map[string]bool{}
			for _, b := range bs {
				require.NotEmpty(t, b.Keys(), "a binding without keys: %+v", b.Help())
				assert.NotEmpty(t, b.Help().Key, "binding %v has no key name in help", b.Keys())
				assert.NotEmpty(t, b.Help().Desc, "binding %v has no help text", b.Keys())
				for _, k := range b.Keys() {
					g, taken := res[k]
					if !taken {
						continue
					}
					used[k] = true
					assert.NotEmpty(t, vk.Overrides[k], "%s binds %q (%s), which %s already holds, without saying why", vk.View, k, b.Help().Desc, g)
				}
			}
			for k := range vk.Overrides {
				assert.True(t, used[k], "%s documents an override of %q it does not bind", vk.View, k)
			}
			// The footer's keys must not share a key: one would never match.
			seen := map[string]string{}
			for _, b := range vk.Keys.ShortHelp() {
				for _, k := range b.Keys() {
					assert.Empty(t, seen[k], "%s: %q is bound to both %q and %q", vk.View, k, seen[k], b.Help().Desc)
					seen[k] = b.Help().Desc
				}
			}
		})
	}
}

func helpKeys(bs []key.Binding) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Help().Key
	}
	return out
}

var backticked = regexp.MustCompile("`([^`]+)`")

// TestREADMEListsViewKeys generate-checks README's key table: each
// view's own keys (its prompts and forms aside, which README describes in
// prose) are named, in backticks, on a row that names the view.
func TestREADMEListsViewKeys(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	var rows []string
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "| `") {
			rows = append(rows, l)
		}
	}
	require.NotEmpty(t, rows, "README's key table")
	for _, vk := range Views() {
		if vk.Capturing {
			continue
		}
		var tokens []string
		for _, r := range rows {
			if !strings.Contains(r, vk.Doc+":") {
				continue
			}
			for _, m := range backticked.FindAllStringSubmatch(r, -1) {
				tokens = append(tokens, strings.FieldsFunc(m[1], func(r rune) bool { return r == '/' || r == ' ' })...)
			}
		}
		for _, b := range flat(vk.Keys) {
			names := append(slices.Clone(b.Keys()), strings.Split(b.Help().Key, "/")...)
			assert.True(t, slices.ContainsFunc(names, func(k string) bool { return slices.Contains(tokens, k) }),
				"README's key table has no row for %s's %s (%s): add `%s` to a row that says %q", vk.View, b.Help().Key, b.Help().Desc, b.Help().Key, vk.Doc+":")
		}
	}
}
