package tui

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
)

var sizes = []struct{ w, h int }{{80, 24}, {160, 48}}

// session drives one console over a real collector.
type session struct {
	t  *testing.T
	tm *teatest.TestModel
}

func newSession(t *testing.T, mode alertsMode, w, h int, start string) *session {
	t.Helper()
	api := stableURL{collectorClient(t, mode)}
	cfg := testConfig(api)
	cfg.Start = start
	m := New(t.Context(), cfg)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	return &session{t: t, tm: tm}
}

// openCommand starts a console on the recorded collector, waits for it to
// be ready, runs the `:command` and waits for every string in want.
func openCommand(t *testing.T, w, h int, command string, want ...string) *session {
	t.Helper()
	s := newSession(t, alertsRecorded, w, h, "")
	s.waitFor("collector ready")
	s.keys(":", command, "enter")
	s.waitFor(want...)
	return s
}

// waitFor blocks until every string has appeared in the output.
func (s *session) waitFor(want ...string) {
	s.t.Helper()
	seen := make([]bool, len(want))
	teatest.WaitFor(s.t, s.tm.Output(), func(b []byte) bool {
		all := true
		for i, w := range want {
			seen[i] = seen[i] || bytes.Contains(b, []byte(w))
			all = all && seen[i]
		}
		return all
	}, teatest.WithDuration(30*time.Second), teatest.WithCheckInterval(20*time.Millisecond)) // generous: 2 loaded cores
}

func (s *session) keys(ks ...string) {
	for _, k := range ks {
		switch k {
		case "enter":
			s.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
		case "esc":
			s.tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
		case "tab":
			s.tm.Send(tea.KeyMsg{Type: tea.KeyTab})
		case "down":
			s.tm.Send(tea.KeyMsg{Type: tea.KeyDown})
		default:
			s.tm.Type(k)
		}
	}
}

// screen quits and returns the last frame the model would draw.
func (s *session) screen() string {
	s.t.Helper()
	require.NoError(s.t, s.tm.Quit())
	m := s.tm.FinalModel(s.t, teatest.WithFinalTimeout(15*time.Second)).(*Model)
	m.quitting = false
	return m.View()
}

func checkGolden(t *testing.T, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	assert.Len(t, lines, h, "a frame is exactly the terminal height")
	for i, l := range lines {
		assert.LessOrEqual(t, len([]rune(l)), w, "line %d is wider than the terminal: %q", i, l)
	}
	golden.RequireEqual(t, []byte(screen))
}

func eachSize(t *testing.T, fn func(t *testing.T, w, h int)) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) { fn(t, sz.w, sz.h) })
	}
}

func TestModelsView(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		s := newSession(t, alertsRecorded, w, h, "")
		s.waitFor("428ms", "collector ready", "recsys")
		screen := s.screen()
		// fraud: 3 errors of 43 predictions/s; p95 interpolated in the
		// (0.25, 0.5] bucket: 0.25 + (40.85-38)/4*0.25 = 0.428 s.
		assert.Contains(t, screen, "7.0%")
		assert.Contains(t, screen, "428ms")
		// Burn rate from the seeded recording rules: 0.0698 / 0.001.
		assert.Contains(t, screen, "PAGE   69.8x")
		assert.NotContains(t, screen, "checkout", "an SLO of an unknown service invents no model")
		checkGolden(t, screen, w, h)
		lines := strings.Split(screen, "\n")
		assert.Contains(t, lines[2], "fraud", "two firing alerts put fraud first")
		assert.Contains(t, lines[3], "churn", "a pending alert puts churn second")
	})
}

func TestModelsViewAlertsNotConfigured(t *testing.T) {
	s := newSession(t, alertsAbsent, 80, 24, "")
	s.waitFor("alerts: not configured", "collector ready")
	screen := s.screen()
	checkGolden(t, screen, 80, 24)
	lines := strings.Split(screen, "\n")
	assert.Contains(t, lines[2], "fraud", "without alerts, the highest error share comes first")
}

func TestModelsFilter(t *testing.T) {
	s := newSession(t, alertsRecorded, 80, 24, "")
	s.waitFor("428ms", "collector ready")
	s.keys("/", "ran", "enter")
	s.waitFor("/ran")
	screen := s.screen()
	assert.Contains(t, screen, "ranker")
	assert.NotContains(t, screen, "fraud")
	assert.Contains(t, screen, "1 of 4 models")
}

func TestModelsDrillIntoQuery(t *testing.T) {
	s := newSession(t, alertsRecorded, 80, 24, "")
	s.waitFor("428ms", "collector ready")
	s.keys("down", "down", "x") // ranker
	s.waitFor(`model="ranker"`, "chart, last 1h")
	screen := s.screen()
	assert.Contains(t, screen, "Models › Query")
	assert.Contains(t, screen, `version="v12"`)
}

func TestAlertsView(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		s := newSession(t, alertsRecorded, w, h, "")
		s.waitFor("collector ready", "428ms")
		s.keys(":", "alerts", "enter")
		s.waitFor("2 firing")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		lines := strings.Split(screen, "\n")
		assert.Contains(t, lines[1], "INCIDENT fraud", "the incident summary on top")
		assert.Contains(t, lines[5], "ModelErrorRateHigh", "critical firing first")
		assert.Contains(t, lines[5], "12m", "age from activeAt 11:48 to the fixed clock")
		assert.Contains(t, lines[7], "pending")
	})
}

