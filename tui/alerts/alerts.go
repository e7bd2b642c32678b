package alerts

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/common"
)

const fetchTimeout = 10 * time.Second

// API is what the view needs from the collector: the Prometheus alerts
// list, and the alerting engine's state (ids, acks, silences) with its
// ack and silence calls.
type API interface {
	Alerts(ctx context.Context) ([]client.Alert, error)
	AlertStates(ctx context.Context) ([]client.AlertState, error)
	Ack(ctx context.Context, id, comment string) error
	CreateSilence(ctx context.Context, matchers string, d time.Duration, comment string) (client.Silence, error)
}

// DefaultSilence is the duration the silence prompt starts with.
const DefaultSilence = "1h"

// Comment is recorded with acks and silences made here.
const Comment = "from the mlectl console"

const (
	colState = iota
	colSeverity
	colAge
	colName
	colModel
	colRunbook
	colHandled
	numCols
)

var columns = []common.Column{
	colState:    {Title: "STATE", Width: 7},
	colSeverity: {Title: "SEVERITY", Width: 8, Priority: 2},
	colAge:      {Title: "AGE", Width: 4, Priority: 1, Right: true},
	colName:     {Title: "ALERT", Width: 16, Flex: true, MaxWidth: 56},
	colModel:    {Title: "MODEL", Width: 12, Priority: 3},
	colRunbook:  {Title: "RUNBOOK", Width: 24, Priority: 4},
	colHandled:  {Title: "HANDLED", Width: 12, Priority: 1}, // "ack alice", "silenced"; the ALERT column needs the room at 80
}

type fetchedMsg struct {
	seq      int
	alerts   []client.Alert
	err      error
	states   []client.AlertState
	stateErr error
	at       time.Time
}

type doneMsg struct {
	text string
	err  error
}

// View is the Alerts screen.
type View struct {
	c        common.Common
	api      API
	table    *common.Table
	open     key.Binding
	ack      key.Binding
	silence  key.Binding
	alerts   []client.Alert
	err      error
	states   map[string]client.AlertState // by label set
	stateErr error
	at       time.Time
	loaded   bool
	seq      int
	inflight bool
	filter   string
	width    int
	height   int

	// The silence prompt: open while prompting, for the alert target.
	prompt    textinput.Model
	target    silenceTarget
	prompting bool
	promptErr string

	status  string
	statErr bool
	acting  bool
}

// silenceTarget is the alert a silence is being asked for.
type silenceTarget struct {
	name, matchers string
}

// New returns the Alerts view reading from api.
func New(c common.Common, api API) *View {
	v := &View{
		c: c, api: api, table: common.NewTable(c, columns),
		open:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open runbook")),
		ack:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "acknowledge")),
		silence: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "silence for…")),
		prompt:  common.NewInput(c, ""),
	}
	if c.ReadOnly {
		v.ack.SetEnabled(false)
		v.silence.SetEnabled(false)
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
	return v.fetch()
}

// fetch starts a fetch now; an older one still running is then ignored.
func (v *View) fetch() tea.Cmd {
	v.seq++
	v.inflight = true
	c, api, seq := v.c, v.api, v.seq
	return c.Call(fetchTimeout, func(ctx context.Context) tea.Msg {
		msg := fetchedMsg{seq: seq, at: c.Now()}
		var wg sync.WaitGroup
		wg.Go(func() { msg.alerts, msg.err = api.Alerts(ctx) })
		wg.Go(func() { msg.states, msg.stateErr = api.AlertStates(ctx) })
		wg.Wait()
		return msg
	})
}

// LastUpdate is when the shown alerts were fetched.
func (v *View) LastUpdate() time.Time { return v.at }

// Capturing reports whether the silence prompt owns the keyboard.
func (v *View) Capturing() bool { return v.prompting }

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

// KeyBindings lists the view's keys for help: in read-only mode without
// ack and silence.
func (v *View) KeyBindings() []key.Binding {
	if v.prompting {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "silence")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}
	}
	out := append(v.table.KeyBindings(), v.open)
	if !v.c.ReadOnly {
		out = append(out, v.ack, v.silence)
	}
	return out
}

