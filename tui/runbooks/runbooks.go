package runbooks

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/glamour"
	gansi "github.com/charmbracelet/glamour/ansi"
	gstyles "github.com/charmbracelet/glamour/styles"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	wire "github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/confirm"
	"github.com/mlectl/mlectl/tui/keys"
)

const fetchTimeout = 10 * time.Second

// stepTimeout bounds a step run: a rollback waits for the actuator.
const stepTimeout = 2 * time.Minute

// API is what the view needs from the collector.
type API interface {
	Runbooks(ctx context.Context, labels map[string]string) ([]client.RunbookSummary, error)
	Runbook(ctx context.Context, id string) (wire.Runbook, error)
	// RunStepWith runs a step; its To is a rollback step's target.
	RunStepWith(ctx context.Context, id string, n int, body wire.StepBody) (client.StepResult, error)
	// Model names the versions a rollback step may move to.
	Model(ctx context.Context, name string) (client.ModelState, error)
}

// targetMsg is the registry's answer for a rollback step's dialog.
type targetMsg struct {
	n     int
	model string
	state client.ModelState
	err   error
}

const (
	colID = iota
	colTitle
	colSteps
	colAlerts
	colOwner
	numCols
)

var columns = []common.Column{
	colID:     {Title: "ID", Width: 22},
	colTitle:  {Title: "TITLE", Width: 20, Flex: true, MaxWidth: 50},
	colSteps:  {Title: "STEPS", Width: 5, Priority: 1, Right: true},
	colAlerts: {Title: "ALERTS", Width: 30, Priority: 3},
	colOwner:  {Title: "OWNER", Width: 12, Priority: 2},
}

type listedMsg struct {
	list []client.RunbookSummary
	err  error
	at   time.Time
}

// resolvedMsg answers which runbook an alert links to.
type resolvedMsg struct {
	ref  string
	list []client.RunbookSummary
	err  error
}

type loadedMsg struct {
	id  string
	rb  wire.Runbook
	err error
	at  time.Time
}

type stepMsg struct {
	id  string
	n   int
	res client.StepResult
	err error
}

// View is the Runbooks screen: the list, or one runbook.
type View struct {
	common.Base // Err: the list's
	c           common.Common
	api         API
	table       *common.Table
	keys        keys.Runbooks
	ask         keys.Prompt

	list []client.RunbookSummary

	// detail
	detail   bool
	fromList bool // esc returns to the list rather than the previous view
	id       string
	book     *wire.Runbook
	docErr   error
	loading  bool
	rendered string
	vp       viewport.Model
	sel      int               // selected step, 0-based
	vars     map[string]string // from the alert that opened the runbook
	running  bool

	// running a step: values asked for, then the confirm dialog
	asking  []string
	input   textinput.Model
	pending int // step being prepared, 1-based
	dialog  *confirm.Model
}

// New returns the Runbooks view reading from api.
func New(c common.Common, api API) *View {
	v := &View{
		Base: common.NewBase(c, "runbooks", "Runbooks"), c: c, api: api, table: common.NewTable(c, columns),
		keys:  keys.NewRunbooks(),
		ask:   keys.NewPrompt("next"),
		input: common.NewInput(c, ""),
		vp:    viewport.New(0, 0),
	}
	v.vp.KeyMap = viewport.KeyMap{} // keys are routed by the view
	v.table.SetEmpty("loading runbooks…")
	return v
}

// Title is the view's breadcrumb.
func (v *View) Title() string {
	if v.detail {
		return "Runbook " + v.id
	}
	return v.Base.Title()
}

// Init starts the first fetch.
func (v *View) Init() tea.Cmd { return v.Refresh() }

// Refresh refetches the list unless a fetch is running; a runbook on
// screen does not change while the collector runs.
func (v *View) Refresh() tea.Cmd {
	c, api := v.c, v.api
	return v.Fetch(fetchTimeout, func(ctx context.Context) tea.Msg {
		at := c.Now()
		list, err := api.Runbooks(ctx, nil)
		return listedMsg{list: list, err: err, at: at}
	})
}

