package keys

import "github.com/charmbracelet/bubbles/key"

// Global are the bindings the root model handles in every view.
type Global struct {
	Command key.Binding
	Filter  key.Binding
	Help    key.Binding
	Back    key.Binding
	Refresh key.Binding
	Quit    key.Binding
	Force   key.Binding
}

// NewGlobal returns the default global bindings.
func NewGlobal() Global {
	return Global{
		Command: key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "command")),
		Filter:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Refresh: key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "refresh")),
		Quit:    key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		Force:   key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
}

// ShortHelp implements help.KeyMap.
func (g Global) ShortHelp() []key.Binding {
	return []key.Binding{g.Command, g.Filter, g.Help, g.Back, g.Quit}
}

// FullHelp implements help.KeyMap.
func (g Global) FullHelp() [][]key.Binding {
	return [][]key.Binding{{g.Command, g.Filter, g.Help}, {g.Back, g.Refresh, g.Quit, g.Force}}
}

// Nav are the list navigation bindings shared by table views.
type Nav struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Open key.Binding
}

// NewNav returns the default list navigation bindings.
func NewNav() Nav {
	return Nav{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup/b", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "f", " "), key.WithHelp("pgdn/f", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "top")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "bottom")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
	}
}

// Bindings lists the navigation bindings for help screens.
func (n Nav) Bindings() []key.Binding {
	return []key.Binding{n.Up, n.Down, n.PageUp, n.PageDown, n.Top, n.Bottom, n.Open}
}

// Own drops the navigation bindings from a view's keys: what is left are
// the view's own hotkeys, which the footer shows (k9s shows them in its
// header) ahead of the global keys.
func Own(bs []key.Binding) []key.Binding {
	nav := map[string]bool{}
	for _, b := range NewNav().Bindings() {
		if b.Help().Key == "enter" {
			continue // a view's enter does something of its own
		}
		for _, k := range b.Keys() {
			nav[k] = true
		}
	}
	out := make([]key.Binding, 0, len(bs))
	for _, b := range bs {
		if !b.Enabled() || len(b.Keys()) == 0 || nav[b.Keys()[0]] {
			continue
		}
		out = append(out, b)
	}
	return out
}