// Update handles fetch results and navigation keys.
func (v *View) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case fetchedMsg:
		if msg.seq != v.seq {
			return nil // an older fetch finished late
		}
		v.inflight, v.loaded = false, true
		v.err = msg.err
		if msg.err == nil {
			v.alerts, v.at = msg.alerts, msg.at
			Sort(v.alerts)
		} else if errors.Is(msg.err, client.ErrNotConfigured) {
			v.alerts, v.at = nil, msg.at
		}
		v.stateErr = msg.stateErr
		if msg.stateErr == nil {
			v.states = make(map[string]client.AlertState, len(msg.states))
			for _, st := range msg.states {
				v.states[labelKey(st.Labels)] = st
			}
		} else if errors.Is(msg.stateErr, client.ErrNotConfigured) {
			v.states = nil
		}
		v.rebuild()
	case doneMsg:
		v.acting = false
		v.status, v.statErr = msg.text, msg.err != nil
		if msg.err != nil {
			v.status = msg.err.Error()
			return nil
		}
		return v.fetch()
	case tea.KeyMsg:
		if v.prompting {
			return v.updatePrompt(msg)
		}
		v.status = ""
		switch {
		case key.Matches(msg, v.ack):
			return v.startAck()
		case key.Matches(msg, v.silence):
			return v.startSilence()
		}
		if key.Matches(msg, v.open) {
			if row, ok := v.table.Selected(); ok {
				rb := row.Cells[colRunbook]
				var labels map[string]string
				if a, ok := v.selected(); ok {
					labels = a.Labels
				}
				return func() tea.Msg { return common.NavigateMsg{View: "runbooks", Arg: rb, Labels: labels} }
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
		if c := strings.Compare(a.Labels["alertname"], b.Labels["alertname"]); c != 0 {
			return c
		}
		if c := strings.Compare(a.Labels["model"], b.Labels["model"]); c != 0 {
			return c
		}
		return strings.Compare(otherLabels(a.Labels), otherLabels(b.Labels)) // a stable order between refreshes
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
	apart := Distinguishing(v.alerts)
	for i, a := range v.alerts {
		name, model, sev := a.Labels["alertname"], a.Labels["model"], a.Labels["severity"]
		// The filter reads "NAME MODEL SEVERITY STATE LABELS", so that
		// "FeatureDrift demand" keeps matching one model's alerts.
		if v.filter != "" && !strings.Contains(strings.ToLower(name+" "+model+" "+sev+" "+a.State+" "+apart[i]), v.filter) {
			continue
		}
		if apart[i] != "" {
			name += " " + apart[i]
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
		cells[colHandled], tones[colHandled] = v.handled(a)
		// The label set is the alert's identity (its fingerprint): the
		// cursor stays on it however the next refresh orders the list.
		rows = append(rows, common.Row{Key: labelKey(a.Labels), Cells: cells, Tones: tones})
	}
	switch {
	case errors.Is(v.err, client.ErrNotConfigured):
		v.table.SetEmpty("alerts: " + common.NotConfigured + " (the collector does not serve /api/v1/alerts)")
	case v.err != nil:
		v.table.SetEmpty("no alerts to show: the fetch failed (see below)") // not "no alerts"
	case !v.loaded:
		v.table.SetEmpty("loading alerts…")
	case v.filter != "":
		v.table.SetEmpty("no alert matches /" + v.filter)
	default:
		v.table.SetEmpty("no pending or firing alerts")
	}
	v.table.SetRows(rows)
}

// shownLabels have columns of their own.
var shownLabels = map[string]bool{"alertname": true, "model": true, "severity": true}

// Distinguishing returns, for each alert, the values of the labels that
// tell it apart from the other alerts of the same name and model (feature
// and version first): one model's FeatureDrift alerts, one per feature,
// version and reference, read "temp v12 baseline", while labels every such
// alert shares (an SLO's sloth_* and team) are left out.
func Distinguishing(alerts []client.Alert) []string {
	type seen struct {
		values map[string]bool
		n      int // alerts of the group carrying the label
	}
	group := func(a client.Alert) string { return a.Labels["alertname"] + "\x00" + a.Labels["model"] }
	labels := map[string]map[string]*seen{} // group → label → values
	count := map[string]int{}
	for _, a := range alerts {
		g := group(a)
		count[g]++
		if labels[g] == nil {
			labels[g] = map[string]*seen{}
		}
		for k, val := range a.Labels {
			if labels[g][k] == nil {
				labels[g][k] = &seen{values: map[string]bool{}}
			}
			labels[g][k].values[val] = true
			labels[g][k].n++
		}
	}
	keys := map[string][]string{} // group → the labels that vary in it
	for g, ls := range labels {
		for k, sn := range ls {
			// A label varies when it takes two values, or is missing
			// from some alerts of the group.
			if !shownLabels[k] && (len(sn.values) > 1 || sn.n < count[g]) {
				keys[g] = append(keys[g], k)
			}
		}
		slices.SortFunc(keys[g], labelOrder)
	}
	out := make([]string, len(alerts))
	for i, a := range alerts {
		var vals []string
		for _, k := range keys[group(a)] {
			if a.Labels[k] != "" {
				vals = append(vals, a.Labels[k])
			}
		}
		out[i] = strings.Join(vals, " ")
	}
	return out
}

// labelOrder puts feature and version first, then the rest by name.
func labelOrder(a, b string) int {
	first := func(k string) int {
		switch k {
		case "feature":
			return 0
		case "version":
			return 1
		}
		return 2
	}
	if c := cmp.Compare(first(a), first(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// otherLabels are an alert's label values outside the columns, in
// labelOrder: a stable order between refreshes.
func otherLabels(l map[string]string) string {
	var keys []string
	for k := range l {
		if !shownLabels[k] {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, labelOrder)
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = l[k]
	}
	return strings.Join(vals, "\x00")
}

func orDash(s, dash string) string {
	if s == "" {
		return dash
	}
	return s
}

// View renders the table and a footnote with counts or the last error;
// the silence prompt, when open, takes the line above the footnote.
func (v *View) View() string {
	var note string
	switch {
	case v.prompting:
		note = v.promptLine()
	case v.acting:
		note = v.c.Styles.Warn.Render("working: waiting for the collector…")
	case v.status != "" && v.statErr:
		note = v.c.Styles.Error.Render(v.status)
	case v.status != "":
		note = v.c.Styles.StatusOK.Render(v.status)
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
	out := body + strings.Repeat("\n", pad+1) + common.Fit(note, v.width)
	if !v.prompting {
		return out
	}
	// The prompt's hint or error takes the line above it.
	rows := strings.Split(out, "\n")
	if len(rows) >= 3 {
		hint := v.c.Styles.Muted.Render("enter silences · esc cancels · durations like 30m, 1h, 2h30m")
		if v.promptErr != "" {
			hint = v.c.Styles.Error.Render(v.promptErr)
		}
		rows[len(rows)-2] = common.Fit(hint, v.width)
	}
	return strings.Join(rows, "\n")
}

// labelKey identifies an alert by its label set, the same in the
// Prometheus alerts list and the alerting engine's state.
func labelKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(l[k])
		b.WriteByte(0)
	}
	return b.String()
}

// handled says who took the alert: acked, silenced, both, or nobody.
func (v *View) handled(a client.Alert) (string, common.Tone) {
	if v.states == nil {
		return v.c.DashFor(), common.ToneMuted
	}
	st, ok := v.states[labelKey(a.Labels)]
	if !ok {
		return v.c.DashFor(), common.ToneMuted
	}
	// Silenced first: it decides whether anyone is notified.
	var parts []string
	if len(st.SilencedBy) > 0 {
		parts = append(parts, "silenced")
	}
	if st.Ack != nil {
		parts = append(parts, "ack "+st.Ack.By)
	}
	if len(parts) == 0 {
		return "no", common.ToneWarn
	}
	return strings.Join(parts, " · "), common.ToneGood
}

// selected returns the alert under the cursor.
func (v *View) selected() (client.Alert, bool) {
	row, ok := v.table.Selected()
	if !ok {
		return client.Alert{}, false
	}
	for _, a := range v.alerts {
		if labelKey(a.Labels) == row.Key {
			return a, true
		}
	}
	return client.Alert{}, false
}

// engineState returns the alerting engine's view of the selected alert,
// or sets the status line to why there is none.
func (v *View) engineState(verb string) (client.Alert, client.AlertState, bool) {
	a, ok := v.selected()
	switch {
	case v.acting:
		v.status, v.statErr = "an action is already running", true
	case !ok:
		v.status, v.statErr = "no alert selected", true
	case errors.Is(v.stateErr, client.ErrNotConfigured):
		v.status, v.statErr = "cannot "+verb+": the collector does not serve /api/v1/alerts/state (its alerting engine is "+common.NotConfigured+")", true
	case v.stateErr != nil:
		v.status, v.statErr = "cannot "+verb+": "+v.stateErr.Error(), true
	default:
		st, found := v.states[labelKey(a.Labels)]
		if !found {
			v.status, v.statErr = "cannot "+verb+": the alerting engine no longer holds this alert (refresh with ctrl+r)", true
			return a, st, false
		}
		return a, st, true
	}
	return a, client.AlertState{}, false
}

func (v *View) startAck() tea.Cmd {
	a, st, ok := v.engineState("acknowledge")
	if !ok {
		return nil
	}
	if st.Ack != nil {
		v.status, v.statErr = a.Labels["alertname"]+" is already acknowledged by "+st.Ack.By, false
		return nil
	}
	v.acting = true
	api, ctx, id, what := v.api, v.c.Ctx, st.ID, describe(a)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
		defer cancel()
		if err := api.Ack(ctx, id, Comment); err != nil {
			return doneMsg{err: err}
		}
		return doneMsg{text: "acknowledged " + what}
	}
}

func describe(a client.Alert) string {
	s := a.Labels["alertname"]
	if m := a.Labels["model"]; m != "" {
		s += " (" + m + ")"
	}
	return s
}

// Matchers is the selector a silence of alert a uses: its name and, when
// it has one, its model, so the same alert of other models still pages.
func Matchers(a client.Alert) string {
	parts := []string{"alertname=" + strconv.Quote(a.Labels["alertname"])}
	if m := a.Labels["model"]; m != "" {
		parts = append(parts, "model="+strconv.Quote(m))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func (v *View) startSilence() tea.Cmd {
	a, _, ok := v.engineState("silence")
	if !ok {
		return nil
	}
	v.target = silenceTarget{name: describe(a), matchers: Matchers(a)}
	v.prompting, v.promptErr = true, ""
	v.prompt.SetValue(DefaultSilence)
	v.prompt.CursorEnd()
	return v.prompt.Focus()
}

func (v *View) updatePrompt(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEsc:
		v.prompting = false
		v.prompt.Blur()
		v.status, v.statErr = "silence cancelled", false
		return nil
	case tea.KeyEnter:
		text := strings.TrimSpace(v.prompt.Value())
		d, err := time.ParseDuration(text)
		switch {
		case err != nil:
			v.promptErr = "duration " + strconv.Quote(text) + " is not a Go duration such as 30m, 1h or 2h30m"
			return nil
		case d <= 0:
			v.promptErr = "duration must be positive"
			return nil
		}
		v.prompting, v.acting = false, true
		v.prompt.Blur()
		api, ctx, t := v.api, v.c.Ctx, v.target
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
			defer cancel()
			sil, err := api.CreateSilence(ctx, t.matchers, d, Comment)
			if err != nil {
				return doneMsg{err: err}
			}
			return doneMsg{text: "silenced " + t.name + " until " + sil.EndsAt.UTC().Format("15:04") + " UTC"}
		}
	}
	v.promptErr = ""
	var cmd tea.Cmd
	v.prompt, cmd = v.prompt.Update(msg)
	return cmd
}

func (v *View) promptLine() string {
	return "silence " + v.target.matchers + " for: " + v.prompt.View()
}
