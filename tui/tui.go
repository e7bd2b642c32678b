package tui

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/alerts"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/detail"
	"github.com/mlectl/mlectl/tui/gameday"
	"github.com/mlectl/mlectl/tui/keys"
	"github.com/mlectl/mlectl/tui/models"
	"github.com/mlectl/mlectl/tui/overview"
	"github.com/mlectl/mlectl/tui/query"
	"github.com/mlectl/mlectl/tui/record"
	"github.com/mlectl/mlectl/tui/runbooks"
	"github.com/mlectl/mlectl/tui/styles"
	"github.com/mlectl/mlectl/tui/timeline"
)

// Minimum terminal size; below it the console says so instead of drawing
// a broken layout.
const (
	MinWidth  = 60
	MinHeight = 12
)

// DefaultRefresh is how often the active view re-fetches.
const DefaultRefresh = 5 * time.Second

const readyTimeout = 5 * time.Second

// API is everything the console asks of the collector; *client.Client
// implements it.
type API interface {
	models.API
	alerts.API
	query.API
	detail.API
	timeline.API
	runbooks.API
	gameday.API
	overview.API
	record.API
	Ready(ctx context.Context) error
	URL() string
}

// View is one console screen.
type View interface {
	Name() string  // command name, e.g. "models"
	Title() string // breadcrumb
	Init() tea.Cmd // first fetch, run when the view is first opened
	// Refresh starts a background fetch, or returns nil when one is
	// already in flight.
	Refresh() tea.Cmd
	Update(tea.Msg) tea.Cmd
	View() string // exactly the body area set by SetSize
	SetSize(width, height int)
	SetFilter(string)
	// Capturing reports that a text input owns the keyboard, so global
	// keys (q, :, /, ?) must go to the view.
	Capturing() bool
	KeyBindings() []key.Binding
	LastUpdate() time.Time
}

// Opener is a view that takes an argument when opened: `:timeline MODEL`,
// or an alert's runbook reference and labels from a NavigateMsg.
type Opener interface {
	Open(arg string, labels map[string]string) tea.Cmd
}

// Backer is a view with a level of its own (a runbook opened from the
// list): Back reports whether it consumed esc.
type Backer interface {
	Back() bool
}

// Config configures the console.
type Config struct {
	API API
	// Renderer decides the colour profile; nil means lipgloss's default
	// for stdout.
	Renderer *lipgloss.Renderer
	// Now is the clock (ages, query evaluation time); nil means time.Now.
	Now func() time.Time
	// Refresh is the background refresh period; 0 means DefaultRefresh.
	Refresh  time.Duration
	ASCII    bool
	ReadOnly bool
	// RemoteSession marks a console served to a remote terminal (SSH):
	// file exports are refused, since they would write on this machine.
	RemoteSession bool
	// Start is the first view's command name; "" means models.
	Start string
	// Width and Height, when set, size the first frame without waiting
	// for the terminal's size (output that is not a terminal: benchmarks).
	Width, Height int
}

type inputMode int

const (
	modeNormal inputMode = iota
	modeCommand
	modeFilter
	modeHelp
)

type tickMsg struct{}

// modelCheckedMsg answers whether the collector knows the model a
// `:model NAME` command names.
type modelCheckedMsg struct {
	view  string // what opens on it: model (the detail) or alerts (:incident)
	name  string
	known bool
	err   error
}

type readyMsg struct {
	err error
	at  time.Time
}

// Model is the root Bubble Tea model.
type Model struct {
	c       common.Common
	cancel  context.CancelFunc
	api     API
	refresh time.Duration

	views   map[string]View
	order   []string // command names in help order
	aliases map[string]string
	inited  map[string]bool
	stack   []string // breadcrumbs, last is active
	filters map[string]string

	mode  inputMode
	input textinput.Model
	help  help.Model
	keys  keys.Global
	flash string

	readyErr      error
	readyAt       time.Time
	readyInflight bool

	width, height int
	quitting      bool
}