// Open shows the runbook an alert links to: ref is the alert's runbook
// annotation (an ID, or a URL ending in one) and labels its labels, which
// also fill the steps' ${placeholders}. With neither it shows the list.
func (v *View) Open(ref string, labels map[string]string) tea.Cmd {
	ref = strings.TrimSpace(ref)
	if ref == common.Dash || ref == "-" {
		ref = ""
	}
	if ref == "" && len(labels) == 0 {
		v.detail = false
		return nil
	}
	v.vars = maps.Clone(labels)
	v.fromList = false
	v.SetStatus("", false)
	params := maps.Clone(labels)
	if params == nil {
		params = map[string]string{}
	}
	if ref != "" {
		params["runbook"] = ref
	}
	c, api := v.c, v.api
	return c.Call(fetchTimeout, func(ctx context.Context) tea.Msg {
		list, err := api.Runbooks(ctx, params)
		return resolvedMsg{ref: ref, list: list, err: err}
	})
}

// Back leaves a runbook opened from the list; it reports false when the
// root should go back to the previous view instead.
func (v *View) Back() bool {
	if v.detail && v.fromList {
		v.detail = false
		return true
	}
	v.detail = false
	return false
}

// Capturing reports that a value prompt or the confirm dialog owns the
// keyboard.
func (v *View) Capturing() bool {
	return len(v.asking) > 0 || v.dialog.Capturing()
}

// SetFilter keeps runbooks whose id, title, alerts or owner contain f.
// With a runbook open it searches it instead: the text scrolls to the
// first line holding f (it did nothing there).
func (v *View) SetFilter(f string) {
	v.Base.SetFilter(f)
	v.rebuild()
	if v.book != nil && v.Filter != "" {
		v.search(v.Filter)
	}
}

// search scrolls the open runbook to the first line containing f (lower
// case), and reports whether one does.
func (v *View) search(f string) bool {
	for i, l := range strings.Split(v.rendered, "\n") {
		if strings.Contains(strings.ToLower(ansi.Strip(l)), f) {
			v.vp.SetYOffset(i)
			return true
		}
	}
	return false
}

// SetSize sets the body area.
func (v *View) SetSize(w, h int) {
	v.Base.SetSize(w, h)
	v.table.SetSize(w, max(h-1, 1))
	v.input.Width = max(w-30, 10)
	if v.dialog != nil {
		v.dialog.SetSize(w, h)
	}
	v.layout()
	v.render()
}

// KeyBindings lists the view's keys for help.
func (v *View) KeyBindings() []key.Binding {
	switch {
	case v.dialog.Capturing():
		return v.dialog.KeyBindings()
	case len(v.asking) > 0:
		return v.ask.ShortHelp()
	case v.detail:
		b := v.keys.Reading()
		if v.c.ReadOnly {
			b = b[:len(b)-1] // no Run
		}
		return b
	}
	return append(v.table.KeyBindings(), v.keys.Open)
}

// Update handles fetch results, step results and keys.
func (v *View) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case listedMsg:
		v.list = common.Answer(&v.Base, msg.at, msg.list, msg.err, v.list)
		v.rebuild()
	case resolvedMsg:
		switch {
		case msg.err != nil:
			v.openDetail(msg.ref)
			v.loading, v.docErr = false, msg.err
		case len(msg.list) == 0:
			v.openDetail(msg.ref)
			v.loading, v.docErr = false, errors.New("no runbook matches this alert (its runbook annotation: "+orNone(msg.ref)+")")
		default:
			return v.load(msg.list[0].ID)
		}
	case loadedMsg:
		if msg.id != v.id {
			return nil
		}
		v.loading = false
		v.docErr = msg.err
		if msg.err == nil {
			b := msg.rb
			v.book = &b
			v.sel = firstAction(b.Steps)
			v.layout()
			v.render()
		}
	case targetMsg:
		if v.book == nil || msg.n != v.pending || msg.n > len(v.book.Steps) {
			return nil
		}
		if msg.err != nil {
			v.openDialog(msg.n, msg.err.Error())
			return nil
		}
		targets, notes := common.RollbackTargets(msg.state)
		if len(targets) == 0 || msg.state.Production == "" {
			v.openDialog(msg.n, "it holds no other version that is not archived")
			return nil
		}
		v.openTargetDialog(msg.n, msg.state.Production, targets, notes)
		return nil
	case stepMsg:
		v.running = false
		if msg.err != nil {
			v.SetStatus("step "+strconv.Itoa(msg.n)+" failed: "+msg.err.Error(), true)
			return nil
		}
		v.SetStatus("step "+strconv.Itoa(msg.n)+" ("+stepKind(msg.res.Action)+"): "+msg.res.Outcome, false)
		if msg.res.Query != "" && !strings.Contains(msg.res.Query, "${") {
			q := msg.res.Query
			return func() tea.Msg { return common.NavigateMsg{View: "query", Arg: q} }
		}
	case tea.KeyMsg:
		return v.handleKey(msg)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func stepKind(action string) string {
	if action == "" {
		return "read"
	}
	return action
}