func TestAlertsNotConfigured(t *testing.T) {
	s := newSession(t, alertsAbsent, 80, 24, "alerts")
	s.waitFor("not configured", "collector ready")
	checkGolden(t, s.screen(), 80, 24)
}

func TestAlertsFromCollector(t *testing.T) {
	// The collector has no rule engine yet: its /api/v1/alerts is empty.
	s := newSession(t, alertsCollector, 80, 24, "alerts")
	s.waitFor("no pending or firing alerts", "0 firing")
}

const queryText = `sum by (model) (rate(mle_predictions_total{status="error"}[5m]))`

func TestQueryViewTable(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		s := newSession(t, alertsRecorded, w, h, "query")
		s.waitFor("collector ready")
		s.keys(queryText, "enter")
		s.waitFor("vector · 3 series")
		checkGolden(t, s.screen(), w, h)
	})
}

func TestQueryViewChart(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		s := newSession(t, alertsRecorded, w, h, "query")
		s.waitFor("collector ready")
		s.keys(`sum by (model) (mle_dataset_drift_share)`, "enter")
		s.waitFor("vector · 4 series")
		s.keys("tab")
		s.waitFor("chart, last 1h")
		checkGolden(t, s.screen(), w, h)
	})
}

func TestQueryViewParseError(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		s := newSession(t, alertsRecorded, w, h, "query")
		s.waitFor("collector ready")
		s.keys(`sum(rate(mle_predictions_total[5m]) by (model)`, "enter")
		s.waitFor("bad_data")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		assert.Contains(t, screen, "^")
	})
}

func TestHelpView(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		s := newSession(t, alertsRecorded, w, h, "")
		s.waitFor("collector ready", "428ms")
		s.keys("?")
		s.waitFor("closes help")
		checkGolden(t, s.screen(), w, h)
	})
}

func TestTooSmall(t *testing.T) {
	s := newSession(t, alertsRecorded, 50, 10, "")
	s.waitFor("terminal too small")
	assert.Equal(t, "terminal too small: 50x10, need 60x12", s.screen())
}

func TestUnknownCommandAndBack(t *testing.T) {
	s := newSession(t, alertsRecorded, 80, 24, "")
	s.waitFor("collector ready", "428ms")
	s.keys(":", "nope", "enter")
	s.waitFor("unknown command :nope")
	s.keys(":", "alerts", "enter")
	s.waitFor("2 firing")
	s.keys(":", "timeline", "enter")
	s.waitFor("mlectl › Timeline")
	s.keys("esc") // a : command replaced the breadcrumbs: nowhere to go back to
	screen := s.screen()
	assert.True(t, strings.HasPrefix(strings.Split(screen, "\n")[0], "mlectl › Timeline "), "the : command replaced the breadcrumbs")
	assert.NotContains(t, strings.Split(screen, "\n")[0], "Alerts")
}

func TestQuitKey(t *testing.T) {
	s := newSession(t, alertsRecorded, 80, 24, "")
	s.waitFor("collector ready")
	s.keys("q")
	s.tm.WaitFinished(t, teatest.WithFinalTimeout(15*time.Second))
}

func TestAlertOpensRunbook(t *testing.T) {
	s := newSession(t, alertsRecorded, 80, 24, "alerts")
	s.waitFor("2 firing", "collector ready")
	s.keys("r")
	// The recorded alert links runbooks/error-rate.md, which the library
	// does not hold, and no runbook's matchers take ModelErrorRateHigh.
	s.waitFor("Alerts › Runbook", "no runbook matches this alert", "runbooks/error-rate.md")
	s.keys("esc")
	s.waitFor("1 pending")
}

func TestCollectorDown(t *testing.T) {
	hs := httptest.NewServer(http.NotFoundHandler())
	url := hs.URL
	hs.Close()
	c, err := client.New(url)
	require.NoError(t, err)
	for _, tc := range []struct {
		ascii bool
		// status: the right end of the header, written out by hand.
		status string
	}{
		{false, "collector NOT READY · no data yet · http://collector.test:9710"},
		{true, "collector NOT READY - no data yet - http://collector.test:9710"},
	} {
		t.Run(fmt.Sprintf("ascii=%v", tc.ascii), func(t *testing.T) {
			cfg := testConfig(stableURL{c})
			cfg.ASCII = tc.ascii
			tm := teatest.NewTestModel(t, New(t.Context(), cfg), teatest.WithInitialTermSize(80, 24))
			s := &session{t: t, tm: tm}
			s.waitFor("collector NOT READY", "no data: collector")
			screen := s.screen()
			assert.Contains(t, screen, "unreachable")
			assert.NotContains(t, screen, "fraud")
			header := strings.Split(screen, "\n")[0]
			assert.True(t, strings.HasSuffix(header, tc.status), "no data has ever arrived, said in words: %q", header)
			assert.NotContains(t, header, "- -", "no dash placeholder next to a dash separator")
			assert.LessOrEqual(t, len([]rune(header)), 80)
		})
	}
}

func TestModelsViewASCII(t *testing.T) {
	api := stableURL{collectorClient(t, alertsRecorded)}
	cfg := testConfig(api)
	cfg.ASCII = true
	tm := teatest.NewTestModel(t, New(t.Context(), cfg), teatest.WithInitialTermSize(80, 24))
	s := &session{t: t, tm: tm}
	s.waitFor("428ms", "collector ready", "recsys")
	screen := s.screen()
	for _, r := range screen {
		require.Less(t, r, rune(128), "--ascii draws 7-bit characters only: %q", r)
	}
	checkGolden(t, screen, 80, 24)
}