// New builds the console. ctx bounds every collector call; the console
// cancels its own derived context when it quits.
func New(ctx context.Context, cfg Config) *Model {
	r := cfg.Renderer
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithCancel(ctx)
	c := common.Common{Ctx: ctx, Styles: styles.New(r), Now: now, ASCII: cfg.ASCII, ReadOnly: cfg.ReadOnly, RemoteSession: cfg.RemoteSession}
	m := &Model{
		c:       c,
		cancel:  cancel,
		api:     cfg.API,
		refresh: cfg.Refresh,
		views:   map[string]View{},
		inited:  map[string]bool{},
		filters: map[string]string{},
		keys:    keys.NewGlobal(),
		aliases: map[string]string{
			"m": "models", "a": "alerts", "alert": "alerts", "o": "overview",
			"runbook": "runbooks", "rb": "runbooks", "events": "timeline", "game": "gameday",
			"q": "quit", "q!": "quit", "exit": "quit",
		},
	}
	if m.refresh <= 0 {
		m.refresh = DefaultRefresh
	}
	add := func(v View) {
		m.views[v.Name()] = v
		m.order = append(m.order, v.Name())
	}
	add(models.New(c, cfg.API))
	add(overview.New(c, cfg.API))
	add(alerts.New(c, cfg.API))
	add(query.New(c, cfg.API))
	add(detail.New(c, cfg.API))
	add(timeline.New(c, cfg.API))
	add(runbooks.New(c, cfg.API))
	add(gameday.New(c, cfg.API))
	add(record.New(c, cfg.API))
	start := cfg.Start
	if _, ok := m.views[start]; !ok {
		start = "models"
	}
	m.stack = []string{start}

	m.input = textinput.New()
	m.input.Prompt = ""
	m.input.Cursor.SetMode(cursor.CursorStatic)
	m.input.Cursor.Style = r.NewStyle().Reverse(true)
	m.input.Cursor.TextStyle = r.NewStyle()
	m.input.TextStyle = r.NewStyle()
	m.input.PromptStyle = r.NewStyle()

	m.help = help.New()
	st := c.Styles
	m.help.Styles = help.Styles{
		Ellipsis: st.Muted, ShortKey: st.Prompt, ShortDesc: st.Muted, ShortSeparator: st.Muted,
		FullKey: st.Prompt, FullDesc: r.NewStyle(), FullSeparator: st.Muted,
	}
	if cfg.ASCII {
		m.help.ShortSeparator = " | "
		m.help.Ellipsis = "..."
	}
	if cfg.Width > 0 && cfg.Height > 0 {
		m.Update(tea.WindowSizeMsg{Width: cfg.Width, Height: cfg.Height})
	}
	return m
}

func (m *Model) active() View { return m.views[m.stack[len(m.stack)-1]] }

// Active returns the command name of the view on screen.
func (m *Model) Active() string { return m.stack[len(m.stack)-1] }

// Init starts the first view, the readiness probe and the refresh ticker.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.initView(m.Active()), m.probeReady(), m.tick())
}

func (m *Model) tick() tea.Cmd {
	return tea.Tick(m.refresh, func(time.Time) tea.Msg { return tickMsg{} })
}

func (m *Model) initView(name string) tea.Cmd {
	if m.inited[name] {
		return m.views[name].Refresh()
	}
	m.inited[name] = true
	return m.views[name].Init()
}

func (m *Model) probeReady() tea.Cmd {
	if m.readyInflight {
		return nil
	}
	m.readyInflight = true
	c, api := m.c, m.api
	return c.Call(readyTimeout, func(ctx context.Context) tea.Msg {
		at := c.Now()
		return readyMsg{err: api.Ready(ctx), at: at}
	})
}

