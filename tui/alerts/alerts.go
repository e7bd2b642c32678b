package alerts

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/common"
)

const fetchTimeout = 10 * time.Second

// API is what the view needs from the collector.
type API interface {
	Alerts(ctx context.Context) ([]client.Alert, error)
}

const (
	colState = iota
	colSeverity
	colAge
	colName
	colModel
	colRunbook
	numCols
)

var columns = []common.Column{
	colState:    {Title: "STATE", Width: 7},
	colSeverity: {Title: "SEVERITY", Width: 8, Priority: 2},
	colAge:      {Title: "AGE", Width: 4, Priority: 1, Right: true},
	colName:     {Title: "ALERT", Width: 16, Flex: true, MaxWidth: 40},
	colModel:    {Title: "MODEL", Width: 12, Priority: 3},
	colRunbook:  {Title: "RUNBOOK", Width: 24, Priority: 4},
}

type fetchedMsg struct {
	alerts []client.Alert
	err    error
	at     time.Time
}

// View is the Alerts screen.
type View struct {
	c        common.Common
	api      API
	table    *common.Table
	open     key.Binding
	alerts   []client.Alert
	err      error
	at       time.Time
	loaded   bool
	inflight bool
	filter   string
	width    int
	height   int
}

// New returns the Alerts view reading from api.
func New(c common.Common, api API) *View {
	v := &View{
		c: c, api: api, table: common.NewTable(c, columns),
		open: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open runbook")),
	}
	v.table.SetEmpty("loading alerts…")
	return v
}

// Name is the view's command name.
func (v *View) Name() string { return "alerts" }

// Title is the view's breadcrumb.
func (v *View) Title() string { return "Alerts" }

// Init starts the first fetch.
func (v *View) Init() tea.Cmd { return v.Refresh() }

// Refresh starts a fetch unless one is running.
func (v *View) Refresh() tea.Cmd {
	if v.inflight {
		return nil
	}
	v.inflight = true
	c, api := v.c, v.api
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(c.Ctx, fetchTimeout)
		defer cancel()
		at := c.Now()
		alerts, err := api.Alerts(ctx)
		return fetchedMsg{alerts: alerts, err: err, at: at}
	}
}

// LastUpdate is when the shown alerts were fetched.
func (v *View) LastUpdate() time.Time { return v.at }

// Capturing is always false.
func (v *View) Capturing() bool { return false }

// SetFilter keeps alerts whose name, model or severity contain f.
func (v *View) SetFilter(f string) {
	v.filter = strings.ToLower(f)
	v.rebuild()
}

// SetSize sets the body area.
func (v *View) SetSize(w, h int) {
	v.width, v.height = w, h
	v.table.SetSize(w, max(h-1, 1))
}

// KeyBindings lists the view's keys for help.
func (v *View) KeyBindings() []key.Binding { return append(v.table.KeyBindings(), v.open) }

// Update handles fetch results and navigation keys.
func (v *View) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case fetchedMsg:
		v.inflight, v.loaded = false, true
		v.err = msg.err
		if msg.err == nil {
			v.alerts, v.at = msg.alerts, msg.at
			Sort(v.alerts)
		} else if errors.Is(msg.err, client.ErrNotConfigured) {
			v.alerts, v.at = nil, msg.at
		}
		v.rebuild()
	case tea.KeyMsg:
		if key.Matches(msg, v.open) {
			if row, ok := v.table.Selected(); ok {
				rb := row.Cells[colRunbook]
				return func() tea.Msg { return common.NavigateMsg{View: "runbooks", Arg: rb} }
			}
			return nil
		}
		v.table.Update(msg)
	}
	return nil
}

var severityRank = map[string]int{"critical": 0, "page": 0, "error": 1, "warning": 2, "info": 3}

func rank(sev string) int {
	if r, ok := severityRank[strings.ToLower(sev)]; ok {
		return r
	}
	return 4
}

// Sort orders alerts firing first, then by severity, then oldest first.
func Sort(alerts []client.Alert) {
	slices.SortStableFunc(alerts, func(a, b client.Alert) int {
		if c := cmp.Compare(stateRank(a.State), stateRank(b.State)); c != 0 {
			return c
		}
		if c := cmp.Compare(rank(a.Labels["severity"]), rank(b.Labels["severity"])); c != 0 {
			return c
		}
		if c := a.ActiveAt.Compare(b.ActiveAt); c != 0 {
			return c
		}
		return strings.Compare(a.Labels["alertname"], b.Labels["alertname"])
	})
}

func stateRank(s string) int {
	switch s {
	case "firing":
		return 0
	case "pending":
		return 1
	}
	return 2
}

// Runbook returns the alert's runbook reference, if any.
func Runbook(a client.Alert) string {
	for _, k := range []string{"runbook_url", "runbook"} {
		if r := a.Annotations[k]; r != "" {
			return r
		}
	}
	return a.Labels["runbook"]
}

func (v *View) rebuild() {
	dash := v.c.DashFor()
	now := v.c.Now()
	rows := make([]common.Row, 0, len(v.alerts))
	for i, a := range v.alerts {
		name, model, sev := a.Labels["alertname"], a.Labels["model"], a.Labels["severity"]
		if v.filter != "" && !strings.Contains(strings.ToLower(name+" "+model+" "+sev+" "+a.State), v.filter) {
			continue
		}
		cells := make([]string, numCols)
		tones := make([]common.Tone, numCols)
		cells[colState] = a.State
		switch a.State {
		case "firing":
			tones[colState] = common.ToneBad
		case "pending":
			tones[colState] = common.ToneWarn
		}
		cells[colSeverity] = orDash(sev, dash)
		if rank(sev) == 0 {
			tones[colSeverity] = common.ToneBad
		}
		cells[colAge] = dash
		if !a.ActiveAt.IsZero() {
			cells[colAge] = common.FormatAge(now.Sub(a.ActiveAt))
		}
		cells[colName] = orDash(name, dash)
		cells[colModel] = orDash(model, dash)
		cells[colRunbook] = orDash(Runbook(a), dash)
		rows = append(rows, common.Row{Key: strconv.Itoa(i) + "\x00" + name + "\x00" + model, Cells: cells, Tones: tones})
	}
	switch {
	case errors.Is(v.err, client.ErrNotConfigured):
		v.table.SetEmpty("alerts: " + common.NotConfigured + " (the collector does not serve /api/v1/alerts)")
	case !v.loaded:
		v.table.SetEmpty("loading alerts…")
	case v.filter != "":
		v.table.SetEmpty("no alert matches /" + v.filter)
	default:
		v.table.SetEmpty("no pending or firing alerts")
	}
	v.table.SetRows(rows)
}

func orDash(s, dash string) string {
	if s == "" {
		return dash
	}
	return s
}

// View renders the table and a footnote with counts or the last error.
func (v *View) View() string {
	var note string
	switch {
	case v.err != nil && !errors.Is(v.err, client.ErrNotConfigured):
		note = v.c.ErrorLine("alerts fetch failed", v.err)
	case v.loaded && v.err == nil:
		firing, pending := 0, 0
		for _, a := range v.alerts {
			switch a.State {
			case "firing":
				firing++
			case "pending":
				pending++
			}
		}
		note = v.c.Styles.Muted.Render(strconv.Itoa(firing) + " firing · " + strconv.Itoa(pending) + " pending")
	}
	body := v.table.View()
	pad := max(v.height-2-strings.Count(body, "\n"), 0)
	return body + strings.Repeat("\n", pad+1) + common.Fit(note, v.width)
}
