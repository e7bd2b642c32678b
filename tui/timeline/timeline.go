package timeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	wire "github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/timeline"
	"github.com/mlectl/mlectl/tui/common"
)

const fetchTimeout = 10 * time.Second

// Window is how far back the view reads the event log.
const Window = 24 * time.Hour

// API is what the view needs from the collector.
type API interface {
	EventLog(ctx context.Context, model string, from, to time.Time, limit int) ([]wire.Event, error)
}

const (
	colTime = iota
	colKind
	colModel
	colSummary
	numCols
)

var columns = []common.Column{
	colTime:    {Title: "TIME", Width: 14},
	colKind:    {Title: "KIND", Width: 14, Priority: 2},
	colModel:   {Title: "MODEL", Width: 10, Priority: 1},
	colSummary: {Title: "SUMMARY", Width: 20, Flex: true},
}

type fetchedMsg struct {
	model    string
	evs      []wire.Event
	from, to time.Time
	err      error
}

type exportedMsg struct {
	path string
	n    int
	err  error
}

// View is the Timeline screen.
type View struct {
	c        common.Common
	api      API
	table    *common.Table
	export   key.Binding
	model    string // server-side model filter (:timeline MODEL)
	filter   string // `/` filter on model, kind and summary
	evs      []wire.Event
	shown    []wire.Event
	from, to time.Time
	err      error
	at       time.Time
	loaded   bool
	inflight bool

	prompting bool
	input     textinput.Model
	status    string
	statusErr bool
	width     int
	height    int
}

// New returns the Timeline view reading from api.
func New(c common.Common, api API) *View {
	v := &View{
		c: c, api: api, table: common.NewTable(c, columns),
		export: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export md/json")),
		input:  common.NewInput(c, "export to: "),
	}
	v.table.SetEmpty("loading events…")
	return v
}

// Name is the view's command name.
func (v *View) Name() string { return "timeline" }

// Title is the view's breadcrumb.
func (v *View) Title() string {
	if v.model != "" {
		return "Timeline " + v.model
	}
	return "Timeline"
}

// Init starts the first fetch.
func (v *View) Init() tea.Cmd { return v.Refresh() }

// Open sets the model whose events are shown ("" for all), as
// `:timeline MODEL` does, and refetches.
func (v *View) Open(model string, _ map[string]string) tea.Cmd {
	model = strings.TrimSpace(model)
	if model == v.model {
		return v.Refresh()
	}
	v.model = model
	v.inflight = false // the answer in flight is for the other model
	return v.Refresh()
}

// Refresh starts a fetch unless one is running.
func (v *View) Refresh() tea.Cmd {
	if v.inflight {
		return nil
	}
	v.inflight = true
	c, api, model := v.c, v.api, v.model
	return c.Call(fetchTimeout, func(ctx context.Context) tea.Msg {
		to := c.Now()
		from := to.Add(-Window)
		// to is exclusive: the event recorded this instant still counts.
		evs, err := api.EventLog(ctx, model, from, to.Add(time.Millisecond), wire.DefaultEventLimit)
		return fetchedMsg{model: model, evs: evs, from: from, to: to, err: err}
	})
}

// LastUpdate is when the shown events were fetched.
func (v *View) LastUpdate() time.Time { return v.at }

// Capturing reports that the export path prompt owns the keyboard.
func (v *View) Capturing() bool { return v.prompting }

// SetFilter keeps events whose model, kind or summary contain f.
func (v *View) SetFilter(f string) {
	v.filter = strings.ToLower(f)
	v.rebuild()
}

// SetSize sets the body area.
func (v *View) SetSize(w, h int) {
	v.width, v.height = w, h
	v.input.Width = max(w-len(v.input.Prompt)-2, 1)
	v.table.SetSize(w, max(h-1, 1))
}

// KeyBindings lists the view's keys for help.
func (v *View) KeyBindings() []key.Binding {
	if v.prompting {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "write file")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}
	}
	return append(v.table.KeyBindings(), v.export)
}

// Events returns the events on screen, newest first.
func (v *View) Events() []wire.Event { return v.shown }

// Update handles fetch and export results and keys.
func (v *View) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case fetchedMsg:
		if msg.model != v.model {
			return nil
		}
		v.inflight, v.loaded = false, true
		v.err = msg.err
		if msg.err == nil {
			evs := make([]wire.Event, len(msg.evs))
			for i, e := range msg.evs { // the API answers oldest first
				evs[len(evs)-1-i] = e
			}
			v.evs, v.from, v.to, v.at = evs, msg.from, msg.to, msg.to
		} else if errors.Is(msg.err, client.ErrNotConfigured) {
			v.evs, v.at = nil, msg.to
		}
		v.rebuild()
	case exportedMsg:
		if msg.err != nil {
			v.status, v.statusErr = "export failed: "+msg.err.Error(), true
		} else {
			v.status, v.statusErr = "wrote "+msg.path+" ("+strconv.Itoa(msg.n)+" events)", false
		}
	case tea.KeyMsg:
		if v.prompting {
			return v.updatePrompt(msg)
		}
		if key.Matches(msg, v.export) {
			if !v.loaded || v.err != nil {
				v.status, v.statusErr = "nothing to export yet", true
				return nil
			}
			v.prompting = true
			v.input.SetValue(v.DefaultPath())
			v.input.CursorEnd()
			return v.input.Focus()
		}
		v.table.Update(msg)
	}
	return nil
}