// open makes name the active view: an entry already in the breadcrumbs is
// returned to, any other is pushed.
func (m *Model) open(name string) tea.Cmd {
	for i, n := range m.stack {
		if n == name {
			m.stack = m.stack[:i+1]
			return m.initView(name)
		}
	}
	m.stack = append(m.stack, name)
	return m.initView(name)
}

// jump makes name the only view in the breadcrumbs: a `:` command goes
// somewhere else, as in k9s, rather than deeper (the trail grew with every
// command: "Models › Runbook … › Query › Timeline").
func (m *Model) jump(name string) tea.Cmd {
	m.stack = []string{name}
	return m.initView(name)
}

func (m *Model) back() {
	name := m.Active()
	if m.filters[name] != "" {
		m.filters[name] = ""
		m.views[name].SetFilter("")
		return
	}
	if b, ok := m.views[name].(Backer); ok && b.Back() {
		return
	}
	if len(m.stack) > 1 {
		m.stack = m.stack[:len(m.stack)-1]
	}
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.cancel()
	return tea.Quit
}

// Update routes messages: keys to the input line or the active view,
// fetch results to every view (each ignores what is not its own).
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		m.input.Width = max(msg.Width-3, 1)
		for _, v := range m.views {
			v.SetSize(msg.Width, max(msg.Height-2, 1))
		}
		return m, nil
	case tickMsg:
		return m, tea.Batch(m.tick(), m.active().Refresh(), m.probeReady())
	case readyMsg:
		m.readyInflight = false
		m.readyErr, m.readyAt = msg.err, msg.at
		return m, nil
	case modelCheckedMsg:
		switch {
		case msg.err != nil:
			m.flash = m.c.Styles.Error.Render("cannot open model " + msg.name + ": " + msg.err.Error())
		case !msg.known:
			m.flash = m.c.Styles.Error.Render("unknown model "+strconv.Quote(msg.name)) +
				m.c.Styles.Muted.Render(": not in the registry nor in the last hour's series")
		default:
			cmd := m.jump(msg.view)
			return m, tea.Batch(cmd, m.views[msg.view].(Opener).Open(msg.name, nil))
		}
		return m, nil
	case common.NavigateMsg:
		cmd := m.open(msg.View)
		if _, ok := m.views[msg.View].(*query.View); ok && msg.Arg != "" {
			cmd = m.setQuery(msg.Arg)
		} else if o, ok := m.views[msg.View].(Opener); ok && (msg.Arg != "" || len(msg.Labels) > 0) {
			cmd = tea.Batch(cmd, o.Open(msg.Arg, msg.Labels))
		}
		return m, cmd
	case tea.KeyMsg:
		return m, m.handleKeys(msg)
	}
	var cmds []tea.Cmd
	for _, v := range m.views {
		cmds = append(cmds, v.Update(msg))
	}
	return m, tea.Batch(cmds...)
}

// typing reports whether a text input owns the keyboard: the command or
// filter line, or a view's prompt, form or confirmation.
func (m *Model) typing() bool {
	return m.mode == modeCommand || m.mode == modeFilter || (m.mode == modeNormal && m.active().Capturing())
}