// firstAction selects the first step that acts (rollback, promote,
// silence), else the first step.
func firstAction(steps []wire.RunbookStep) int {
	for i, s := range steps {
		if s.Action == wire.StepRollback || s.Action == wire.StepPromote {
			return i
		}
	}
	return 0
}

func (v *View) openDetail(id string) {
	v.detail, v.id, v.book, v.docErr, v.loading = true, id, nil, nil, true
	v.rendered, v.sel, v.dialog, v.asking = "", 0, nil, nil
	v.vp.SetContent("")
	v.vp.GotoTop()
}

func (v *View) load(id string) tea.Cmd {
	v.openDetail(id)
	c, api := v.c, v.api
	return c.Call(fetchTimeout, func(ctx context.Context) tea.Msg {
		at := c.Now()
		b, err := api.Runbook(ctx, id)
		return loadedMsg{id: id, rb: b, err: err, at: at}
	})
}

func (v *View) handleKey(msg tea.KeyMsg) tea.Cmd {
	if cmd, ok := confirm.Handle(&v.dialog, msg,
		func() {
			v.running = true
			v.SetStatus("running step "+strconv.Itoa(v.pending)+"…", false)
		},
		func() { v.SetStatus("cancelled: nothing was done", false) }); ok {
		return cmd
	}
	if len(v.asking) > 0 {
		return v.updateAsk(msg)
	}
	if !v.detail {
		if key.Matches(msg, v.keys.Open) {
			if row, ok := v.table.Selected(); ok {
				cmd := v.load(row.Key)
				v.fromList = true
				v.vars = nil
				v.SetStatus("", false)
				return cmd
			}
			return nil
		}
		v.table.Update(msg)
		return nil
	}
	switch {
	case key.Matches(msg, v.keys.ScrollUp):
		v.vp.ScrollUp(1)
	case key.Matches(msg, v.keys.ScrollDown):
		v.vp.ScrollDown(1)
	case key.Matches(msg, v.keys.PageUp):
		v.vp.PageUp()
	case key.Matches(msg, v.keys.PageDown):
		v.vp.PageDown()
	case key.Matches(msg, v.keys.Top):
		v.vp.GotoTop()
	case key.Matches(msg, v.keys.Bottom):
		v.vp.GotoBottom()
	case key.Matches(msg, v.keys.Next):
		if v.book != nil && v.sel < len(v.book.Steps)-1 {
			v.sel++
		}
	case key.Matches(msg, v.keys.Prev):
		if v.sel > 0 {
			v.sel--
		}
	case key.Matches(msg, v.keys.Run):
		if v.c.ReadOnly || v.book == nil || len(v.book.Steps) == 0 || v.running {
			return nil
		}
		v.pending = v.sel + 1
		v.asking = nil
		if v.vars == nil {
			v.vars = map[string]string{}
		}
		_, missing := v.book.Steps[v.sel].Expand(v.vars)
		if len(missing) > 0 {
			// model first: it is what the confirmation is typed against.
			slices.SortStableFunc(missing, func(a, b string) int {
				return boolRank(a != "model") - boolRank(b != "model")
			})
			v.asking = missing
			v.input.Prompt = "value for ${" + missing[0] + "}: "
			v.input.SetValue("")
			return v.input.Focus()
		}
		return v.prepare()
	}
	return nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (v *View) updateAsk(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, v.ask.Cancel):
		v.asking = nil
		v.input.Blur()
		v.SetStatus("cancelled: nothing was done", false)
		return nil
	case key.Matches(msg, v.ask.Confirm):
		val := strings.TrimSpace(v.input.Value())
		if val == "" {
			return nil
		}
		v.vars[v.asking[0]] = val
		v.asking = v.asking[1:]
		if len(v.asking) > 0 {
			v.input.Prompt = "value for ${" + v.asking[0] + "}: "
			v.input.SetValue("")
			return nil
		}
		v.input.Blur()
		return v.prepare()
	}
	var cmd tea.Cmd
	v.input, cmd = v.input.Update(msg)
	return cmd
}

