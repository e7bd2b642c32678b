package alerts

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/alerting"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/styles"
)

// recorder answers nothing on its own (the test hands the view its fetch
// results) and records the acks and silences the view asks for.
type recorder struct {
	mu       sync.Mutex
	alerts   []client.Alert // what a read after an action answers
	acked    []string
	silenced []string
}

func (r *recorder) Alerts(context.Context) ([]client.Alert, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.alerts, nil
}

func (r *recorder) AlertStates(context.Context) ([]client.AlertState, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return states(r.alerts...), nil
}
func (*recorder) Models(context.Context) ([]client.ModelState, error) { return nil, nil }
func (*recorder) EventLog(context.Context, string, time.Time, time.Time, int) ([]events.Event, error) {
	return nil, nil
}

func (r *recorder) Ack(_ context.Context, id, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acked = append(r.acked, id)
	return nil
}

func (r *recorder) CreateSilence(_ context.Context, m string, d time.Duration, _ string) (client.Silence, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.silenced = append(r.silenced, m)
	return client.Silence{EndsAt: time.Now().Add(d)}, nil
}

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func testView(t *testing.T, api API) *View {
	t.Helper()
	r := lipgloss.NewRenderer(os.Stdout)
	r.SetColorProfile(termenv.Ascii)
	c := common.Common{Ctx: t.Context(), Styles: styles.New(r), Now: func() time.Time { return now }}
	v := New(c, api)
	v.SetSize(120, 20)
	return v
}

func firing(name, model, sev string, age time.Duration, kv ...string) client.Alert {
	a := alert(append([]string{"alertname", name, "model", model, "severity", sev}, kv...)...)
	a.State, a.ActiveAt = "firing", now.Add(-age)
	return a
}

func states(as ...client.Alert) []client.AlertState {
	out := make([]client.AlertState, len(as))
	for i, a := range as {
		out[i] = client.AlertState{ID: alerting.Fingerprint(labels.FromMap(a.Labels)), Labels: a.Labels, State: a.State}
	}
	return out
}

// deliver hands the view one refresh's results, as its fetch would.
func deliver(v *View, as ...client.Alert) {
	if r, ok := v.api.(*recorder); ok {
		r.mu.Lock()
		r.alerts = as
		r.mu.Unlock()
	}
	v.Refresh()
	v.Update(fetchedMsg{seq: v.Seq(), alerts: as, states: states(as...), at: now})
}

func run(t *testing.T, cmd tea.Cmd) tea.Msg {
	t.Helper()
	require.NotNil(t, cmd)
	return cmd()
}

// TestCursorStaysOnItsAlert refreshes the list with a new alert sorted
// above the selected one: the cursor follows its alert, and a and s act on
// that alert, not on whichever took its place.
func TestCursorStaysOnItsAlert(t *testing.T) {
	errRate := firing("ModelErrorRateHigh", "fraud", "critical", 12*time.Minute)
	latency := firing("ModelLatencyHigh", "fraud", "warning", 2*time.Hour)
	drift := firing("FeatureDrift", "churn", "warning", 30*time.Minute, "feature", "age")
	page := firing("SLOBurn", "ranker", "critical", time.Hour)

	api := &recorder{}
	v := testView(t, api)
	deliver(v, errRate, latency, drift)
	v.Update(tea.KeyMsg{Type: tea.KeyDown})
	sel, ok := v.selected()
	require.True(t, ok)
	require.Equal(t, "ModelLatencyHigh", sel.Name)

	// The next refresh: a new critical alert sorts first, the order of the
	// answer is shuffled too.
	deliver(v, drift, page, latency, errRate)
	sel, ok = v.selected()
	require.True(t, ok)
	assert.Equal(t, "ModelLatencyHigh", sel.Name, "the cursor stays on its alert")
	assert.Equal(t, "fraud", sel.Model)

	v.Update(run(t, v.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'a'}})))
	assert.Equal(t, []string{alerting.Fingerprint(labels.FromMap(latency.Labels))}, api.acked, "a acks the alert under the cursor")

	v.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'s'}})
	require.True(t, v.Capturing(), "s opens the silence prompt")
	run(t, v.Update(tea.KeyMsg{Type: tea.KeyEnter}))
	assert.Equal(t, []string{`{alertname="ModelLatencyHigh",model="fraud"}`}, api.silenced, "s silences the alert under the cursor")

	// The alert resolves: the cursor stays in place rather than jumping
	// to the top.
	deliver(v, drift, page, errRate)
	_, ok = v.selected()
	assert.True(t, ok)
}
