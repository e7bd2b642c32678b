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

	wire "github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/keys"
)

const fetchTimeout = 10 * time.Second

// API is what the view needs from the collector: the Prometheus alerts
// list, the alerting engine's state (ids, acks, silences) with its ack and
// silence calls, the registry (which version serves, which is shadow) and
// the event log (what changed before the alert fired).
type API interface {
	Alerts(ctx context.Context) ([]client.Alert, error)
	AlertStates(ctx context.Context) ([]client.AlertState, error)
	Ack(ctx context.Context, id, comment string) error
	CreateSilence(ctx context.Context, matchers string, d time.Duration, comment string) (client.Silence, error)
	Models(ctx context.Context) ([]client.ModelState, error)
	EventLog(ctx context.Context, model string, from, to time.Time, limit int) ([]wire.Event, error)
}

// ClusterAPI is what the view uses, when its API has it, to act on an
// alert another collector of a cluster holds: the call names the alert's
// collector, which acks or silences it (*client.Client implements it).
type ClusterAPI interface {
	AckOn(ctx context.Context, collector, id, comment string) error
	CreateSilenceOn(ctx context.Context, collector, matchers string, d time.Duration, comment string) (client.Silence, error)
}

// DefaultSilence is the duration the silence prompt starts with.
const DefaultSilence = "1h"

// Comment is recorded with acks and silences made here.
const Comment = "from the mlectl console"

// EventsWindow is how far back the view reads a model's events: the last
// change before an incident is rarely older.
const EventsWindow = 24 * time.Hour

// RelatedWindow is how long before an alert fired a change counts as
// related to it.
const RelatedWindow = time.Hour

// maxEventModels bounds the event-log reads of one refresh.
const maxEventModels = 5

const (
	colState = iota
	colSeverity
	colAge
	colName
	colModel
	colVersions
	colRunbook
	colHandled
	numCols
)

// colCollector is where a cluster's alerts list puts the COLLECTOR column
// (after MODEL); a collector on its own has none.
const colCollector = colModel + 1

// The columns narrow terminals keep: MODEL is never dropped; ALERT (name
// and feature) is cut before it.
var columns = []common.Column{
	colState:    {Title: "STATE", Width: 7},
	colSeverity: {Title: "SEVERITY", Width: 8, Priority: 4},
	colAge:      {Title: "AGE", Width: 4, Priority: 2, Right: true},
	colName:     {Title: "ALERT", Width: 18, Flex: true, MaxWidth: 48},
	colModel:    {Title: "MODEL", Width: 10},
	colVersions: {Title: "VERSIONS", Width: 14, Priority: 3, Flex: true, MaxWidth: 24}, // "v12 shadow v13"
	colRunbook:  {Title: "RUNBOOK", Width: 20, Priority: 6},
	colHandled:  {Title: "HANDLED", Width: 9, Priority: 5}, // "ack alice", "silenced"
}

// clusterColumns are columns with COLLECTOR ("collector-b (down)").
var clusterColumns = slices.Insert(slices.Clone(columns), colCollector, common.Column{Title: "COLLECTOR", Width: 18, Priority: 1})

// SortBy is the order of the list.
type SortBy int

// The orders S cycles through.
const (
	BySeverity SortBy = iota // firing first, most severe, oldest
	ByAge                    // newest first
)

func (s SortBy) String() string {
	if s == ByAge {
		return "age"
	}
	return "severity"
}

type fetchedMsg struct {
	seq       int
	alerts    []client.Alert
	err       error
	states    []client.AlertState
	stateErr  error
	models    []client.ModelState
	modelsErr error
	events    map[string][]wire.Event // by model
	at        time.Time
}

// doneMsg is an ack's or silence's outcome, with the list read again
// after it so the row and the status line change together.
type doneMsg struct {
	text    string
	err     error
	fetched *fetchedMsg
}

// Group is one row: the alerts of one name, model and feature (and, in a
// cluster, collector), their versions (and references) folded in.
type Group struct {
	Key                  string
	Name, Model, Feature string
	Collector            *wire.ModelCollector // in a cluster: who holds the alerts
	Members              []client.Alert
	State                string    // the worst: firing over pending
	Severity             string    // the worst
	ActiveAt             time.Time // the earliest
	Runbook              string
}

// View is the Alerts screen.
type View struct {
	common.Base // Err: the alerts list's
	c           common.Common
	api         API
	table       *common.Table
	keys        keys.Alerts
	silenceKeys keys.Prompt
	alerts      []client.Alert
	states      map[string]client.AlertState // by label set
	stateErr    error
	models      map[string]client.ModelState
	events      map[string][]wire.Event
	groups      []Group // the rows, in order
	hidden      int     // alerts of shadow and canary versions hidden by h

	sortBy     SortBy
	hideShadow bool
	incident   string // the model :incident pinned; "" picks the worst
	detail     string // the key of the group whose details are open
	scroll     int

	// The silence prompt: open while prompting, for the alert target.
	prompt    textinput.Model
	target    silenceTarget
	prompting bool
	promptErr string

	acting bool

	// clustered: the collector is one of a cluster, the list is every
	// collector's (from the merged alert state) and has a COLLECTOR column.
	clustered bool
}