// prepare runs step v.pending, behind the confirm dialog when it acts on a
// model.
func (v *View) prepare() tea.Cmd {
	n := v.pending
	step := v.book.Steps[n-1]
	args, _ := step.Expand(v.vars)
	run := v.runCmd(v.book.ID, n, maps.Clone(v.vars), "")
	if step.Action != wire.StepRollback && step.Action != wire.StepPromote {
		v.running = true
		v.SetStatus("running step "+strconv.Itoa(n)+"…", false)
		return run
	}
	model := args["model"]
	if step.Action == wire.StepRollback && args["version"] == "" {
		// Name the target: ask the registry first.
		c, api := v.c, v.api
		return c.Call(stepTimeout, func(ctx context.Context) tea.Msg {
			st, err := api.Model(ctx, model)
			return targetMsg{n: n, model: model, state: st, err: err}
		})
	}
	v.openDialog(n, "")
	return nil
}

// openTargetDialog asks for a rollback step's target among the registry's
// targets (its default, the previous production version, first; ↑/↓ picks
// another, as the model view's rollback does) and for the model's name
// before it runs. Only versions the registry holds are offered, and the
// collector refuses any other (as `mlectl rollback --to`).
func (v *View) openTargetDialog(n int, from string, targets []string, notes map[string]string) {
	step := v.book.Steps[n-1]
	args, _ := step.Expand(v.vars)
	model, id, vars := args["model"], v.book.ID, maps.Clone(v.vars)
	title := strings.ToUpper(step.Action[:1]) + step.Action[1:] + " " + model
	v.dialog = confirm.NewChoice(v.c, model, confirm.Choice{
		Label:   "to",
		Options: targets,
		Notes:   notes,
		Title:   func(to string) string { return title + ": " + from + " → " + to + "?" },
		Detail: func(to string) string {
			return "Step " + strconv.Itoa(n) + " of runbook " + id + " will roll " + model + " back from " + from + " to " + to +
				" (" + notes[to] + "). Reason: " + orNone(args["reason"]) + "."
		},
		Action: func(to string) tea.Cmd { return v.runCmd(id, n, vars, to) },
	})
	v.dialog.SetSize(v.Width, v.Height)
}

// openDialog asks for step n's model name before it runs; why says why
// the registry named no rollback target.
func (v *View) openDialog(n int, why string) {
	step := v.book.Steps[n-1]
	args, _ := step.Expand(v.vars)
	run := v.runCmd(v.book.ID, n, maps.Clone(v.vars), "")
	model := args["model"]
	detail := "Step " + strconv.Itoa(n) + " of runbook " + v.book.ID + " will " + step.Action + " " + model
	title := strings.ToUpper(step.Action[:1]) + step.Action[1:] + " " + model
	switch ver := args["version"]; {
	case ver != "":
		detail += " to " + ver
		title += " to " + ver
	case step.Action == wire.StepRollback:
		detail += " to its previous production version"
		if why != "" {
			detail += " (the registry did not name it: " + why + ")"
		}
	}
	detail += ". Reason: " + orNone(args["reason"]) + "."
	v.dialog = confirm.New(v.c, title+"?", detail, model, run)
	v.dialog.SetSize(v.Width, v.Height)
}

// runCmd runs step n with vars; to is a rollback's target ("" the
// step's own or the registry's default).
func (v *View) runCmd(id string, n int, vars map[string]string, to string) tea.Cmd {
	c, api := v.c, v.api
	return c.Call(stepTimeout, func(ctx context.Context) tea.Msg {
		res, err := api.RunStepWith(ctx, id, n, wire.StepBody{Vars: vars, To: to})
		return stepMsg{id: id, n: n, res: res, err: err}
	})
}