// handleKeys applies a key press. Bubble Tea v1 delivers runes read
// together (fast typing, a laggy SSH link: "jj" in one read) as one
// KeyMsg; each is a key press of its own, applied in order, until a text
// input owns the keyboard: it gets the rest as typed text, so a paste
// still arrives whole.
func (m *Model) handleKeys(msg tea.KeyMsg) tea.Cmd {
	if msg.Type != tea.KeyRunes || len(msg.Runes) < 2 || msg.Paste {
		return m.handleKey(msg)
	}
	var cmds []tea.Cmd
	for i, r := range msg.Runes {
		if m.quitting {
			break
		}
		if m.typing() {
			rest := msg
			rest.Runes = msg.Runes[i:]
			cmds = append(cmds, m.handleKey(rest))
			break
		}
		cmds = append(cmds, m.handleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
	}
	return tea.Batch(cmds...)
}

func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, m.keys.Force) {
		return m.quit()
	}
	switch m.mode {
	case modeCommand, modeFilter:
		return m.handleInput(msg)
	case modeHelp:
		switch {
		case key.Matches(msg, m.keys.Quit):
			return m.quit()
		case key.Matches(msg, m.keys.Help), key.Matches(msg, m.keys.Back):
			m.mode = modeNormal
		}
		return nil
	}
	m.flash = ""
	v := m.active()
	if v.Capturing() {
		return m.viewUpdate(v, msg)
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m.quit()
	case key.Matches(msg, m.keys.Command):
		m.mode = modeCommand
		m.input.Reset()
		return m.input.Focus()
	case key.Matches(msg, m.keys.Filter):
		m.mode = modeFilter
		m.input.SetValue(m.filters[m.Active()])
		m.input.CursorEnd()
		return m.input.Focus()
	case key.Matches(msg, m.keys.Help):
		m.mode = modeHelp
		return nil
	case key.Matches(msg, m.keys.Back):
		m.back()
		return nil
	case key.Matches(msg, m.keys.Refresh):
		return tea.Batch(v.Refresh(), m.probeReady())
	}
	return m.viewUpdate(v, msg)
}

func (m *Model) handleInput(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEsc:
		if m.mode == modeFilter {
			m.setFilter(m.filters[m.Active()]) // restore the filter in force
		}
		m.mode = modeNormal
		m.input.Blur()
		return nil
	case tea.KeyEnter:
		mode, value := m.mode, strings.TrimSpace(m.input.Value())
		m.mode = modeNormal
		m.input.Blur()
		if mode == modeFilter {
			m.filters[m.Active()] = value
			m.setFilter(value)
			return nil
		}
		return m.runCommand(value)
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	if m.mode == modeFilter {
		m.active().SetFilter(m.input.Value()) // live filtering
	}
	return cmd
}

func (m *Model) setFilter(f string) { m.active().SetFilter(f) }

// setQuery runs a new expression in the Query view (a runbook step, a
// drill-down, `:query EXPR`); the / filter of the earlier one goes.
func (m *Model) setQuery(expr string) tea.Cmd {
	q := m.views["query"].(*query.View)
	m.filters["query"] = ""
	q.SetFilter("")
	return q.SetQuery(expr)
}

// viewUpdate hands a key to the active view. When the Query view starts
// a new expression from its own input line, the filter of the earlier one
// goes, as with setQuery.
func (m *Model) viewUpdate(v View, msg tea.Msg) tea.Cmd {
	q, ok := v.(*query.View)
	if !ok {
		return v.Update(msg)
	}
	before := q.Ran()
	cmd := q.Update(msg)
	if q.Ran() != before && m.filters["query"] != "" {
		m.filters["query"] = ""
		q.SetFilter("")
	}
	return cmd
}

// errUnknownCommand is shown in the footer for a mistyped `:` command.
var errUnknownCommand = errors.New("unknown command")

func (m *Model) runCommand(cmd string) tea.Cmd {
	name, arg, _ := strings.Cut(strings.TrimPrefix(cmd, ":"), " ")
	if name == "incident" {
		// The summary of a model the collector does not know would say
		// "nothing fires" about a typo.
		if arg = strings.TrimSpace(arg); arg == "" {
			return tea.Batch(m.jump("alerts"), m.views["alerts"].(Opener).Open("", nil)) // the worst firing model's
		}
		return m.checkModel("alerts", arg)
	}
	if a, ok := m.aliases[name]; ok {
		name = a
	}
	switch name {
	case "":
		return nil
	case "quit":
		return m.quit()
	}
	if _, ok := m.views[name]; !ok {
		m.flash = m.c.Styles.Error.Render(errUnknownCommand.Error()+" :"+name) + m.c.Styles.Muted.Render(" (try :"+strings.Join(m.order, " :")+")")
		return nil
	}
	if name == "model" {
		// A typo is refused, not shown as an empty model.
		if arg = strings.TrimSpace(arg); arg == "" {
			m.flash = m.c.Styles.Error.Render(":model needs a model name") + m.c.Styles.Muted.Render(" (:model NAME; :models lists them)")
			return nil
		}
		return m.checkModel("model", arg)
	}
	if _, ok := m.views[name].(*query.View); ok && strings.TrimSpace(arg) != "" {
		m.jump(name)
		return m.setQuery(arg)
	}
	if o, ok := m.views[name].(Opener); ok {
		cmd := m.jump(name)
		return tea.Batch(cmd, o.Open(strings.TrimSpace(arg), nil))
	}
	return m.jump(name)
}

