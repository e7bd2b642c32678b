package detail

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	wire "github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/confirm"
	"github.com/mlectl/mlectl/tui/keys"
)

const (
	fetchTimeout = 15 * time.Second
	// actionTimeout bounds a rollback or promote: the actuator may take a
	// while, but the console must not wait forever.
	actionTimeout = 2 * time.Minute
	// Reason is recorded in the event log with actions taken here.
	Reason = "from the mlectl console"
)

// Tab is one section of the screen.
type Tab int

// The tabs, in order (keys 1-5).
const (
	TabOverview Tab = iota
	TabDrift
	TabShadow
	TabVersions
	TabEvents
	numTabs
)

var tabNames = [numTabs]string{"overview", "drift", "shadow", "versions", "events"}

func (t Tab) String() string { return tabNames[t] }

type fetchedMsg struct {
	seq  int
	snap Snapshot
}

type actionMsg struct {
	model, verb string
	res         client.ActionResult
	err         error
}

// View is the model detail screen.
type View struct {
	common.Base // At: the snapshot's; Loaded: by the model's first snapshot
	c           common.Common
	api         API
	keys        keys.Detail
	model       string
	tab         Tab
	snap        Snapshot

	hist histState // the selected drift feature's current window

	drift    *common.Table
	versions *common.Table
	events   *common.Table
	shadow   *common.Table

	dialog *confirm.Model
	acting bool
}

// New returns the detail view; SetModel chooses the model.
func New(c common.Common, api API) *View {
	v := &View{
		Base: common.NewBase(c, "model", "Model"), c: c, api: api,
		keys:     keys.NewDetail(),
		drift:    common.NewTable(c, driftColumns),
		versions: common.NewTable(c, versionColumns),
		events:   common.NewTable(c, eventColumns),
		shadow:   common.NewTable(c, shadowColumns),
	}
	if c.ReadOnly {
		// Read-only consoles have no mutating keys at all: not in help,
		// not matched.
		v.keys.Rollback.SetEnabled(false)
		v.keys.Promote.SetEnabled(false)
	}
	v.rebuild()
	return v
}

// Title is the breadcrumb: the model's name.
func (v *View) Title() string {
	if v.model == "" {
		return v.Base.Title()
	}
	return v.model
}

// ModelName is the model on screen.
func (v *View) ModelName() string { return v.model }

// Tab returns the tab on screen.
func (v *View) Tab() Tab { return v.tab }

// SetModel shows model, starting on the overview, and fetches its data.
func (v *View) SetModel(model string) tea.Cmd {
	if model != v.model {
		v.model, v.tab, v.Loaded, v.At, v.snap = model, TabOverview, false, time.Time{}, Snapshot{}
		v.hist = histState{seq: v.hist.seq} // later answers for the old model are dropped
		v.SetStatus("", false)
		v.dialog = nil
		v.rebuild()
		return v.fetch()
	}
	return v.Refresh()
}

// Init fetches the model set by SetModel.
func (v *View) Init() tea.Cmd { return v.Refresh() }

// Refresh starts a fetch unless one is running or no model is chosen.
func (v *View) Refresh() tea.Cmd {
	if v.InFlight() || v.model == "" {
		return nil
	}
	return v.fetch()
}

// fetch starts a fetch now; results of older fetches are then dropped.
func (v *View) fetch() tea.Cmd {
	if v.model == "" {
		return nil
	}
	c, api, model, shadow := v.c, v.api, v.model, v.tab == TabShadow
	return v.Refetch(fetchTimeout, func(ctx context.Context, seq int) tea.Msg {
		return fetchedMsg{seq: seq, snap: Fetch(ctx, api, model, c.Now(), shadow)}
	})
}

// Capturing reports whether the confirmation dialog owns the keyboard.
func (v *View) Capturing() bool { return v.dialog.Capturing() }

// SetFilter keeps drift features, versions and events containing f.
func (v *View) SetFilter(f string) {
	v.Base.SetFilter(f)
	v.rebuild()
}

// SetSize sets the body area.
func (v *View) SetSize(w, h int) {
	v.Base.SetSize(w, h)
	th := max(v.contentHeight(), 1)
	v.drift.SetSize(w, max(th-driftNoteHeight(th), 1))
	v.versions.SetSize(w, th)
	v.events.SetSize(w, th)
	v.shadow.SetSize(w, max(th-shadowSummaryLines, 1))
	if v.dialog != nil {
		v.dialog.SetSize(w, th)
	}
}