func (v *View) rebuild() {
	dash := v.c.DashFor()
	rows := make([]common.Row, 0, len(v.list))
	for _, r := range v.list {
		alerts := strings.Join(r.Alerts, ", ")
		if v.Filter != "" && !strings.Contains(strings.ToLower(r.ID+" "+r.Title+" "+alerts+" "+r.Owner), v.Filter) {
			continue
		}
		cells := make([]string, numCols)
		cells[colID] = r.ID
		cells[colTitle] = r.Title
		cells[colSteps] = strconv.Itoa(r.Steps)
		cells[colAlerts] = alerts
		cells[colOwner] = r.Owner
		for i, s := range cells {
			if s == "" {
				cells[i] = dash
			}
		}
		rows = append(rows, common.Row{Key: r.ID, Cells: cells})
	}
	v.table.SetEmpty(v.EmptyText(common.Empty{
		Source: "runbooks", Endpoint: "/api/v1/runbooks",
		Items: "runbooks", Item: "runbook", None: "the collector has no runbooks",
	}))
	v.table.SetRows(rows)
}

// stepsHeight is how many lines the steps panel takes in the detail.
func (v *View) stepsHeight() int {
	if v.book == nil || len(v.book.Steps) == 0 {
		return 0
	}
	return min(len(v.book.Steps)+1, max(v.Height/3, 3))
}

func (v *View) layout() {
	v.vp.Width = max(v.Width, 1)
	v.vp.Height = max(v.Height-v.stepsHeight()-1, 1)
}

// style picks glamour's fixed style: never detected from the terminal.
// Without colour (--ascii, NO_COLOR, no terminal) it is PlainStyle.
func (v *View) style() glamour.TermRendererOption {
	if v.c.ASCII || v.c.Styles.Renderer.ColorProfile() == termenv.Ascii {
		return glamour.WithStyles(PlainStyle())
	}
	return glamour.WithStandardStyle("dark")
}

// PlainStyle is glamour's ascii style without the Markdown markers it
// prints literally (**strong**, *emphasis*, ~~strike~~) and with ASCII
// bullets, for a console without colour or without Unicode.
func PlainStyle() gansi.StyleConfig {
	st := gstyles.ASCIIStyleConfig // a copy: the primitives below are values
	st.Strong = gansi.StylePrimitive{}
	st.Emph = gansi.StylePrimitive{}
	st.Strikethrough = gansi.StylePrimitive{}
	st.Item = gansi.StylePrimitive{BlockPrefix: "* "}
	st.ImageText = gansi.StylePrimitive{Format: "Image: {{.text}} ->"}
	return st
}

