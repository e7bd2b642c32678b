package placeholder

import (
	"context"
	"errors"
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
	Probe(ctx context.Context, path string) error
}

// Spec names a placeholder view and the endpoint it waits for.
type Spec struct {
	Name     string // command name, e.g. "timeline"
	Title    string // breadcrumb, e.g. "Timeline"
	Endpoint string // e.g. "/api/v1/events"
	About    string // one line on what the view will show
}

// Specs are the placeholder views of this release.
var Specs = []Spec{
	{Name: "timeline", Title: "Timeline", Endpoint: "/api/v1/events", About: "deploys, alerts and drift events on one time axis"},
	{Name: "runbooks", Title: "Runbooks", Endpoint: "/api/v1/runbooks", About: "runbooks linked from alerts, rendered in the console"},
	{Name: "gameday", Title: "Game day", Endpoint: "/api/v1/gameday", About: "scripted failure drills against a model"},
}

type probedMsg struct {
	name string
	err  error
	at   time.Time
}

// View is one placeholder screen.
type View struct {
	c        common.Common
	api      API
	spec     Spec
	err      error
	at       time.Time
	loaded   bool
	inflight bool
	width    int
	height   int
}

// New returns a placeholder view for spec.
func New(c common.Common, api API, spec Spec) *View {
	return &View{c: c, api: api, spec: spec}
}

// Name is the view's command name.
func (v *View) Name() string { return v.spec.Name }

// Title is the view's breadcrumb.
func (v *View) Title() string { return v.spec.Title }

// Init probes the endpoint.
func (v *View) Init() tea.Cmd { return v.Refresh() }

// Refresh re-probes unless a probe is running.
func (v *View) Refresh() tea.Cmd {
	if v.inflight {
		return nil
	}
	v.inflight = true
	c, api, spec := v.c, v.api, v.spec
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(c.Ctx, fetchTimeout)
		defer cancel()
		at := c.Now()
		return probedMsg{name: spec.Name, err: api.Probe(ctx, spec.Endpoint), at: at}
	}
}

// LastUpdate is when the endpoint was last probed.
func (v *View) LastUpdate() time.Time { return v.at }

// Capturing is always false.
func (v *View) Capturing() bool { return false }

// SetFilter is a no-op.
func (v *View) SetFilter(string) {}

// SetSize sets the body area.
func (v *View) SetSize(w, h int) { v.width, v.height = w, h }

// KeyBindings is empty: the view has no keys of its own.
func (v *View) KeyBindings() []key.Binding { return nil }

// Update handles probe results.
func (v *View) Update(msg tea.Msg) tea.Cmd {
	if msg, ok := msg.(probedMsg); ok && msg.name == v.spec.Name {
		v.inflight, v.loaded = false, true
		v.err, v.at = msg.err, msg.at
	}
	return nil
}

// View renders the state of the endpoint.
func (v *View) View() string {
	st := v.c.Styles
	lines := []string{st.Title.Render(v.spec.Title), st.Muted.Render(v.spec.About), ""}
	switch {
	case !v.loaded:
		lines = append(lines, st.Muted.Render("probing "+v.spec.Endpoint+"…"))
	case errors.Is(v.err, client.ErrNotConfigured):
		lines = append(lines, st.Warn.Render(common.NotConfigured)+": the collector does not serve "+v.spec.Endpoint+" yet.")
	case v.err != nil:
		lines = append(lines, v.c.ErrorLine("probe of "+v.spec.Endpoint+" failed", v.err))
	default:
		lines = append(lines, "The collector serves "+v.spec.Endpoint+"; this console version cannot display it yet.")
	}
	for i := range lines {
		lines[i] = common.Fit(lines[i], v.width)
	}
	for len(lines) < v.height {
		lines = append(lines, "")
	}
	return strings.Join(lines[:min(len(lines), v.height)], "\n")
}