// DefaultPath is the export file proposed: ./timeline-<UTC time>.md.
func (v *View) DefaultPath() string {
	return "./timeline-" + v.c.Now().UTC().Format("20060102T150405Z") + ".md"
}

func (v *View) updatePrompt(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEsc:
		v.prompting = false
		v.input.Blur()
		return nil
	case tea.KeyEnter:
		path := strings.TrimSpace(v.input.Value())
		v.prompting = false
		v.input.Blur()
		if path == "" {
			v.status, v.statusErr = "export cancelled: no path", true
			return nil
		}
		return v.writeCmd(path)
	}
	var cmd tea.Cmd
	v.input, cmd = v.input.Update(msg)
	return cmd
}

// exportModel is the model the report is about: the `:timeline MODEL`
// one, or the `/` filter when it names exactly the model of the events.
func (v *View) exportModel() string {
	if v.model != "" {
		return v.model
	}
	if v.filter == "" || len(v.shown) == 0 {
		return ""
	}
	for _, e := range v.shown {
		if e.Model != v.filter {
			return ""
		}
	}
	return v.filter
}

// writeCmd builds the report of the events on screen and writes it with
// the timeline package's exporter, off the UI goroutine.
func (v *View) writeCmd(path string) tea.Cmd {
	evs := append([]wire.Event(nil), v.shown...)
	model, from, to, now := v.exportModel(), v.from, v.to, v.c.Now()
	return func() tea.Msg {
		r := timeline.Build(model, from, to, evs)
		r.GeneratedAt = now
		abs, err := filepath.Abs(path)
		if err == nil {
			err = checkDir(filepath.Dir(abs))
		}
		if err == nil {
			err = r.WriteFile(abs, timeline.FormatOf(path))
		}
		return exportedMsg{path: path, n: len(r.Events), err: err}
	}
}

// checkDir says in the operator's words why a file cannot be written into
// dir, before the exporter's temporary file would say it less plainly.
func checkDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case err != nil:
		return fmt.Errorf("directory %s: %w", dir, err)
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

func (v *View) rebuild() {
	dash := v.c.DashFor()
	v.shown = v.shown[:0]
	rows := make([]common.Row, 0, len(v.evs))
	for _, e := range v.evs {
		summary := timeline.Describe(e)
		if v.filter != "" && !strings.Contains(strings.ToLower(e.Model+" "+string(e.Kind)+" "+summary), v.filter) {
			continue
		}
		v.shown = append(v.shown, e)
		cells := make([]string, numCols)
		tones := make([]common.Tone, numCols)
		cells[colTime] = e.Time.UTC().Format("01-02 15:04:05")
		cells[colKind] = string(e.Kind)
		switch e.Kind {
		case wire.KindAlertFiring, wire.KindSLOBreach, wire.KindDriftDetected:
			tones[colKind] = common.ToneBad
		case wire.KindAlertResolved, wire.KindIncidentResolve:
			tones[colKind] = common.ToneGood
		case wire.KindAction, wire.KindRunbookStep:
			tones[colKind] = common.ToneWarn
		}
		if e.Result == wire.ResultFailed {
			tones[colSummary] = common.ToneBad
		}
		cells[colModel] = e.Model
		if e.Model == "" {
			cells[colModel] = dash
		}
		cells[colSummary] = summary
		if e.Actor != "" {
			cells[colSummary] += " (" + e.Actor + ")"
		}
		rows = append(rows, common.Row{Key: e.ID, Cells: cells, Tones: tones})
	}
	switch {
	case errors.Is(v.err, client.ErrNotConfigured):
		v.table.SetEmpty("timeline: " + common.NotConfigured + " (the collector does not serve /api/v1/events)")
	case !v.loaded:
		v.table.SetEmpty("loading events…")
	case v.filter != "":
		v.table.SetEmpty("no event matches /" + v.filter)
	default:
		v.table.SetEmpty("no events in the last " + strings.TrimSuffix(Window.String(), "0m0s"))
	}
	v.table.SetRows(rows)
}

// View renders the table and the status line: the export prompt, the
// last export's result, an error or the counts.
func (v *View) View() string {
	var note string
	switch {
	case v.prompting:
		note = v.input.View()
	case v.status != "" && v.statusErr:
		note = v.c.Styles.Error.Render(v.status)
	case v.status != "":
		note = v.c.Styles.StatusOK.Render(v.status)
	case v.err != nil && !errors.Is(v.err, client.ErrNotConfigured):
		note = v.c.ErrorLine("events fetch failed", v.err)
	case v.loaded && v.err == nil:
		scope := "all models"
		if v.model != "" {
			scope = v.model
		}
		note = v.c.Styles.Muted.Render(strconv.Itoa(len(v.shown)) + " of " + strconv.Itoa(len(v.evs)) + " events · last 24h · " + scope + " · newest first")
	}
	body := v.table.View()
	pad := max(v.height-2-strings.Count(body, "\n"), 0)
	return body + strings.Repeat("\n", pad+1) + common.Fit(note, v.width)
}
