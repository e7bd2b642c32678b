package confirm

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/mlectl/mlectl/tui/common"
)

// asciiBorder draws the dialog's frame with 7-bit characters.
var asciiBorder = lipgloss.Border{
	Top: "-", Bottom: "-", Left: "|", Right: "|",
	TopLeft: "+", TopRight: "+", BottomLeft: "+", BottomRight: "+",
}

// maxBoxWidth keeps the dialog readable on wide terminals.
const maxBoxWidth = 72

// Model is one open confirmation dialog. Build it with New; it is used
// once: after Done or Cancelled it captures nothing.
type Model struct {
	c       common.Common
	title   string
	detail  string
	expect  string
	action  tea.Cmd
	input   textinput.Model
	keys    []key.Binding
	confirm key.Binding
	cancel  key.Binding

	mismatch  string // what the operator typed last time enter was pressed
	tried     bool
	done      bool
	cancelled bool
	width     int
	height    int
}

// New opens a dialog that shows title and detail and runs action only
// after the operator types expect exactly and presses enter.
func New(c common.Common, title, detail, expect string, action tea.Cmd) *Model {
	in := textinput.New()
	in.Prompt = "› "
	if c.ASCII {
		in.Prompt = "> "
	}
	in.PromptStyle = c.Styles.Prompt
	in.TextStyle = c.Styles.Renderer.NewStyle()
	in.Cursor.Style = c.Styles.Renderer.NewStyle().Reverse(true)
	in.Cursor.TextStyle = c.Styles.Renderer.NewStyle()
	in.Cursor.SetMode(cursor.CursorStatic)
	in.CharLimit = 256
	in.Width = maxBoxWidth - 4 - 3
	in.Focus()
	m := &Model{
		c: c, title: title, detail: detail, expect: expect, action: action, input: in,
		confirm: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "confirm")),
		cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
	m.keys = []key.Binding{m.confirm, m.cancel}
	return m
}

// Done reports that the operator confirmed and the action was handed out.
func (m *Model) Done() bool { return m.done }

// Cancelled reports that the operator pressed esc.
func (m *Model) Cancelled() bool { return m.cancelled }

// Capturing reports whether the dialog is open and owns the keyboard.
func (m *Model) Capturing() bool { return !m.done && !m.cancelled }

// Expect is the text the operator must type.
func (m *Model) Expect() string { return m.expect }

// KeyBindings lists the dialog's keys for the footer and help.
func (m *Model) KeyBindings() []key.Binding { return m.keys }

// SetSize sets the area the dialog is centred in.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.input.Width = max(m.boxWidth()-4-3, 1) // prompt and cursor cells
}

// Update handles one message while the dialog is open. It returns the
// action when the typed text equals the expected text and enter is
// pressed; otherwise nil. A mismatch keeps the dialog open and says so.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if !m.Capturing() {
		return nil
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	switch {
	case key.Matches(km, m.cancel):
		m.cancelled = true
		m.input.Blur()
		return nil
	case key.Matches(km, m.confirm):
		typed := strings.TrimSpace(m.input.Value())
		if typed != m.expect {
			m.tried, m.mismatch = true, typed
			return nil
		}
		m.done = true
		m.input.Blur()
		return m.action
	}
	m.tried = false
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(km)
	return cmd
}

// fit cuts s to width cells with the mode's ellipsis.
func (m *Model) fit(s string, width int) string {
	tail := "…"
	if m.c.ASCII {
		tail = "~"
	}
	return ansi.Truncate(s, max(width, 0), tail)
}

func (m *Model) boxWidth() int {
	w := maxBoxWidth
	if m.width > 0 {
		w = min(w, m.width)
	}
	return max(w, 20)
}

// View renders the dialog centred in the size set by SetSize: exactly
// that many lines when a size is set, else just the box.
func (m *Model) View() string {
	st := m.c.Styles
	bw := m.boxWidth()
	inner := bw - 4 // border and one space of padding each side
	var lines []string
	lines = append(lines, st.Firing.Render(m.fit(m.title, inner)))
	if m.detail != "" {
		lines = append(lines, "")
		for _, l := range strings.Split(ansi.Wordwrap(m.detail, inner, " -"), "\n") {
			lines = append(lines, m.fit(l, inner))
		}
	}
	lines = append(lines, "", m.fit("Type "+st.Title.Render(m.expect)+" to confirm:", inner))
	lines = append(lines, m.fit(m.input.View(), inner))
	switch {
	case m.tried && m.mismatch == "":
		lines = append(lines, st.Error.Render(m.fit("nothing typed: type "+m.expect+" exactly", inner)))
	case m.tried:
		lines = append(lines, st.Error.Render(m.fit("\""+m.mismatch+"\" does not match "+m.expect+"; nothing was done", inner)))
	default:
		lines = append(lines, "")
	}
	sep := " · "
	if m.c.ASCII {
		sep = " - "
	}
	lines = append(lines, st.Muted.Render(m.fit("enter confirm"+sep+"esc cancel", inner)))
	border := lipgloss.RoundedBorder()
	if m.c.ASCII {
		border = asciiBorder
	}
	box := st.Renderer.NewStyle().Border(border).BorderForeground(st.Firing.GetForeground()).
		Padding(0, 1).Width(bw - 2).Render(strings.Join(lines, "\n"))
	if m.width <= 0 || m.height <= 0 {
		return box
	}
	out := st.Renderer.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, box)
	rows := strings.Split(out, "\n")
	if len(rows) > m.height {
		rows = rows[:m.height]
	}
	for i := range rows {
		rows[i] = m.fit(rows[i], m.width)
	}
	return strings.Join(rows, "\n")
}