// render lays the runbook's Markdown out for the width; it runs on
// resize and load, never in View.
func (v *View) render() {
	if v.book == nil || v.Width <= 0 {
		return
	}
	r, err := glamour.NewTermRenderer(
		v.style(),
		glamour.WithColorProfile(v.c.Styles.Renderer.ColorProfile()),
		glamour.WithWordWrap(max(v.Width-4, 20)),
	)
	var out string
	if err == nil {
		out, err = r.Render(Unwrap(v.book.Markdown()))
	}
	if err != nil {
		out = v.book.Markdown() // readable as it is
	}
	lines := strings.Split(strings.Trim(out, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	v.rendered = strings.Join(lines, "\n")
	off := v.vp.YOffset
	v.vp.SetContent(v.rendered)
	v.vp.SetYOffset(off)
}

// View renders the list, or the runbook with its steps panel and status.
func (v *View) View() string {
	if !v.detail {
		note := v.FetchFailed("runbooks")
		if v.Loaded && v.Err == nil {
			note = v.c.Styles.Muted.Render(strconv.Itoa(len(v.list)) + " runbooks · enter opens one")
		}
		return v.Footnote(v.table.View(), note)
	}
	if v.dialog.Capturing() {
		return v.dialog.View()
	}
	st := v.c.Styles
	switch {
	case v.loading:
		return common.Body([]string{st.Muted.Render("loading runbook " + v.id + "…")}, v.Width, v.Height)
	case v.docErr != nil && errors.Is(v.docErr, client.ErrNotConfigured):
		return common.Body([]string{st.Warn.Render(common.NotConfigured) + ": the collector does not serve /api/v1/runbooks."}, v.Width, v.Height)
	case v.docErr != nil:
		return common.Body([]string{v.c.ErrorLine("runbook "+orNone(v.id), v.docErr)}, v.Width, v.Height)
	}
	lines := strings.Split(v.vp.View(), "\n")
	lines = append(lines, v.stepsPanel()...)
	var note string
	switch {
	case len(v.asking) > 0:
		note = v.input.View()
	case v.Status != "":
		note = v.StatusLine()
	default:
		pct := int(v.vp.ScrollPercent()*100 + 0.5)
		note = st.Muted.Render(strconv.Itoa(pct) + "% · " + strconv.Itoa(len(v.book.Steps)) + " steps")
		if ctx := v.context(); ctx != "" {
			note += st.Muted.Render(" · " + ctx)
		}
	}
	lines = append(lines, note)
	return common.Body(lines, v.Width, v.Height)
}

// context names the alert labels that fill the steps, e.g. model=demand.
func (v *View) context() string {
	var parts []string
	for _, k := range []string{"model", "version", "feature"} {
		if s := v.vars[k]; s != "" {
			parts = append(parts, k+"="+s)
		}
	}
	return strings.Join(parts, " ")
}

func (v *View) stepsPanel() []string {
	h := v.stepsHeight()
	if h == 0 {
		return nil
	}
	st := v.c.Styles
	head := "STEPS  n/p select"
	if !v.c.ReadOnly {
		head += " · r run"
	}
	lines := []string{st.Header.Render(head)}
	rows := h - 1
	start := min(max(v.sel-rows/2, 0), max(len(v.book.Steps)-rows, 0))
	marker := "›"
	if v.c.ASCII {
		marker = ">"
	}
	for i := start; i < start+rows && i < len(v.book.Steps); i++ {
		s := v.book.Steps[i]
		line := strconv.Itoa(i+1) + ". " + s.Title
		tag := "[" + stepKind(s.Action) + "]"
		room := v.Width - 4 - len(tag) - 1
		line = common.Fit(line, max(room, 1))
		line += strings.Repeat(" ", max(room-lenCells(line), 0)) + " " + tag
		if i == v.sel {
			lines = append(lines, st.Table.Selected.Render(marker+" "+line))
		} else {
			lines = append(lines, "  "+line)
		}
	}
	return lines
}

func lenCells(s string) int { return len([]rune(s)) }

// Unwrap joins the soft-wrapped lines of paragraphs and list items, so
// glamour wraps them to the terminal's width instead of keeping the
// source's line breaks inside its own wrapping. Code blocks, tables,
// headings and new list items keep their lines.
func Unwrap(md string) string {
	lines := strings.Split(md, "\n")
	out := make([]string, 0, len(lines))
	fence := false
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "```") {
			fence = !fence
			out = append(out, l)
			continue
		}
		if fence || t == "" || startsBlock(t) || len(out) == 0 {
			out = append(out, l)
			continue
		}
		prev := strings.TrimSpace(out[len(out)-1])
		// A list item that is only a title (a runbook step: **Title** —
		// action `x`) keeps its text on the lines below.
		title := startsBlock(prev) && (strings.HasSuffix(prev, "**") || strings.HasSuffix(prev, "`"))
		if prev == "" || title || strings.HasPrefix(prev, "#") || strings.HasPrefix(prev, "|") || strings.HasPrefix(prev, "```") {
			out = append(out, l)
			continue
		}
		out[len(out)-1] = strings.TrimRight(out[len(out)-1], " ") + " " + t
	}
	return strings.Join(out, "\n")
}

// startsBlock reports whether a trimmed line opens a block of its own: a
// heading, a list item, a table row, a quote or a rule.
func startsBlock(t string) bool {
	switch {
	case strings.HasPrefix(t, "#"), strings.HasPrefix(t, "|"), strings.HasPrefix(t, ">"),
		strings.HasPrefix(t, "- "), strings.HasPrefix(t, "* "), strings.HasPrefix(t, "+ "),
		strings.HasPrefix(t, "---"), strings.HasPrefix(t, "Run: "):
		return true
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(t) && t[i] == '.' && t[i+1] == ' '
}
