package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/alerting"
	"github.com/mlectl/mlectl/events"
)

// actSession opens a console on a writable collector with token.
func actSession(t *testing.T, w *writable, token string, readOnly bool, width, height int, start string) *session {
	t.Helper()
	cfg := testConfig(w.client(t, token))
	cfg.Start, cfg.ReadOnly = start, readOnly
	tm := teatest.NewTestModel(t, New(t.Context(), cfg), teatest.WithInitialTermSize(width, height))
	return &session{t: t, tm: tm}
}

// openFraud starts a console as token on a fresh writable collector, waits
// for it to be ready (and for ready, when given) and opens fraud's detail
// view at production v7.
func openFraud(t *testing.T, token string, width, height int, ready ...string) (*writable, *session) {
	t.Helper()
	w := newWritable(t)
	s := actSession(t, w, token, false, width, height, "")
	s.waitFor(append([]string{"collector ready"}, ready...)...)
	s.keys(":", "model fraud", "enter")
	s.waitFor("production v7", "data at 12:00:00")
	return w, s
}

func (s *session) press(k tea.KeyType) { s.tm.Send(tea.KeyMsg{Type: k}) }

func (s *session) backspace(n int) {
	for range n {
		s.tm.Send(tea.KeyMsg{Type: tea.KeyBackspace})
	}
}

func production(t *testing.T, w *writable, model string) string {
	t.Helper()
	st, err := w.meta.Registry.Get(t.Context(), model)
	require.NoError(t, err)
	return st.Production
}

func TestRollbackNeedsTheModelName(t *testing.T) {
	w, s := openFraud(t, adminToken, 80, 24, "428ms")
	s.keys("r")
	s.waitFor("Roll back fraud: v7 → v6", "Type fraud to confirm")
	s.keys("fraus", "enter")
	s.waitFor(`"fraus" does not match fraud`)
	assert.Equal(t, "v7", production(t, w, "fraud"), "a wrong name changes nothing")

	s.backspace(5)
	s.keys("fraud", "enter")
	// The view re-fetches the registry after the action.
	s.waitFor("rollback fraud: v7 → v6 done through the file actuator", "production v6")
	assert.Equal(t, "v6", production(t, w, "fraud"), "the registry's production moved")
	evs, err := w.meta.Events.Query(t.Context(), events.Filter{Model: "fraud", Kinds: []events.Kind{events.KindVersionChange}})
	require.NoError(t, err)
	require.NotEmpty(t, evs)
	last := evs[len(evs)-1]
	assert.Equal(t, "alice", last.Actor, "the token's name is the actor")
	assert.Contains(t, last.Text, "from the mlectl console")
	screen := s.screen()
	assert.NotContains(t, screen, "Type fraud to confirm", "the dialog closed")
}

func TestRollbackCancelled(t *testing.T) {
	w, s := openFraud(t, adminToken, 80, 24)
	s.keys("r")
	s.waitFor("Type fraud to confirm")
	s.keys("fraud", "esc")
	s.waitFor("cancelled: nothing was done")
	s.screen()
	assert.Equal(t, "v7", production(t, w, "fraud"))
}

func TestPromoteSelectedShadow(t *testing.T) {
	w, s := openFraud(t, adminToken, 80, 24)
	s.keys("4", "down", "p") // v7, the production version
	s.waitFor("cannot promote v7: it is production")
	s.press(tea.KeyUp)
	s.keys("p") // v8, in shadow
	s.waitFor("Promote fraud v8 to production")
	s.keys("fraud", "enter")
	s.waitFor("promote fraud: v7 → v8 done")
	s.screen()
	assert.Equal(t, "v8", production(t, w, "fraud"))
}

func TestActionRefusedForViewer(t *testing.T) {
	w, s := openFraud(t, viewerToken, 160, 48)
	s.keys("r", "fraud", "enter")
	s.waitFor("rollback failed", "rejected the request (Forbidden)")
	s.screen()
	assert.Equal(t, "v7", production(t, w, "fraud"))
}

func alertByName(t *testing.T, w *writable, name string) alerting.ActiveAlert {
	t.Helper()
	for _, a := range w.alerts.Alerts() {
		if a.Name == name {
			return a
		}
	}
	require.Failf(t, "alert not active", "%s", name)
	return alerting.ActiveAlert{}
}

// ackAndSilence acknowledges the firing alert and silences the pending
// one for 2h after a mistyped duration.
func ackAndSilence(s *session) {
	s.waitFor("collector ready", "ModelErrorRateHigh", "DatasetDriftHigh", "1 firing")
	s.keys("a")
	s.waitFor("acknowledged ModelErrorRateHigh (fraud)", "ack alice")
	s.keys("down", "s")
	s.waitFor(`silence {alertname="DatasetDriftHigh",model="churn"} for: 1h`)
	s.backspace(2)
	s.keys("2x", "enter")
	s.waitFor(`duration "2x" is not a Go duration`)
	s.backspace(2)
	s.keys("2h", "enter")
	s.waitFor("silenced DatasetDriftHigh (churn) until 14:00 UTC", "silenced")
}