// checkModel asks the collector whether it knows model: the registry
// first, then the series of the last hour (a model with traffic but no
// registry entry).
func (m *Model) checkModel(view, model string) tea.Cmd {
	api, now := m.api, m.c.Now()
	return m.c.Call(readyTimeout, func(ctx context.Context) tea.Msg {
		_, err := api.Model(ctx, model)
		var ae *client.APIError
		switch {
		case err == nil:
			return modelCheckedMsg{view: view, name: model, known: true}
		case errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound, errors.Is(err, client.ErrNotConfigured):
		default:
			return modelCheckedMsg{view: view, name: model, err: err}
		}
		res, err := api.Query(ctx, "count(last_over_time({model="+strconv.Quote(model)+"}[1h]))", now)
		if err != nil {
			return modelCheckedMsg{view: view, name: model, err: err}
		}
		v, _ := res.Value.(client.Vector)
		return modelCheckedMsg{view: view, name: model, known: len(v) > 0 && v[0].V > 0}
	})
}

// View renders header, body and footer; it does no I/O.
func (m *Model) View() string {
	if m.quitting {
		return ""
	}
	if m.width == 0 {
		return "starting…"
	}
	if m.width < MinWidth || m.height < MinHeight {
		return ansi.Truncate("terminal too small: "+strconv.Itoa(m.width)+"x"+strconv.Itoa(m.height)+", need "+strconv.Itoa(MinWidth)+"x"+strconv.Itoa(MinHeight), m.width, "")
	}
	var body string
	if m.mode == modeHelp {
		body = m.helpView()
	} else {
		body = m.active().View()
	}
	frame := m.header() + "\n" + body + "\n" + m.footer()
	if m.c.ASCII {
		frame = asciiGlyphs.Replace(frame)
	}
	return frame
}

// asciiGlyphs maps every non-ASCII glyph the console draws to one ASCII
// character of the same width, so --ascii keeps columns aligned.
var asciiGlyphs = strings.NewReplacer(
	"…", "~", "·", "-", "•", "|", "›", ">", "—", "-", "µ", "u", "↑", "^", "↓", "v",
	"▁", "_", "▂", ".", "▃", "-", "▄", "~", "▅", "=", "▆", "*", "▇", "#", "█", "@",
	"→", ">", "–", "-", "σ", "s", "←", "<", "±", "~", "×", "x", "≤", "<", "²", "2",
	"│", "|", "▏", "|", "▎", "|", "▍", "|", "▌", "|", "▋", "|", "▊", "|", "▉", "|",
)

