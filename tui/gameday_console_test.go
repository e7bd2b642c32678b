package tui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/internal/route"
)

// gamedayCollector is a collector of its own that runs game days: the
// real injector and its HTTP API, with the event log next to it.
type gamedayCollector struct {
	url string
	inj *gameday.Injector
	ev  *events.Store
}

func newGamedayCollector(t *testing.T) *gamedayCollector {
	t.Helper()
	dir := t.TempDir()
	meta, err := openMeta(t.Context(), dir, auth.Config{Mode: auth.ModeDisabled})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, meta.Close()) })
	srv, err := collector.New(collector.Config{Version: "test"}, env.db, nil)
	require.NoError(t, err)
	inj := gameday.New(gameday.Options{Now: fixedNow, Events: meta.Recorder()})
	route.Mount(srv, gameday.NewHandler(inj, gameday.HandlerOptions{}).Routes())
	route.Mount(srv, meta.Routes())
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &gamedayCollector{url: hs.URL, inj: inj, ev: meta.Events}
}

func (g *gamedayCollector) session(t *testing.T, w, h int, readOnly bool) *session {
	t.Helper()
	c, err := client.New(g.url)
	require.NoError(t, err)
	cfg := testConfig(stableURL{c})
	cfg.Start = "gameday"
	cfg.ReadOnly = readOnly
	tm := teatest.NewTestModel(t, New(t.Context(), cfg), teatest.WithInitialTermSize(w, h))
	return &session{t: t, tm: tm}
}

// seedInjections starts two injections through the injector itself and
// stops the first.
func (g *gamedayCollector) seedInjections(t *testing.T) {
	t.Helper()
	first, err := g.inj.Start(t.Context(), gameday.Spec{Model: "churn", Feature: "tenure", Kind: gameday.KindNulls, Magnitude: 0.2, Duration: 10 * time.Minute}, "seed")
	require.NoError(t, err)
	_, err = g.inj.Stop(t.Context(), first.ID, "seed")
	require.NoError(t, err)
	_, err = g.inj.Start(t.Context(), gameday.Spec{Model: "fraud", Feature: "amount", Kind: gameday.KindShift, Magnitude: 3, Duration: 5 * time.Minute}, "seed")
	require.NoError(t, err)
}

func TestGamedayView(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		g := newGamedayCollector(t)
		g.seedInjections(t)
		s := g.session(t, w, h, false)
		s.waitFor("1 active · 1 ended", "collector ready")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		lines := strings.Split(screen, "\n")
		assert.Contains(t, lines[2], "fraud", "newest first")
		assert.Contains(t, lines[2], "active")
		assert.Contains(t, lines[3], "stopped")
	})
}

// TestGamedayStartStop starts an injection from the form (after the typed
// confirmation) and stops it, checking the injector's own state each time.
func TestGamedayStartStop(t *testing.T) {
	g := newGamedayCollector(t)
	s := g.session(t, 80, 24, false)
	s.waitFor("no injections yet · n starts one")
	s.keys("n")
	s.waitFor("New injection", "picks from 3 models")
	// Model and feature picked from what the collector has seen:
	// churn, fraud, ranker; then fraud's amount, hour, merchant_category.
	s.ctrl(tea.KeyRight)
	s.ctrl(tea.KeyRight)
	s.keys("tab")
	s.waitFor("picks from 3 features")
	s.ctrl(tea.KeyRight)
	s.keys("tab", "tab")
	s.ctrl(tea.KeyCtrlU)
	s.keys("2", "enter", "enter") // magnitude, then duration 5m: start
	s.waitFor("Inject a fault into fraud?", "Type fraud to confirm")
	require.Empty(t, g.inj.List(t.Context()), "nothing starts before the confirmation")
	s.keys("fraud", "enter")
	s.waitFor("started inj-", "in 5m")

	list := g.inj.List(t.Context())
	require.Len(t, list, 1)
	assert.Equal(t, "fraud", list[0].Model)
	assert.Equal(t, "amount", list[0].Feature)
	assert.Equal(t, gameday.KindShift, list[0].Kind)
	assert.Equal(t, 2.0, list[0].Magnitude)
	assert.Equal(t, clock.Add(5*time.Minute), list[0].EndsAt)
	assert.True(t, list[0].Active)

	s.keys("x")
	s.waitFor("stopped " + list[0].ID)
	require.NoError(t, s.tm.Quit())
	list = g.inj.List(t.Context())
	require.Len(t, list, 1)
	assert.False(t, list[0].Active)
	evs, err := g.ev.Query(t.Context(), events.Filter{Model: "fraud"})
	require.NoError(t, err)
	var kinds []string
	for _, e := range evs {
		if e.Kind == events.KindInjection {
			kinds = append(kinds, string(e.Kind)+":"+e.Action)
		}
	}
	assert.Len(t, kinds, 2, "start and stop are in the event log: %v", kinds)
}