func TestAlertsAckAndSilence(t *testing.T) {
	eachSize(t, func(t *testing.T, width, height int) {
		w := newWritable(t)
		s := actSession(t, w, adminToken, false, width, height, "alerts")
		ackAndSilence(s)
		screen := s.screen()
		checkGolden(t, screen, width, height)

		ack := alertByName(t, w, "ModelErrorRateHigh").Ack
		require.NotNil(t, ack, "the ack reached the alerting engine")
		assert.Equal(t, "alice", ack.By)
		assert.Equal(t, "from the mlectl console", ack.Comment)
		assert.NotEmpty(t, alertByName(t, w, "DatasetDriftHigh").SilencedBy, "the silence mutes the alert")
		sils := w.alerts.Silences()
		require.Len(t, sils, 1)
		assert.Equal(t, `{alertname="DatasetDriftHigh",model="churn"}`, sils[0].Matchers)
		assert.Equal(t, clock.Add(2*time.Hour), sils[0].EndsAt.UTC())
		assert.Empty(t, alertByName(t, w, "ModelErrorRateHigh").SilencedBy, "only churn's alert is silenced")
	})
}

func TestAlertsActionsNeedTheEngine(t *testing.T) {
	// The recorded alerts come without the engine's state: no ids to ack.
	s := newSession(t, alertsRecorded, 80, 24, "alerts")
	s.waitFor("collector ready", "2 firing")
	s.keys("a")
	s.waitFor("cannot acknowledge: the collector does not serve /api/v1/alerts/state")
}

func TestReadOnlyHidesActions(t *testing.T) {
	w := newWritable(t)

	t.Run("alerts", func(t *testing.T) {
		s := actSession(t, w, adminToken, true, 160, 48, "alerts")
		s.waitFor("collector ready", "1 firing")
		s.keys("a", "s")
		s.keys("?")
		s.waitFor("closes help")
		screen := s.screen()
		assert.NotContains(t, screen, "acknowledge")
		assert.NotContains(t, screen, "silence")
		assert.Contains(t, screen, "details", "the other keys are listed")
		assert.Regexp(t, `r +runbook`, screen)
		assert.Nil(t, alertByName(t, w, "ModelErrorRateHigh").Ack, "a does nothing")
		assert.Empty(t, w.alerts.Silences(), "s does nothing")
	})
	t.Run("model", func(t *testing.T) {
		s := actSession(t, w, adminToken, true, 160, 48, "")
		s.waitFor("collector ready")
		s.keys(":", "model fraud", "enter")
		s.waitFor("production v7", "data at 12:00:00")
		s.keys("4")
		s.waitFor("read-only console: rollback and promote are disabled")
		s.keys("r", "p")
		s.keys("?")
		s.waitFor("closes help")
		screen := s.screen()
		assert.NotContains(t, screen, "roll back")
		assert.NotContains(t, screen, "promote")
		assert.NotContains(t, screen, "Type fraud to confirm", "r opens no dialog")
		assert.Contains(t, screen, "next tab")
		assert.Equal(t, "v7", production(t, w, "fraud"))
	})
}

func TestModelDetailHelpListsActions(t *testing.T) {
	s := openCommand(t, 160, 48, "model fraud", "production v7")
	s.keys("?")
	s.waitFor("closes help")
	screen := s.screen()
	assert.Contains(t, screen, "roll back production")
	assert.Contains(t, screen, "promote selected version")
	lines := strings.Split(screen, "\n")
	assert.Contains(t, lines[0], "mlectl › fraud", "a : command replaces the breadcrumbs")
}

func TestRollbackDialog(t *testing.T) {
	eachNarrowSize(t, func(t *testing.T, width, height int) {
		w, s := openFraud(t, adminToken, width, height)
		s.keys("4", "r", "fraus", "enter")
		s.waitFor(`"fraus" does not match fraud; nothing was done`)
		checkGolden(t, s.screen(), width, height)
		assert.Equal(t, "v7", production(t, w, "fraud"))
	})
}

// The rollback dialog names from → to and lets the operator pick another
// target (the CLI's --to), still behind the typed model name.
func TestRollbackPicksTarget(t *testing.T) {
	w, s := openFraud(t, adminToken, 80, 24)
	s.keys("r")
	s.waitFor("Roll back fraud: v7 → v6", "v6 (previous production)", "v8 (shadow)")
	s.tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	s.waitFor("Roll back fraud: v7 → v8")
	s.keys("fraud", "enter")
	s.waitFor("rollback fraud: v7 → v8 done through the file actuator")
	assert.Equal(t, "v8", production(t, w, "fraud"), "the picked target serves")
}