func (m *Model) header() string {
	st := m.c.Styles
	sep := " › "
	if m.c.ASCII {
		sep = " > "
	}
	root := st.Crumb.Render("mlectl")
	var crumbs []string
	for i, n := range m.stack {
		t := m.views[n].Title()
		if i == len(m.stack)-1 {
			crumbs = append(crumbs, st.CrumbActive.Render(t))
		} else {
			crumbs = append(crumbs, st.Crumb.Render(t))
		}
	}
	if f := m.filters[m.Active()]; f != "" {
		crumbs = append(crumbs, st.Crumb.Render("/"+f))
	}
	if m.mode == modeHelp {
		crumbs = append(crumbs, st.CrumbActive.Render("Help"))
	}
	join := func(cs []string) string { return strings.Join(cs, st.Crumb.Render(sep)) }
	left := join(append([]string{root}, crumbs...))

	var health string
	switch {
	case m.readyAt.IsZero():
		health = st.Muted.Render("collector ?")
	case m.readyErr != nil:
		health = st.StatusBad.Render("collector NOT READY")
	default:
		health = st.StatusOK.Render("collector ready")
	}
	right := health + st.Muted.Render(" · "+m.c.DataAge(m.active().LastUpdate()))
	if url := m.api.URL(); ansi.StringWidth(left)+ansi.StringWidth(right)+len(url)+4 <= m.width {
		right += st.Muted.Render(" · " + url)
	}
	gap := m.width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		// Deep breadcrumbs give way to collector health and data age,
		// from the left: the view on screen is the one crumb never cut.
		avail := m.width - ansi.StringWidth(right) - 1
		for len(crumbs) > 1 && ansi.StringWidth(left) > avail {
			crumbs = crumbs[1:]
			left = join(append([]string{st.Crumb.Render("…")}, crumbs...))
		}
		if ansi.StringWidth(left) > avail && avail >= 12 {
			left = ansi.Truncate(left, avail, "…")
		}
		if ansi.StringWidth(left) <= avail {
			return left + strings.Repeat(" ", m.width-ansi.StringWidth(left)-ansi.StringWidth(right)) + right
		}
		return common.Fit(left+" "+right, m.width)
	}
	return left + strings.Repeat(" ", gap) + right
}

func (m *Model) footer() string {
	switch m.mode {
	case modeCommand:
		return common.Fit(":"+m.input.View(), m.width)
	case modeFilter:
		return common.Fit("/"+m.input.View(), m.width)
	}
	if m.flash != "" {
		return common.Fit(m.flash, m.width)
	}
	if m.readyErr != nil && !m.readyAt.IsZero() {
		msg := m.readyErr.Error()
		if !strings.HasPrefix(msg, "collector ") { // not "collector: collector … unreachable"
			msg = "collector: " + msg
		}
		return common.Fit(m.c.Styles.Error.Render(msg), m.width)
	}
	v := m.active()
	if v.Capturing() {
		return m.shortHelp(m.keyNames(v.KeyBindings()), key.Binding{})
	}
	// The view's own hotkeys first, then the global ones.
	bindings := append(m.keyNames(keys.Own(v.KeyBindings())), m.keys.Command, m.keys.Filter, m.keys.Help)
	if len(m.stack) > 1 || m.filters[m.Active()] != "" {
		bindings = append(bindings, m.keys.Back)
	}
	return m.shortHelp(append(bindings, m.keys.Quit), m.keys.Help)
}

// shortHelp lays out as many bindings as fit the width, with an ellipsis
// where some are left out (bubbles' help adds an item that does not fit
// when its ellipsis does not fit either); keep, when enabled, stays at the
// end however many go (the way to the full list).
func (m *Model) shortHelp(bs []key.Binding, keep key.Binding) string {
	h := m.help
	h.Width = 0
	tail := ""
	if keep.Enabled() && len(keep.Keys()) > 0 {
		tail = h.Styles.ShortSeparator.Render(h.ShortSeparator) + h.ShortHelpView([]key.Binding{keep})
	}
	for n := len(bs); n > 0; n-- {
		out := h.ShortHelpView(bs[:n])
		if n < len(bs) {
			out += " " + h.Styles.Ellipsis.Render(h.Ellipsis)
			if !slices.ContainsFunc(bs[:n], func(b key.Binding) bool { return b.Help() == keep.Help() }) {
				out += tail
			}
		}
		if lipgloss.Width(out) <= m.width {
			return out
		}
	}
	return ""
}

