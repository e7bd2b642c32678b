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
	"github.com/mlectl/mlectl/timeline"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/keys"
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
	common.Base // Filter: on model, kind and summary
	c           common.Common
	api         API
	table       *common.Table
	keys        keys.Timeline
	prompt      keys.Prompt
	model       string // server-side model filter (:timeline MODEL)
	evs         []wire.Event
	shown       []wire.Event
	from, to    time.Time

	prompting bool
	input     textinput.Model
}

// New returns the Timeline view reading from api.
func New(c common.Common, api API) *View {
	v := &View{
		Base: common.NewBase(c, "timeline", "Timeline"), c: c, api: api, table: common.NewTable(c, columns),
		keys:   keys.NewTimeline(),
		prompt: keys.NewPrompt("write file"),
		input:  common.NewInput(c, "export to: "),
	}
	v.table.SetEmpty("loading events…")
	return v
}

// Title is the view's breadcrumb.
func (v *View) Title() string {
	if v.model != "" {
		return "Timeline " + v.model
	}
	return v.Base.Title()
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
	v.Forget() // the answer in flight is for the other model
	return v.Refresh()
}

// Refresh starts a fetch unless one is running.
func (v *View) Refresh() tea.Cmd {
	c, api, model := v.c, v.api, v.model
	return v.Fetch(fetchTimeout, func(ctx context.Context) tea.Msg {
		to := c.Now()
		from := to.Add(-Window)
		// to is exclusive: the event recorded this instant still counts.
		evs, err := api.EventLog(ctx, model, from, to.Add(time.Millisecond), wire.DefaultEventLimit)
		return fetchedMsg{model: model, evs: evs, from: from, to: to, err: err}
	})
}

// Capturing reports that the export path prompt owns the keyboard.
func (v *View) Capturing() bool { return v.prompting }

// SetFilter keeps events whose model, kind or summary contain f.
func (v *View) SetFilter(f string) {
	v.Base.SetFilter(f)
	v.rebuild()
}

// SetSize sets the body area.
func (v *View) SetSize(w, h int) {
	v.Base.SetSize(w, h)
	v.input.Width = max(w-len(v.input.Prompt)-2, 1)
	v.table.SetSize(w, max(h-1, 1))
}

// KeyBindings lists the view's keys for help.
func (v *View) KeyBindings() []key.Binding {
	if v.prompting {
		return v.prompt.ShortHelp()
	}
	return append(v.table.KeyBindings(), v.keys.ShortHelp()...)
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
		if v.Answered(msg.to, msg.err) {
			v.evs = newestFirst(msg.evs) // none when not configured
			v.from, v.to = msg.from, msg.to
		}
		v.rebuild()
	case exportedMsg:
		if msg.err != nil {
			v.SetStatus("export failed: "+msg.err.Error(), true)
		} else {
			v.SetStatus("wrote "+msg.path+" ("+strconv.Itoa(msg.n)+" events)", false)
		}
	case tea.KeyMsg:
		if v.prompting {
			return v.updatePrompt(msg)
		}
		if key.Matches(msg, v.keys.Export) {
			if v.c.RemoteSession {
				v.SetStatus("over SSH, export with: ssh … timeline export --model M --format md > pm.md", true)
				return nil
			}
			if !v.Loaded || v.Err != nil {
				v.SetStatus("nothing to export yet", true)
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
	switch {
	case key.Matches(msg, v.prompt.Cancel):
		v.prompting = false
		v.input.Blur()
		return nil
	case key.Matches(msg, v.prompt.Confirm):
		path := strings.TrimSpace(v.input.Value())
		v.prompting = false
		v.input.Blur()
		if path == "" {
			v.SetStatus("export cancelled: no path", true)
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
	if v.Filter == "" || len(v.shown) == 0 {
		return ""
	}
	for _, e := range v.shown {
		if e.Model != v.Filter {
			return ""
		}
	}
	return v.Filter
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
		if v.Filter != "" && !strings.Contains(strings.ToLower(e.Model+" "+string(e.Kind)+" "+summary), v.Filter) {
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
	v.table.SetEmpty(v.EmptyText(common.Empty{
		Source: "timeline", Endpoint: "/api/v1/events",
		Items: "events", Item: "event",
		None: "no events in the last " + strings.TrimSuffix(Window.String(), "0m0s"),
	}))
	v.table.SetRows(rows)
}

// View renders the table and the status line: the export prompt, the
// last export's result, an error or the counts.
func (v *View) View() string {
	var note string
	switch {
	case v.prompting:
		note = v.input.View()
	case v.Status != "":
		note = v.StatusLine()
	case v.Failed():
		note = v.FetchFailed("events")
	case v.Loaded && v.Err == nil:
		scope := "all models"
		if v.model != "" {
			scope = v.model
		}
		note = v.c.Styles.Muted.Render(strconv.Itoa(len(v.shown)) + " of " + strconv.Itoa(len(v.evs)) + " events · last 24h · " + scope + " · newest first")
	}
	return v.Footnote(v.table.View(), note)
}

// newestFirst reverses the API's answer, which comes oldest first.
func newestFirst(evs []wire.Event) []wire.Event {
	out := make([]wire.Event, len(evs))
	for i, e := range evs {
		out[len(out)-1-i] = e
	}
	return out
}