// silenceTarget is the alert a silence is being asked for.
type silenceTarget struct {
	name, matchers string
	collector      string // in a cluster: the collector holding the alert, when not this one
}

// New returns the Alerts view reading from api.
func New(c common.Common, api API) *View {
	v := &View{
		Base: common.NewBase(c, "alerts", "Alerts"), c: c, api: api, table: common.NewTable(c, columns),
		keys:        keys.NewAlerts(),
		silenceKeys: keys.NewPrompt("silence"),
		prompt:      common.NewInput(c, ""),
	}
	if c.ReadOnly {
		v.keys.Ack.SetEnabled(false)
		v.keys.Silence.SetEnabled(false)
	}
	v.table.SetEmpty("loading alerts…")
	return v
}

// Title is the view's breadcrumb.
func (v *View) Title() string {
	if v.incident != "" {
		return "Incident " + v.incident
	}
	return v.Base.Title()
}

// Init starts the first fetch.
func (v *View) Init() tea.Cmd { return v.Refresh() }

// Open pins the incident summary to a model (`:incident MODEL`); an
// empty arg goes back to the model of the worst firing alert.
func (v *View) Open(arg string, _ map[string]string) tea.Cmd {
	v.incident, v.detail = arg, ""
	v.rebuild()
	return nil
}

// Back closes the detail pane; it reports whether there was one.
func (v *View) Back() bool {
	if v.detail == "" {
		return false
	}
	v.detail = ""
	return true
}

// Refresh starts a fetch unless one is running.
func (v *View) Refresh() tea.Cmd {
	if v.InFlight() {
		return nil
	}
	return v.fetch()
}

// fetch starts a fetch now; an older one still running is then ignored.
func (v *View) fetch() tea.Cmd {
	c, api := v.c, v.api
	return v.Refetch(fetchTimeout, func(ctx context.Context, seq int) tea.Msg { return load(ctx, api, seq, c.Now()) })
}