// asciiKeyNames spells the arrow keys out under --ascii: the one-column
// stand-ins (^ v < >) read as the keys v and ^.
var asciiKeyNames = strings.NewReplacer("↑", "up", "↓", "down", "←", "left", "→", "right")

// keyNames returns bindings whose help names the keys in ASCII words when
// the console runs with --ascii; the help lays them out at their width.
func (m *Model) keyNames(bs []key.Binding) []key.Binding {
	if !m.c.ASCII {
		return bs
	}
	out := make([]key.Binding, len(bs))
	for i, b := range bs {
		h := b.Help()
		b.SetHelp(asciiKeyNames.Replace(h.Key), h.Desc)
		out[i] = b
	}
	return out
}

// helpView lists every binding in force: the global keys, the active
// view's keys and the `:` commands.
func (m *Model) helpView() string {
	v := m.active()
	st := m.c.Styles
	cols := m.keys.FullHelp()
	if vb := v.KeyBindings(); len(vb) > 0 {
		cols = append(cols, vb)
	}
	for i := range cols {
		cols[i] = m.keyNames(cols[i])
	}
	cmds := make([]key.Binding, 0, len(m.order)+1)
	for _, n := range m.order {
		cmds = append(cmds, key.NewBinding(key.WithKeys(":"+n), key.WithHelp(":"+n, m.views[n].Title())))
	}
	cmds = append(cmds,
		key.NewBinding(key.WithKeys(":incident"), key.WithHelp(":incident", "Incident")),
		key.NewBinding(key.WithKeys(":quit"), key.WithHelp(":quit", "quit")))
	lines := []string{st.Title.Render("Keys in " + v.Title()), ""}
	lines = append(lines, m.helpColumns(cols, cmds)...)
	lines = append(lines, "", st.Muted.Render("esc or ? closes help"))
	h := max(m.height-2, 1)
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i := range lines {
		lines[i] = common.Fit(lines[i], m.width)
	}
	return strings.Join(lines[:h], "\n")
}

// helpGap separates help columns.
const helpGap = "    "

// helpColumns lays the key groups out side by side, wrapping to a new row
// of columns where the terminal is too narrow, so no group is cut off. The
// `:` commands take a column when they fit beside the last row, else one
// wrapped line.
func (m *Model) helpColumns(groups [][]key.Binding, cmds []key.Binding) []string {
	h := m.help
	h.Width = 0 // no cut: the rows below fit the width
	block := func(g []key.Binding) string { return h.FullHelpView([][]key.Binding{g}) }
	var rows []string
	row := ""
	for _, g := range groups {
		b := block(g)
		switch {
		case b == "":
		case row == "":
			row = b
		case lipgloss.Width(row)+len(helpGap)+lipgloss.Width(b) <= m.width:
			row = lipgloss.JoinHorizontal(lipgloss.Top, row, helpGap, b)
		default:
			rows = append(rows, row)
			row = b
		}
	}
	if b := block(cmds); lipgloss.Width(row)+len(helpGap)+lipgloss.Width(b) <= m.width {
		row = lipgloss.JoinHorizontal(lipgloss.Top, row, helpGap, b)
		rows = append(rows, row)
	} else {
		rows = append(rows, row, m.commandLine(cmds))
	}
	var lines []string
	for i, r := range rows {
		if i > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, strings.Split(r, "\n")...)
	}
	return lines
}

// commandLine lists the `:` commands on as few lines as the width allows.
func (m *Model) commandLine(cmds []key.Binding) string {
	st := m.c.Styles
	line := st.Muted.Render("commands")
	w := len("commands")
	var out []string
	for _, c := range cmds {
		k := c.Help().Key
		if w+1+len(k) > m.width {
			out = append(out, line)
			line, w = "", -1
		}
		if w >= 0 {
			line += " "
		}
		line += st.Prompt.Render(k)
		w += 1 + len(k)
	}
	return strings.Join(append(out, line), "\n")
}
