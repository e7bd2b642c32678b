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

	// choice, when set, lets the operator pick the target (the version
	// a rollback goes to) before confirming; title, detail and action
	// follow the pick.
	choice *Choice
	sel    int
	pick   key.Binding

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

// Choice is a dialog's pickable target: the options, first the default,
// and the title, detail and action for each.
type Choice struct {
	Label   string // what is picked: "target"
	Options []string
	Notes   map[string]string // an option's note: "previous production"
	Title   func(option string) string
	Detail  func(option string) string
	Action  func(option string) tea.Cmd
}

// NewChoice opens a dialog whose target the operator picks with ↑/↓ (or
// tab) among ch.Options; the action for the picked one runs only after
// expect is typed exactly and enter pressed.
func NewChoice(c common.Common, expect string, ch Choice) *Model {
	m := New(c, "", "", expect, nil)
	m.choice = &ch
	m.pick = key.NewBinding(key.WithKeys("up", "down", "tab", "shift+tab"), key.WithHelp("↑/↓", "pick target"))
	m.keys = []key.Binding{m.pick, m.confirm, m.cancel}
	m.sync()
	return m
}

// Picked is the option the dialog would act on.
func (m *Model) Picked() string {
	if m.choice == nil || len(m.choice.Options) == 0 {
		return ""
	}
	return m.choice.Options[m.sel]
}

// sync sets title, detail and action from the picked option.
func (m *Model) sync() {
	if m.choice == nil || len(m.choice.Options) == 0 {
		return
	}
	o := m.Picked()
	m.title, m.detail, m.action = m.choice.Title(o), m.choice.Detail(o), m.choice.Action(o)
}

// Done reports that the operator confirmed and the action was handed out.
func (m *Model) Done() bool { return m.done }

// Cancelled reports that the operator pressed esc.
func (m *Model) Cancelled() bool { return m.cancelled }

// Capturing reports whether the dialog is open and owns the keyboard; a
// nil dialog (none open) does not.
func (m *Model) Capturing() bool { return m != nil && !m.done && !m.cancelled }

// Handle gives msg to the dialog *d while it is open and reports whether
// it took msg. When the operator confirms or cancels, the dialog closes
// (*d becomes nil) and done or cancelled runs: the view's status line
// says what happens next.
func Handle(d **Model, msg tea.Msg, done, cancelled func()) (tea.Cmd, bool) {
	m := *d
	if !m.Capturing() {
		return nil, false
	}
	cmd := m.Update(msg)
	switch {
	case m.Cancelled():
		*d = nil
		cancelled()
	case m.Done():
		*d = nil
		done()
	}
	return cmd, true
}

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
	if m.choice != nil && key.Matches(km, m.pick) {
		n := len(m.choice.Options)
		if n > 0 {
			switch km.String() {
			case "up", "shift+tab":
				m.sel = (m.sel + n - 1) % n
			default:
				m.sel = (m.sel + 1) % n
			}
			m.sync()
		}
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
	if m.choice != nil && len(m.choice.Options) > 0 {
		lines = append(lines, "")
		for _, l := range m.choiceLines(inner) {
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
	hint := "enter confirm" + sep + "esc cancel"
	if m.choice != nil && len(m.choice.Options) > 1 {
		hint = "up/down picks another target" + sep + hint
	}
	lines = append(lines, st.Muted.Render(m.fit(hint, inner)))
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

// choiceLines lists the options, the picked one marked, each with its
// note, wrapped to width.
func (m *Model) choiceLines(width int) []string {
	st := m.c.Styles
	marker := "›"
	if m.c.ASCII {
		marker = ">"
	}
	head := m.choice.Label + ":"
	var items []string
	for i, o := range m.choice.Options {
		item := o
		if n := m.choice.Notes[o]; n != "" {
			item += " (" + n + ")"
		}
		if i == m.sel {
			item = st.Title.Render(marker + item)
		} else {
			item = " " + item
		}
		items = append(items, item)
	}
	var out []string
	line := head
	for _, it := range items {
		if ansi.StringWidth(line)+1+ansi.StringWidth(it) > width && line != "" {
			out = append(out, line)
			line = strings.Repeat(" ", len(head))
		}
		line += " " + it
	}
	return append(out, line)
}