// load reads everything the view shows: alerts, the engine's state, the
// registry and the event log of the models that have alerts.
func load(ctx context.Context, api API, seq int, now time.Time) fetchedMsg {
	{
		msg := fetchedMsg{seq: seq, at: now}
		var wg sync.WaitGroup
		wg.Go(func() { msg.alerts, msg.err = api.Alerts(ctx) })
		wg.Go(func() { msg.states, msg.stateErr = api.AlertStates(ctx) })
		wg.Go(func() { msg.models, msg.modelsErr = api.Models(ctx) })
		wg.Wait()
		if msg.stateErr == nil && clustered(msg.states) {
			// A cluster's merged alert state lists every collector's
			// alerts; Prometheus's /api/v1/alerts only this one's.
			msg.alerts, msg.err = alertsOf(msg.states), nil
		}
		// The event log of the models that have alerts: what changed.
		var names []string
		for _, a := range msg.alerts {
			if m := a.Labels["model"]; m != "" && !slices.Contains(names, m) && len(names) < maxEventModels {
				names = append(names, m)
			}
		}
		msg.events = map[string][]wire.Event{}
		var mu sync.Mutex
		for _, m := range names {
			wg.Go(func() {
				evs, err := api.EventLog(ctx, m, msg.at.Add(-EventsWindow), msg.at.Add(time.Second), 0)
				if err == nil {
					mu.Lock()
					msg.events[m] = evs
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return msg
	}
}

// clustered reports whether states come from a cluster's merged list.
func clustered(states []client.AlertState) bool {
	return slices.ContainsFunc(states, func(st client.AlertState) bool { return st.Collector != nil })
}

// alertsOf is the alerts list of a cluster's merged alert state.
func alertsOf(states []client.AlertState) []client.Alert {
	out := make([]client.Alert, len(states))
	for i, st := range states {
		out[i] = client.Alert{Labels: st.Labels, Annotations: st.Annotations, State: st.State, ActiveAt: st.ActiveAt,
			Value: strconv.FormatFloat(st.Value, 'g', -1, 64), Collector: st.Collector}
	}
	return out
}

// collectorName is the collector holding a (in a cluster), else "".
func collectorName(c *wire.ModelCollector) string {
	if c == nil {
		return ""
	}
	return c.Name
}

// Capturing reports whether the silence prompt owns the keyboard.
func (v *View) Capturing() bool { return v.prompting }

// SetFilter keeps alerts whose name, model, feature, versions or
// severity contain f.
func (v *View) SetFilter(f string) {
	v.Base.SetFilter(f)
	v.rebuild()
}

// SetSize sets the body area.
func (v *View) SetSize(w, h int) {
	v.Base.SetSize(w, h)
	v.layoutTable()
}

// layoutTable gives the table what the incident summary and the
// footnote leave.
func (v *View) layoutTable() {
	v.table.SetSize(v.Width, max(v.Height-1-len(v.summary()), 3))
}

// KeyBindings lists the view's keys for help: in read-only mode without
// ack and silence.
func (v *View) KeyBindings() []key.Binding {
	if v.prompting {
		return v.silenceKeys.ShortHelp()
	}
	hide := v.keys.Hide
	if v.hideShadow {
		hide.SetHelp("h", "show shadow")
	}
	sortKey := v.keys.Sort
	sortKey.SetHelp("S", "sort by "+((v.sortBy+1)%2).String())
	var out []key.Binding
	if v.detail == "" {
		out = append(v.table.KeyBindings(), v.keys.Detail)
	}
	out = append(out, v.keys.Runbook)
	if !v.c.ReadOnly {
		out = append(out, v.keys.Ack, v.keys.Silence)
	}
	if v.detail == "" {
		out = append(out, hide, sortKey)
	}
	return out
}

// Update handles fetch results and navigation keys.
func (v *View) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case fetchedMsg:
		if !v.Current(msg.seq) {
			return nil // an older fetch finished late
		}
		v.alerts = common.Answer(&v.Base, msg.at, msg.alerts, msg.err, v.alerts)
		v.stateErr = msg.stateErr
		if msg.stateErr == nil {
			v.states = make(map[string]client.AlertState, len(msg.states))
			for _, st := range msg.states {
				v.states[stateKey(st.Collector, st.Labels)] = st
			}
			if c := clustered(msg.states); c != v.clustered {
				v.setClustered(c)
			}
		} else if errors.Is(msg.stateErr, client.ErrNotConfigured) {
			v.states = nil
		}
		if msg.modelsErr == nil {
			v.models = make(map[string]client.ModelState, len(msg.models))
			for _, m := range msg.models {
				v.models[m.Name] = m
			}
		} else if errors.Is(msg.modelsErr, client.ErrNotConfigured) {
			v.models = nil
		}
		if msg.events != nil {
			v.events = msg.events
		}
		v.rebuild()
	case doneMsg:
		v.acting = false
		v.SetStatus(msg.text, msg.err != nil)
		if msg.err != nil {
			v.Status = msg.err.Error()
			return nil
		}
		if msg.fetched == nil {
			return v.fetch()
		}
		msg.fetched.seq = v.Supersede() // a fetch still running is older than this
		return v.Update(*msg.fetched)
	case tea.KeyMsg:
		if v.prompting {
			return v.updatePrompt(msg)
		}
		v.Status = ""
		switch {
		case key.Matches(msg, v.keys.Ack):
			return v.startAck()
		case key.Matches(msg, v.keys.Silence):
			return v.startSilence()
		case key.Matches(msg, v.keys.Runbook):
			return v.openRunbook()
		}
		if v.detail != "" {
			v.scrollDetail(msg)
			return nil
		}
		switch {
		case key.Matches(msg, v.keys.Detail):
			if g, ok := v.selected(); ok {
				v.detail, v.scroll = g.Key, 0
			}
		case key.Matches(msg, v.keys.Hide):
			v.hideShadow = !v.hideShadow
			v.rebuild()
		case key.Matches(msg, v.keys.Sort):
			v.sortBy = (v.sortBy + 1) % 2
			v.rebuild()
		default:
			v.table.Update(msg)
		}
	}
	return nil
}

// openRunbook opens the runbook of the selected alert, with its labels
// for the steps' placeholders.
func (v *View) openRunbook() tea.Cmd {
	g, ok := v.selected()
	if !ok {
		v.SetStatus("no alert selected", true)
		return nil
	}
	if g.Runbook == "" {
		v.SetStatus(g.Name+" links no runbook", true)
		return nil
	}
	rb, labels := g.Runbook, g.Members[0].Labels
	return func() tea.Msg { return common.NavigateMsg{View: "runbooks", Arg: rb, Labels: labels} }
}

var severityRank = map[string]int{"critical": 0, "page": 0, "error": 1, "warning": 2, "ticket": 2, "info": 3}

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

// sortGroups orders the rows by severity (firing first, most severe,
// oldest) or by age (newest first); ties by name, model and feature, so
// the order holds between refreshes.
func sortGroups(gs []Group, by SortBy) {
	slices.SortStableFunc(gs, func(a, b Group) int {
		if by == ByAge {
			if c := b.ActiveAt.Compare(a.ActiveAt); c != 0 {
				return c
			}
		} else {
			if c := cmp.Compare(stateRank(a.State), stateRank(b.State)); c != 0 {
				return c
			}
			if c := cmp.Compare(rank(a.Severity), rank(b.Severity)); c != 0 {
				return c
			}
			if c := a.ActiveAt.Compare(b.ActiveAt); c != 0 {
				return c
			}
		}
		return strings.Compare(a.Key, b.Key)
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

// GroupKey is a row's identity: alert name, model and feature, and in a
// cluster the collector holding it.
func GroupKey(a client.Alert) string {
	k := a.Labels["alertname"] + "\x00" + a.Labels["model"] + "\x00" + a.Labels["feature"]
	if a.Collector != nil {
		k += "\x00" + a.Collector.Name
	}
	return k
}

// GroupAlerts folds alerts into one group per name, model and feature,
// members in Sort order.
func GroupAlerts(alerts []client.Alert) []Group {
	sorted := slices.Clone(alerts)
	Sort(sorted)
	idx := map[string]int{}
	var out []Group
	for _, a := range sorted {
		k := GroupKey(a)
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Group{Key: k, Name: a.Labels["alertname"], Model: a.Labels["model"], Feature: a.Labels["feature"],
				Collector: a.Collector, State: a.State, Severity: a.Labels["severity"], ActiveAt: a.ActiveAt})
		}
		g := &out[i]
		g.Members = append(g.Members, a)
		if stateRank(a.State) < stateRank(g.State) {
			g.State = a.State
		}
		if rank(a.Labels["severity"]) < rank(g.Severity) {
			g.Severity = a.Labels["severity"]
		}
		if !a.ActiveAt.IsZero() && (g.ActiveAt.IsZero() || a.ActiveAt.Before(g.ActiveAt)) {
			g.ActiveAt = a.ActiveAt
		}
		if g.Runbook == "" {
			g.Runbook = Runbook(a)
		}
	}
	return out
}

// stage is the registry's stage of an alert's version, or its role label
// where the registry does not know it.
func (v *View) stage(a client.Alert) string {
	ver := a.Labels["version"]
	if m, ok := v.models[a.Labels["model"]]; ok && ver != "" {
		if m.Production == ver {
			return string(wire.StageProduction)
		}
		for _, x := range m.Versions {
			if x.Version == ver {
				return string(x.Stage)
			}
		}
	}
	switch r := a.Labels["role"]; r {
	case "prod", "production":
		return string(wire.StageProduction)
	case "":
		return ""
	default:
		return r
	}
}

// notLive reports whether an alert concerns a version that does not serve
// production traffic: a shadow or canary candidate.
func (v *View) notLive(a client.Alert) bool {
	st := v.stage(a)
	return st == string(wire.StageShadow) || st == string(wire.StageCanary)
}

// VersionLabel names an alert's version with its stage where that is not
// production: "v12", "shadow v13", "old v11".
func (v *View) VersionLabel(a client.Alert) string {
	ver := a.Labels["version"]
	if ver == "" {
		return ""
	}
	switch st := v.stage(a); st {
	case "", string(wire.StageProduction):
		return ver
	case string(wire.StageShadow), string(wire.StageCanary):
		return st + " " + ver
	default:
		return "old " + ver // archived or none: no longer serves
	}
}

// versions lists a group's versions, production first.
func (v *View) versions(g Group) string {
	var live, other []string
	for _, a := range g.Members {
		l := v.VersionLabel(a)
		switch {
		case l == "" || slices.Contains(live, l) || slices.Contains(other, l):
		case strings.Contains(l, " "):
			other = append(other, l)
		default:
			live = append(live, l)
		}
	}
	slices.Sort(live)
	slices.Sort(other)
	return strings.Join(append(live, other...), " ")
}

func (v *View) rebuild() {
	dash := v.c.DashFor()
	now := v.c.Now()
	shown := v.alerts
	v.hidden = 0
	if v.hideShadow {
		shown = nil
		for _, a := range v.alerts {
			if v.notLive(a) {
				v.hidden++
				continue
			}
			shown = append(shown, a)
		}
	}
	all := GroupAlerts(shown)
	sortGroups(all, v.sortBy)
	v.groups = v.groups[:0]
	rows := make([]common.Row, 0, len(all))
	for _, g := range all {
		name := g.Name
		if g.Feature != "" {
			name += " " + g.Feature
		}
		vers := v.versions(g)
		// The filter reads "NAME FEATURE MODEL VERSIONS SEVERITY STATE",
		// so that "FeatureDrift demand" keeps matching one model's alerts.
		text := strings.ToLower(g.Name + " " + g.Model + " " + g.Feature + " " + vers + " " + g.Severity + " " + g.State)
		if v.Filter != "" && !strings.Contains(text, v.Filter) && !strings.Contains(strings.ToLower(name+" "+g.Model), v.Filter) {
			continue
		}
		v.groups = append(v.groups, g)
		cells := make([]string, numCols)
		tones := make([]common.Tone, numCols)
		cells[colState] = g.State
		switch g.State {
		case "firing":
			tones[colState] = common.ToneBad
		case "pending":
			tones[colState] = common.ToneWarn
		}
		cells[colSeverity] = orDash(g.Severity, dash)
		if rank(g.Severity) == 0 {
			tones[colSeverity] = common.ToneBad
		}
		cells[colAge] = dash
		if !g.ActiveAt.IsZero() {
			cells[colAge] = common.FormatAge(now.Sub(g.ActiveAt))
		}
		cells[colName] = orDash(name, dash)
		cells[colModel] = orDash(g.Model, dash)
		cells[colVersions] = orDash(vers, dash)
		cells[colRunbook] = orDash(g.Runbook, dash)
		cells[colHandled], tones[colHandled] = v.handled(g)
		if v.clustered {
			c, tone := dash, common.ToneMuted
			if g.Collector != nil {
				c, tone = g.Collector.Name, common.ToneNone
				if !g.Collector.Reachable {
					c, tone = c+" (down)", common.ToneBad
				}
			}
			cells = slices.Insert(cells, colCollector, c)
			tones = slices.Insert(tones, colCollector, tone)
		}
		rows = append(rows, common.Row{Key: g.Key, Cells: cells, Tones: tones})
	}
	none := "no pending or firing alerts"
	if v.hidden > 0 {
		none = "only shadow and canary versions alert (h shows them)"
	}
	v.table.SetEmpty(v.EmptyText(common.Empty{
		Source: "alerts", Endpoint: "/api/v1/alerts",
		Failed: "no alerts to show: the fetch failed (see below)", // not "no alerts"
		Items:  "alerts", Item: "alert", None: none,
	}))
	v.layoutTable()
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

// View renders the incident summary, the table (or the detail pane) and
// a footnote with counts or the last error; the silence prompt, when
// open, takes the line above the footnote.
func (v *View) View() string {
	var note string
	switch {
	case v.prompting:
		note = v.promptLine()
	case v.acting:
		note = v.c.Styles.Warn.Render("working: waiting for the collector…")
	case v.Status != "":
		note = v.StatusLine()
	case v.Failed():
		note = v.FetchFailed("alerts")
	case v.detail != "":
		note = v.c.Styles.Muted.Render("esc back to the list · j/k scroll")
	case v.Loaded && v.Err == nil:
		note = v.c.Styles.Muted.Render(v.counts())
	}
	var lines []string
	if v.detail == "" { // the pane needs the room
		for _, l := range v.summary() {
			lines = append(lines, common.Fit(l, v.Width))
		}
	}
	var body string
	if v.detail != "" {
		body = strings.Join(v.detailLines(max(v.Height-1-len(lines), 1)), "\n")
	} else {
		body = v.table.View()
	}
	lines = append(lines, strings.Split(body, "\n")...)
	for len(lines) < v.Height-1 {
		lines = append(lines, "")
	}
	lines = append(lines[:max(v.Height-1, 0)], common.Fit(note, v.Width))
	if v.prompting && len(lines) >= 3 {
		// The prompt's hint or error takes the line above it.
		hint := v.c.Styles.Muted.Render("enter silences · esc cancels · durations like 30m, 1h, 2h30m")
		if v.promptErr != "" {
			hint = v.c.Styles.Error.Render(v.promptErr)
		}
		lines[len(lines)-2] = common.Fit(hint, v.Width)
	}
	return strings.Join(lines, "\n")
}

// counts is the footnote: rows firing and pending, series behind them,
// what h hides and the order.
func (v *View) counts() string {
	firing, pending, series := 0, 0, 0
	for _, g := range v.groups {
		switch g.State {
		case "firing":
			firing++
		case "pending":
			pending++
		}
		series += len(g.Members)
	}
	out := strconv.Itoa(firing) + " firing · " + strconv.Itoa(pending) + " pending"
	if series != len(v.groups) {
		out += " · " + strconv.Itoa(series) + " series"
	}
	if v.hidden > 0 {
		out += " · " + strconv.Itoa(v.hidden) + " shadow/canary hidden"
	}
	if down := v.downCollectors(); len(down) > 0 {
		out += " · " + strings.Join(down, ", ") + " down: alerts as last seen"
	}
	return out + " · by " + v.sortBy.String()
}

// downCollectors are the collectors of a cluster that did not answer the
// last listing.
func (v *View) downCollectors() []string {
	var out []string
	for _, a := range v.alerts {
		if a.Collector != nil && !a.Collector.Reachable && !slices.Contains(out, a.Collector.Name) {
			out = append(out, a.Collector.Name)
		}
	}
	slices.Sort(out)
	return out
}

// incidentModel is the model the summary is about: the pinned one, else
// the model of the worst firing alert.
func (v *View) incidentModel() string {
	if v.incident != "" {
		return v.incident
	}
	gs := GroupAlerts(v.alerts)
	sortGroups(gs, BySeverity)
	for _, g := range gs {
		if g.State == "firing" && g.Model != "" {
			return g.Model
		}
	}
	return ""
}

// changeKinds are the events that change what serves.
var changeKinds = map[wire.EventKind]bool{
	wire.KindDeploy: true, wire.KindVersionChange: true, wire.KindAction: true,
	wire.KindInjection: true, wire.KindRunbookStep: true,
}

// LastChange is the newest event of evs that changed what serves
// (deploy, promote, rollback, injection), and whether there is one.
func LastChange(evs []wire.Event) (wire.Event, bool) {
	var last wire.Event
	found := false
	for _, e := range evs {
		if changeKinds[e.Kind] && (!found || !e.Time.Before(last.Time)) {
			last, found = e, true
		}
	}
	return last, found
}

// eventWhat is an event's kind (or action) and version: "promote v12".
func eventWhat(e wire.Event) string {
	s := string(e.Kind)
	if e.Action != "" {
		s = e.Action
	}
	if e.Version != "" {
		s += " " + e.Version
	}
	return s
}

// eventWho is " by ACTOR: TEXT", each part where the event has it.
func eventWho(e wire.Event) string {
	var s string
	if e.Actor != "" {
		s += " by " + e.Actor
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// clock formats a time the way the console does: UTC hours and minutes.
func clock(t time.Time) string { return t.UTC().Format("15:04") }

// summary is the incident summary above the list: what fires since when,
// which version serves, what changed last, the runbook. No lines when
// nothing fires and no model is pinned.
func (v *View) summary() []string {
	if !v.Loaded || v.Err != nil {
		return nil
	}
	model := v.incidentModel()
	if model == "" {
		return nil
	}
	st := v.c.Styles
	now := v.c.Now()
	gs := GroupAlerts(v.alerts)
	sortGroups(gs, BySeverity)
	var names []string
	var since time.Time
	runbook := ""
	for _, g := range gs {
		if g.Model != model || g.State != "firing" {
			continue
		}
		n := g.Name
		if g.Feature != "" {
			n += " " + g.Feature
		}
		names = append(names, n)
		if since.IsZero() || g.ActiveAt.Before(since) {
			since = g.ActiveAt
		}
		if runbook == "" {
			runbook = g.Runbook
		}
	}
	head := st.Title.Render("INCIDENT " + model)
	var what string
	if len(names) == 0 {
		what = "nothing fires"
	} else {
		what = strconv.Itoa(len(names)) + " firing since " + clock(since) + " (" + common.FormatAge(now.Sub(since)) + "): " + strings.Join(names, ", ")
	}
	lines := []string{head + " · " + what}
	serving := "serving: registry unknown"
	if m, ok := v.models[model]; ok {
		serving = "serving " + orDash(m.Production, v.c.DashFor())
		var cands []string
		for _, x := range m.Versions {
			if x.Stage == wire.StageShadow || x.Stage == wire.StageCanary {
				cands = append(cands, string(x.Stage)+" "+x.Version)
			}
		}
		if len(cands) > 0 {
			serving += " (" + strings.Join(cands, ", ") + ")"
		}
	}
	change := "last change: none in the last " + common.FormatAge(EventsWindow)
	if e, ok := LastChange(v.events[model]); ok {
		change = "last change: " + eventWhat(e) + " " + clock(e.Time) + " (" + common.FormatAge(now.Sub(e.Time)) + " ago)" + eventWho(e)
	}
	lines = append(lines, serving+" · "+change)
	rb := "runbook: " + orDash(runbook, v.c.DashFor())
	if runbook != "" {
		rb += " (r on its alert opens it)"
	}
	lines = append(lines, st.Muted.Render(rb))
	return lines
}

// detailGroup is the group whose details are open, if it still alerts.
func (v *View) detailGroup() (Group, bool) {
	for _, g := range GroupAlerts(v.alerts) {
		if g.Key == v.detail {
			return g, true
		}
	}
	return Group{}, false
}

// detailLines renders the detail pane, h lines from the scroll offset.
func (v *View) detailLines(h int) []string {
	all := v.detailText()
	v.scroll = min(v.scroll, max(len(all)-h, 0))
	out := all[v.scroll:]
	if len(out) > h {
		out = out[:h]
	}
	for i := range out {
		out[i] = common.Fit(out[i], v.Width)
	}
	return out
}

// detailText is every line of the detail pane: value, labels,
// annotations, since when, runbook, silences, related events.
func (v *View) detailText() []string {
	st := v.c.Styles
	g, ok := v.detailGroup()
	if !ok {
		return []string{st.Muted.Render("this alert no longer fires or pends: it resolved (esc goes back to the list)")}
	}
	now := v.c.Now()
	dash := v.c.DashFor()
	title := g.Name
	if g.Feature != "" {
		title += " " + g.Feature
	}
	if g.Model != "" {
		title += " · " + g.Model
	}
	lines := []string{st.Title.Render(title)}
	since := dash
	if !g.ActiveAt.IsZero() {
		since = clock(g.ActiveAt) + " UTC (" + common.FormatAge(now.Sub(g.ActiveAt)) + " ago)"
	}
	lines = append(lines, g.State+" since "+since+" · severity "+orDash(g.Severity, dash)+" · runbook "+orDash(g.Runbook, dash))
	if c := g.Collector; c != nil {
		held := "held by collector " + c.Name + " (" + c.URL + ")"
		if !c.Reachable {
			held += st.Error.Render(" · unreachable, as last seen: " + c.Error)
		}
		lines = append(lines, held)
	}

	// One line per series: its version and the labels that tell it
	// from the group's other series.
	common_ := commonLabels(g.Members)
	lines = append(lines, "", st.Header.Render("SERIES ("+strconv.Itoa(len(g.Members))+")"))
	for _, a := range g.Members {
		var extra []string
		for _, k := range sortedKeys(a.Labels) {
			if _, same := common_[k]; !same && k != "version" {
				extra = append(extra, k+"="+a.Labels[k])
			}
		}
		ver := v.VersionLabel(a)
		if ver == "" {
			ver = dash
		}
		at := dash
		if !a.ActiveAt.IsZero() {
			at = "since " + clock(a.ActiveAt)
		}
		lines = append(lines, "  "+pad(a.State, 8)+pad(ver, 10)+pad("value "+formatValue(a.Value), 12)+pad(at, 12)+strings.Join(extra, " "))
	}

	lines = append(lines, "", st.Header.Render("LABELS"))
	var ls []string
	for _, k := range sortedKeys(common_) {
		ls = append(ls, k+"="+common_[k])
	}
	lines = append(lines, wrapWords(ls, v.Width-2, "  ")...)

	lines = append(lines, "", st.Header.Render("ANNOTATIONS"))
	ann := map[string]string{}
	for _, a := range g.Members {
		for k, val := range a.Annotations {
			if _, ok := ann[k]; !ok {
				ann[k] = val
			}
		}
	}
	if len(ann) == 0 {
		lines = append(lines, "  "+st.Muted.Render("none"))
	}
	for _, k := range sortedKeys(ann) {
		lines = append(lines, wrapWords(strings.Fields(k+": "+ann[k]), v.Width-2, "  ")...)
	}

	handled, _ := v.handled(g)
	lines = append(lines, "", st.Header.Render("SILENCES")+" · handled: "+handled)
	var sil []string
	acks := 0
	for _, a := range g.Members {
		if s, ok := v.states[stateKey(a.Collector, a.Labels)]; ok {
			for _, id := range s.SilencedBy {
				if !slices.Contains(sil, id) {
					sil = append(sil, id)
				}
			}
			if s.Ack != nil {
				acks++
			}
		}
	}
	switch {
	case v.states == nil:
		lines = append(lines, "  "+st.Muted.Render("the collector's alerting engine is "+common.NotConfigured))
	case len(sil) == 0:
		lines = append(lines, "  none: it notifies (s silences it, a acknowledges it)")
	default:
		lines = append(lines, "  silenced by "+strings.Join(sil, ", "))
	}
	if acks > 0 {
		lines = append(lines, "  acknowledged: "+strconv.Itoa(acks)+" of "+strconv.Itoa(len(g.Members))+" series")
	}

	lines = append(lines, "", st.Header.Render("RELATED EVENTS (changes within "+common.FormatAge(RelatedWindow)+" before it fired, and since)"))
	rel := Related(v.events[g.Model], g.ActiveAt)
	if len(rel) == 0 {
		lines = append(lines, "  "+st.Muted.Render("no deploy, promote, rollback or injection of "+orDash(g.Model, dash)))
	}
	for _, e := range rel {
		lines = append(lines, "  "+clock(e.Time)+"  "+eventWhat(e)+eventWho(e))
	}
	return lines
}

// Related returns the changes among evs from RelatedWindow before since
// on, newest first.
func Related(evs []wire.Event, since time.Time) []wire.Event {
	var out []wire.Event
	for _, e := range evs {
		if changeKinds[e.Kind] && (since.IsZero() || !e.Time.Before(since.Add(-RelatedWindow))) {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b wire.Event) int { return b.Time.Compare(a.Time) })
	return out
}

func (v *View) scrollDetail(msg tea.KeyMsg) {
	nav := keys.NewNav()
	switch {
	case key.Matches(msg, nav.Up):
		v.scroll--
	case key.Matches(msg, nav.Down):
		v.scroll++
	case key.Matches(msg, nav.PageUp):
		v.scroll -= max(v.Height-2, 1)
	case key.Matches(msg, nav.PageDown):
		v.scroll += max(v.Height-2, 1)
	case key.Matches(msg, nav.Top):
		v.scroll = 0
	case key.Matches(msg, nav.Bottom):
		v.scroll = 1 << 20
	}
	v.scroll = max(v.scroll, 0)
}

// commonLabels are the labels every member carries with one value.
func commonLabels(as []client.Alert) map[string]string {
	out := map[string]string{}
	if len(as) == 0 {
		return out
	}
	for k, val := range as[0].Labels {
		same := true
		for _, a := range as[1:] {
			if a.Labels[k] != val {
				same = false
				break
			}
		}
		if same {
			out[k] = val
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func pad(s string, w int) string {
	if n := len([]rune(s)); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s + " "
}

// wrapWords lays words out on lines of at most width cells, each line
// starting with indent.
func wrapWords(words []string, width int, indent string) []string {
	var out []string
	line := indent
	for _, w := range words {
		if line != indent && len([]rune(line))+1+len([]rune(w)) > width {
			out = append(out, line)
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += w
	}
	if line != indent {
		out = append(out, line)
	}
	return out
}

// formatValue shows an alert's value in at most 4 significant digits.
func formatValue(s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}

// stateKey identifies an alert in the engine's state: its collector (in
// a cluster: two collectors may hold alerts of the same labels) and its
// label set.
func stateKey(c *wire.ModelCollector, l map[string]string) string {
	return collectorName(c) + "\x00" + labelKey(l)
}

// setClustered switches the table to (or from) the cluster's columns.
func (v *View) setClustered(on bool) {
	v.clustered = on
	cols := columns
	if on {
		cols = clusterColumns
	}
	v.table = common.NewTable(v.c, cols)
	v.layoutTable()
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

// handled says who took the group's alerts: silenced, acked (by whom),
// both, or nobody; "2/4" where only some of its series are.
func (v *View) handled(g Group) (string, common.Tone) {
	if v.states == nil {
		return v.c.DashFor(), common.ToneMuted
	}
	found, silenced, acked := 0, 0, 0
	by := ""
	for _, a := range g.Members {
		st, ok := v.states[stateKey(a.Collector, a.Labels)]
		if !ok {
			continue
		}
		found++
		if len(st.SilencedBy) > 0 {
			silenced++
		}
		if st.Ack != nil {
			acked++
			by = st.Ack.By
		}
	}
	if found == 0 {
		return v.c.DashFor(), common.ToneMuted
	}
	part := func(word string, n int) string {
		if n == found {
			return word
		}
		return word + " " + strconv.Itoa(n) + "/" + strconv.Itoa(found)
	}
	// Silenced first: it decides whether anyone is notified.
	var parts []string
	if silenced > 0 {
		parts = append(parts, part("silenced", silenced))
	}
	if acked > 0 {
		parts = append(parts, part("ack "+by, acked))
	}
	if len(parts) == 0 {
		return "no", common.ToneWarn
	}
	return strings.Join(parts, " · "), common.ToneGood
}

// selected returns the group under the cursor (or whose details are
// open).
func (v *View) selected() (Group, bool) {
	key := v.detail
	if key == "" {
		row, ok := v.table.Selected()
		if !ok {
			return Group{}, false
		}
		key = row.Key
	}
	for _, g := range v.groups {
		if g.Key == key {
			return g, true
		}
	}
	if g, ok := v.detailGroup(); ok && v.detail != "" {
		return g, true
	}
	return Group{}, false
}

// engineState returns the alerting engine's view of the selected group's
// alerts, or sets the status line to why there is none.
func (v *View) engineState(verb string) (Group, []client.AlertState, bool) {
	g, ok := v.selected()
	switch {
	case v.acting:
		v.SetStatus("an action is already running", true)
	case !ok:
		v.SetStatus("no alert selected", true)
	case errors.Is(v.stateErr, client.ErrNotConfigured):
		v.SetStatus("cannot "+verb+": the collector does not serve /api/v1/alerts/state (its alerting engine is "+common.NotConfigured+")", true)
	case v.stateErr != nil:
		v.SetStatus("cannot "+verb+": "+v.stateErr.Error(), true)
	default:
		var sts []client.AlertState
		for _, a := range g.Members {
			if st, found := v.states[stateKey(a.Collector, a.Labels)]; found {
				sts = append(sts, st)
			}
		}
		if len(sts) == 0 {
			v.SetStatus("cannot "+verb+": the alerting engine no longer holds this alert (refresh with ctrl+r)", true)
			return g, nil, false
		}
		return g, sts, true
	}
	return g, nil, false
}

func (v *View) startAck() tea.Cmd {
	g, sts, ok := v.engineState("acknowledge")
	if !ok {
		return nil
	}
	var ids []string
	by := ""
	for _, st := range sts {
		if st.Ack == nil {
			ids = append(ids, st.ID)
		} else {
			by = st.Ack.By
		}
	}
	if len(ids) == 0 {
		v.SetStatus(g.Name+" is already acknowledged by "+by, false)
		return nil
	}
	v.acting = true
	api, ctx, what, now := v.api, v.c.Ctx, describe(g), v.c.Now
	owner := v.foreignCollector(g)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
		defer cancel()
		for _, id := range ids {
			var err error
			if ca, ok := api.(ClusterAPI); ok && owner != "" {
				err = ca.AckOn(ctx, owner, id, Comment) // the alert's own collector acks it
			} else {
				err = api.Ack(ctx, id, Comment)
			}
			if err != nil {
				return doneMsg{err: err}
			}
		}
		if len(ids) > 1 {
			what += ": " + strconv.Itoa(len(ids)) + " series"
		}
		f := load(ctx, api, 0, now())
		return doneMsg{text: "acknowledged " + what, fetched: &f}
	}
}

// foreignCollector names the collector holding g's alerts when the view
// knows it (a cluster): acks and silences are asked of it by name.
func (v *View) foreignCollector(g Group) string {
	if !v.clustered {
		return ""
	}
	return collectorName(g.Collector)
}

func describe(g Group) string {
	s := g.Name
	if g.Feature != "" {
		s += " " + g.Feature
	}
	if g.Model != "" {
		s += " (" + g.Model + ")"
	}
	return s
}

// Matchers is the selector a silence of a row uses: its name and, when it
// has them, its model and feature, so the same alert of other models and
// features still pages.
func Matchers(g Group) string {
	parts := []string{"alertname=" + strconv.Quote(g.Name)}
	if g.Model != "" {
		parts = append(parts, "model="+strconv.Quote(g.Model))
	}
	if g.Feature != "" {
		parts = append(parts, "feature="+strconv.Quote(g.Feature))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func (v *View) startSilence() tea.Cmd {
	g, _, ok := v.engineState("silence")
	if !ok {
		return nil
	}
	v.target = silenceTarget{name: describe(g), matchers: Matchers(g), collector: v.foreignCollector(g)}
	v.prompting, v.promptErr = true, ""
	v.prompt.SetValue(DefaultSilence)
	v.prompt.CursorEnd()
	return v.prompt.Focus()
}

func (v *View) updatePrompt(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, v.silenceKeys.Cancel):
		v.prompting = false
		v.prompt.Blur()
		v.SetStatus("silence cancelled", false)
		return nil
	case key.Matches(msg, v.silenceKeys.Confirm):
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
		api, ctx, t, now := v.api, v.c.Ctx, v.target, v.c.Now
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
			defer cancel()
			var sil client.Silence
			var err error
			if ca, ok := api.(ClusterAPI); ok && t.collector != "" {
				sil, err = ca.CreateSilenceOn(ctx, t.collector, t.matchers, d, Comment)
			} else {
				sil, err = api.CreateSilence(ctx, t.matchers, d, Comment)
			}
			if err != nil {
				return doneMsg{err: err}
			}
			f := load(ctx, api, 0, now())
			return doneMsg{text: "silenced " + t.name + " until " + sil.EndsAt.UTC().Format("15:04") + " UTC", fetched: &f}
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