// contentHeight is the body less the heading, tab bar and status line.
func (v *View) contentHeight() int { return v.Height - 3 }

// KeyBindings lists the keys in force for help and the footer.
func (v *View) KeyBindings() []key.Binding {
	if v.Capturing() {
		return v.dialog.KeyBindings()
	}
	// The actions first: at 80 columns the footer keeps only the first few,
	// and "r roll back" is what on-call opens this view for.
	out := v.keys.ShortHelp()
	if v.c.ReadOnly {
		out = out[2:] // no Rollback, Promote
	}
	return append(out, v.drift.KeyBindings()...)
}

// Update handles fetch and action results and keys.
func (v *View) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case fetchedMsg:
		if !v.Current(msg.seq) {
			return nil // an older fetch finished late
		}
		if msg.snap.ShadowAt.IsZero() && msg.snap.Model == v.snap.Model {
			// Keep the last shadow report: it is fetched with its tab.
			msg.snap.Shadow, msg.snap.ShadowErr, msg.snap.ShadowAt = v.snap.Shadow, v.snap.ShadowErr, v.snap.ShadowAt
		}
		v.Settled()
		v.Loaded, v.At, v.snap = true, msg.snap.At, msg.snap
		v.rebuild()
		return v.syncHistogram(true) // the window moved on too
	case histMsg:
		if msg.seq != v.hist.seq {
			return nil // the selection moved on, or a newer fetch started
		}
		v.hist.key, v.hist.h, v.hist.err = msg.key, msg.h, msg.err
	case actionMsg:
		if msg.model != v.model {
			return nil
		}
		v.acting = false
		if msg.err != nil {
			v.SetStatus(msg.verb+" failed: "+msg.err.Error(), true)
			return nil
		}
		v.SetStatus(actionText(msg.res), false)
		return v.fetch()
	case tea.KeyMsg:
		return v.handleKey(msg)
	}
	return nil
}

func actionText(r client.ActionResult) string {
	from := r.FromVersion
	if from == "" {
		from = "none"
	}
	return r.Action + " " + r.Model + ": " + from + " → " + r.ToVersion + " done through the " + r.Actuator + " actuator"
}

func (v *View) handleKey(msg tea.KeyMsg) tea.Cmd {
	if cmd, ok := confirm.Handle(&v.dialog, msg,
		func() { v.acting = true },
		func() { v.SetStatus("cancelled: nothing was done", false) }); ok {
		return cmd
	}
	if !v.acting {
		v.SetStatus("", false) // a key press dismisses the last result
	}
	switch {
	case key.Matches(msg, v.keys.Next):
		return v.setTab((v.tab + 1) % numTabs)
	case key.Matches(msg, v.keys.Prev):
		return v.setTab((v.tab + numTabs - 1) % numTabs)
	case key.Matches(msg, v.keys.Jump):
		return v.setTab(Tab(msg.Runes[0] - '1'))
	case key.Matches(msg, v.keys.Chart) && v.tab == TabDrift:
		return v.chartFeature()
	case key.Matches(msg, v.keys.Record) && v.tab == TabDrift:
		return v.openRecord()
	case key.Matches(msg, v.keys.Rollback):
		v.askRollback()
		return nil
	case key.Matches(msg, v.keys.Promote):
		v.askPromote()
		return nil
	}
	if t := v.table(); t != nil {
		t.Update(msg)
	}
	return v.syncHistogram(false) // the selected feature may have changed
}

// setTab shows tab t; opening the shadow tab fetches the report.
func (v *View) setTab(t Tab) tea.Cmd {
	v.tab = t
	if t == TabShadow && v.model != "" {
		return v.fetch()
	}
	return v.syncHistogram(true)
}

func (v *View) table() *common.Table {
	switch v.tab {
	case TabDrift:
		return v.drift
	case TabShadow:
		return v.shadow
	case TabVersions:
		return v.versions
	case TabEvents:
		return v.events
	}
	return nil
}

// notReady says why an action cannot be offered yet, or "".
func (v *View) notReady() string {
	switch {
	case v.acting:
		return "an action is already running"
	case !v.Loaded:
		return "the registry has not answered yet"
	case errors.Is(v.snap.StateErr, client.ErrNotConfigured):
		return "the collector has no model registry (/api/v1/models): " + common.NotConfigured
	case v.snap.StateErr != nil:
		return "registry: " + v.snap.StateErr.Error()
	}
	return ""
}