func TestGamedayFormRefusesBadInput(t *testing.T) {
	g := newGamedayCollector(t)
	s := g.session(t, 80, 24, false)
	s.waitFor("no injections yet")
	s.keys("n", "fraud", "tab", "tab") // no feature
	s.ctrl(tea.KeyRight)
	s.ctrl(tea.KeyRight) // kind nulls
	s.keys("tab")
	s.ctrl(tea.KeyCtrlU)
	s.keys("1.5", "enter", "enter")
	s.waitFor("feature is empty (a nulls injection changes one feature)")
	s.keys("amount", "tab", "tab", "enter", "enter")
	s.waitFor("magnitude 1.5: a nulls injection takes a fraction 0..1")
	require.NoError(t, s.tm.Quit())
	assert.Empty(t, g.inj.List(t.Context()))
}

func TestGamedayReadOnly(t *testing.T) {
	g := newGamedayCollector(t)
	g.seedInjections(t)
	s := g.session(t, 80, 24, true)
	s.waitFor("1 active · 1 ended")
	s.keys("n", "x", "?")
	s.waitFor("closes help")
	screen := s.screen()
	assert.NotContains(t, screen, "new injection")
	assert.NotContains(t, screen, "stop selected")
	for _, in := range g.inj.List(t.Context()) {
		if in.Model == "fraud" {
			assert.True(t, in.Active, "read-only stops nothing")
		}
	}
}

func TestGamedayForm(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		g := newGamedayCollector(t)
		s := g.session(t, w, h, false)
		s.waitFor("no injections yet")
		s.keys("n")
		s.waitFor("picks from 3 models")
		s.ctrl(tea.KeyLeft) // wraps to the last: ranker
		s.keys("tab")
		s.waitFor("picks from 0 features") // ranker has no drift scores in the seed
		s.keys("tab")
		s.ctrl(tea.KeyRight)
		s.waitFor("scale: the feature's value is multiplied by magnitude")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		assert.Contains(t, screen, "ranker")
		assert.Contains(t, screen, "[scale]")
	})
}

// An injection that ran its whole duration says how long ago it ended; only
// one stopped before its end says stopped (as `mlectl gameday list` does).
func TestGamedayViewEndedVersusStopped(t *testing.T) {
	g := newGamedayCollector(t)
	clk := fixedNow().Add(-20 * time.Minute)
	inj := gameday.New(gameday.Options{Now: func() time.Time { return clk }})
	g.inj = inj
	mux := http.NewServeMux()
	route.Mount(mux, gameday.NewHandler(inj, gameday.HandlerOptions{}).Routes())
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	g.url = hs.URL
	ran, err := inj.Start(t.Context(), gameday.Spec{Model: "fraud", Feature: "amount", Kind: gameday.KindShift, Magnitude: 3, Duration: 5 * time.Minute}, "seed")
	require.NoError(t, err)
	stopped, err := inj.Start(t.Context(), gameday.Spec{Model: "churn", Feature: "tenure", Kind: gameday.KindNulls, Magnitude: 0.2, Duration: time.Hour}, "seed")
	require.NoError(t, err)
	clk = clk.Add(10 * time.Minute)
	_, err = inj.Stop(t.Context(), stopped.ID, "seed")
	require.NoError(t, err)
	clk = fixedNow()

	s := g.session(t, 120, 24, false)
	s.waitFor("0 active · 2 ended")
	var ranLine, stoppedLine string
	for _, l := range strings.Split(s.screen(), "\n") {
		switch {
		case strings.Contains(l, ran.ID):
			ranLine = l
		case strings.Contains(l, stopped.ID):
			stoppedLine = l
		}
	}
	assert.Contains(t, ranLine, "15m ago", "ended 15 minutes before now: %q", ranLine)
	assert.NotContains(t, ranLine, "stopped")
	assert.Contains(t, stoppedLine, "stopped")
}