func (v *View) askRollback() {
	if why := v.notReady(); why != "" {
		v.SetStatus("cannot roll back: "+why, true)
		return
	}
	st := v.snap.State
	targets, notes := common.RollbackTargets(st)
	if st.Production == "" {
		v.SetStatus("cannot roll back "+v.model+": it has no production version", true)
		return
	}
	if len(targets) == 0 {
		v.SetStatus("cannot roll back "+v.model+": the registry holds no other version that is not archived", true)
		return
	}
	api, ctx, model, from, actuator := v.api, v.c.Ctx, v.model, st.Production, st.Actuator.Kind
	v.dialog = confirm.NewChoice(v.c, model, confirm.Choice{
		Label:   "to",
		Options: targets,
		Notes:   notes,
		Title:   func(to string) string { return "Roll back " + model + ": " + from + " → " + to },
		Detail: func(to string) string {
			return "Production traffic of " + model + " moves from " + from + " to " + to + " (" + notes[to] +
				") through the " + actuator + " actuator. The rollback is recorded in the event log."
		},
		Action: func(to string) tea.Cmd {
			return func() tea.Msg {
				ctx, cancel := context.WithTimeout(ctx, actionTimeout)
				defer cancel()
				res, err := api.Rollback(ctx, model, to, Reason)
				return actionMsg{model: model, verb: "rollback", res: res, err: err}
			}
		},
	})
	v.dialog.SetSize(v.Width, max(v.contentHeight(), 1))
	v.Status = ""
}

func (v *View) askPromote() {
	if why := v.notReady(); why != "" {
		v.SetStatus("cannot promote: "+why, true)
		return
	}
	if v.tab != TabVersions {
		v.tab = TabVersions
		v.SetStatus("select the shadow or canary version to promote, then press p", false)
		return
	}
	row, ok := v.versions.Selected()
	if !ok {
		v.SetStatus("no version selected", true)
		return
	}
	var ver client.Version
	for _, x := range v.snap.State.Versions {
		if x.Version == row.Key {
			ver = x
		}
	}
	if ver.Stage != wire.StageShadow && ver.Stage != wire.StageCanary {
		v.SetStatus("cannot promote "+ver.Version+": it is "+string(ver.Stage)+"; select a shadow or canary version", true)
		return
	}
	from := v.snap.State.Production
	if from == "" {
		from = "none"
	}
	detail := "All production traffic of " + v.model + " moves from " + from + " to " + ver.Version +
		" (now " + string(ver.Stage) + ") through the " + v.snap.State.Actuator.Kind + " actuator. The promotion is recorded in the event log."
	api, ctx, model, version := v.api, v.c.Ctx, v.model, ver.Version
	v.open("Promote "+model+" "+version+" to production", detail, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		res, err := api.Promote(ctx, model, version, Reason)
		return actionMsg{model: model, verb: "promotion", res: res, err: err}
	})
}

func (v *View) open(title, detail string, action tea.Cmd) {
	v.dialog = confirm.New(v.c, title, detail, v.model, action)
	v.dialog.SetSize(v.Width, max(v.contentHeight(), 1))
	v.Status = ""
}

// Open shows the model named by arg (`:model NAME`, enter on a model).
func (v *View) Open(arg string, _ map[string]string) tea.Cmd { return v.SetModel(arg) }

// chartFeature opens the Query view on the selected drift row's scores,
// every method, over the last hour.
func (v *View) chartFeature() tea.Cmd {
	row, ok := v.drift.Selected()
	if !ok {
		return nil
	}
	parts := strings.Split(row.Key, "\x00") // version, feature, against
	if len(parts) != 3 {
		return nil
	}
	q := FeatureQuery(v.model, parts[0], parts[1], parts[2])
	return func() tea.Msg { return common.NavigateMsg{View: "query", Arg: q} }
}

// openRecord opens the Record view on a sampled prediction of the
// selected drift row's version: its inputs beside their contributions.
func (v *View) openRecord() tea.Cmd {
	if v.model == "" {
		return nil
	}
	arg := v.model
	if row, ok := v.drift.Selected(); ok {
		if version, _, ok := strings.Cut(row.Key, "\x00"); ok && version != "" {
			arg += " " + version
		}
	}
	return func() tea.Msg { return common.NavigateMsg{View: "record", Arg: arg} }
}
