package tui

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/runbooks"
	"github.com/mlectl/mlectl/timeline"
	tltui "github.com/mlectl/mlectl/tui/timeline"
)

// writableSession drives a console over a writable collector.
func writableSession(t *testing.T, w *writable, token string, width, height int, mut func(*Config)) *session {
	t.Helper()
	cfg := testConfig(w.client(t, token))
	if mut != nil {
		mut(&cfg)
	}
	tm := teatest.NewTestModel(t, New(t.Context(), cfg), teatest.WithInitialTermSize(width, height))
	return &session{t: t, tm: tm}
}

func (s *session) ctrl(k tea.KeyType) { s.tm.Send(tea.KeyMsg{Type: k}) }

func TestRunbooksList(t *testing.T) {
	lib, err := runbooks.Default()
	require.NoError(t, err)
	eachSize(t, func(t *testing.T, w, h int) {
		s := openCommand(t, w, h, "runbooks", "runbooks · enter opens one")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		// Every shipped runbook is listed, in ID order.
		lines := strings.Split(screen, "\n")
		all := lib.All()
		require.GreaterOrEqual(t, len(lines), len(all)+2)
		for i, rb := range all {
			assert.Contains(t, lines[2+i], rb.ID)
		}
	})
}

func TestRunbookDetail(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		s := openCommand(t, w, h, "runbooks", "runbooks · enter opens one")
		s.keys("down", "enter") // error-rate-slo-burn, then feature-drift
		s.waitFor("Runbook feature-drift", "Feature drift on a production model", "STEPS")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		assert.Contains(t, screen, "5. Roll back if a recent version change caused it", "the rollback step is listed")
		assert.Contains(t, screen, "[rollback]")
		assert.Contains(t, screen, "r run")
	})
}

func TestRunbookScrollAndBack(t *testing.T) {
	s := openCommand(t, 80, 24, "runbooks", "runbooks · enter opens one")
	s.keys("down", "enter")
	s.waitFor("STEPS", "0% · 5 steps")
	s.keys("f") // a page down
	s.waitFor("What to check")
	s.keys("G") // the end: the steps as the CLI runs them
	s.waitFor("--step 5 --set model=", "100% · 5 steps")
	s.keys("esc") // back to the list, not to Models
	s.waitFor("mlectl › Runbooks ")
	screen := s.screen()
	assert.Contains(t, screen, "training-serving-skew")
}

func TestRunbookReadOnlyHidesRun(t *testing.T) {
	api := stableURL{collectorClient(t, alertsRecorded)}
	cfg := testConfig(api)
	cfg.ReadOnly = true
	cfg.Start = "runbooks"
	tm := teatest.NewTestModel(t, New(t.Context(), cfg), teatest.WithInitialTermSize(80, 24))
	s := &session{t: t, tm: tm}
	s.waitFor("runbooks · enter opens one")
	s.keys("down", "enter")
	s.waitFor("STEPS  n/p select")
	s.keys("r")
	s.keys("?")
	s.waitFor("closes help")
	screen := s.screen()
	assert.NotContains(t, screen, "run step")
	assert.NotContains(t, screen, "confirm")
}

// TestRunbookStepRollback runs the feature-drift runbook's rollback step
// from the console against a real registry: the model is asked for, a
// wrong name is refused, the right one rolls fraud back to v6.
func TestRunbookStepRollback(t *testing.T) {
	w := newWritable(t)
	s := writableSession(t, w, adminToken, 80, 24, nil)
	s.waitFor("collector ready")
	s.keys(":", "runbooks feature-drift", "enter")
	s.waitFor("Runbook feature-drift", "STEPS")
	s.keys("r")
	s.waitFor("value for ${model}")
	s.keys("fraud", "enter")
	s.waitFor("Rollback fraud: v7 → v6?", "Type fraud to confirm")
	s.keys("churn", "enter")
	s.waitFor("does not match fraud; nothing was done")

	meta, err := client.New(w.url, client.WithToken(adminToken))
	require.NoError(t, err)
	st, err := meta.Model(t.Context(), "fraud")
	require.NoError(t, err)
	assert.Equal(t, "v7", st.Production, "a mismatched confirmation changes nothing")

	for range len("churn") {
		s.ctrl(tea.KeyBackspace)
	}
	s.keys("fraud", "enter")
	s.waitFor("step 5 (rollback): rollback fraud → v6")
	require.NoError(t, s.tm.Quit())

	st, err = meta.Model(t.Context(), "fraud")
	require.NoError(t, err)
	assert.Equal(t, "v6", st.Production)
	evs, err := meta.Events(t.Context(), client.EventFilter{Model: "fraud", Kinds: []events.Kind{events.KindRunbookStep}})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "feature-drift", evs[0].Labels["runbook"])
	assert.Equal(t, "alice", evs[0].Actor, "the step ran with the console's token")
}

// TestRunbookStepRollbackPicksTarget: the rollback step's dialog offers
// the registry's targets, its default (the previous production version)
// first, and rolls back to the one picked, behind the typed model name,
// as the model view's rollback and `mlectl rollback --to` do.
func TestRunbookStepRollbackPicksTarget(t *testing.T) {
	w := newWritable(t)
	s := writableSession(t, w, adminToken, 80, 24, nil)
	s.waitFor("collector ready")
	s.keys(":", "runbooks feature-drift", "enter")
	s.waitFor("Runbook feature-drift", "STEPS")
	s.keys("r")
	s.waitFor("value for ${model}")
	s.keys("fraud", "enter")
	s.waitFor("Rollback fraud: v7 → v6?", "v6 (previous production)", "v8 (shadow)")
	s.tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	s.waitFor("Rollback fraud: v7 → v8?", "will roll fraud back from v7 to v8")
	s.keys("fraud", "enter")
	s.waitFor("step 5 (rollback): rollback fraud → v8")
	require.NoError(t, s.tm.Quit())

	meta, err := client.New(w.url, client.WithToken(adminToken))
	require.NoError(t, err)
	st, err := meta.Model(t.Context(), "fraud")
	require.NoError(t, err)
	assert.Equal(t, "v8", st.Production, "the picked target serves, not the previous production v6")
}

func TestTimelineView(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		s := openCommand(t, w, h, "timeline", "events · last 24h")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		lines := strings.Split(screen, "\n")
		assert.Contains(t, lines[2], "12:00:00", "newest first: the seed's promotion at the clock")
		assert.Contains(t, screen, "deployed fraud v7")
	})
}

func TestTimelineModelFilter(t *testing.T) {
	s := openCommand(t, 80, 24, "timeline churn", "Timeline churn", "· churn · newest first")
	screen := s.screen()
	assert.Contains(t, screen, "churn is fine")
	assert.NotContains(t, screen, "fraud")
}

// TestTimelineExport writes both formats from the console and checks each
// file against the timeline package's own export of the same events, read
// back from the JSON file and fetched independently from the collector.
func TestTimelineExport(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"tl.json", "tl.md"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			s := openCommand(t, 160, 48, "timeline fraud", "· fraud · newest first")
			s.keys("e")
			s.waitFor("export to: ./timeline-20260101T120000Z.md")
			s.ctrl(tea.KeyCtrlU)
			s.keys(path, "enter")
			s.waitFor("wrote " + path)
			require.NoError(t, s.tm.Quit())
			got, err := os.ReadFile(path)
			require.NoError(t, err)

			meta, err := client.New(env.urls[alertsRecorded])
			require.NoError(t, err)
			from, to := clock.Add(-tltui.Window), clock
			fetched, err := meta.Events(t.Context(), client.EventFilter{Model: "fraud", From: from, To: to.Add(time.Millisecond)})
			require.NoError(t, err)
			require.NotEmpty(t, fetched)
			want := timeline.Build("fraud", from, to, fetched)
			want.GeneratedAt = clock
			if name == "tl.json" {
				var parsed struct {
					Model  string         `json:"model"`
					Events []events.Event `json:"events"`
				}
				require.NoError(t, json.Unmarshal(got, &parsed))
				assert.Equal(t, "fraud", parsed.Model)
				require.Len(t, parsed.Events, len(fetched))
				for i := range fetched {
					assert.Equal(t, fetched[i].ID, parsed.Events[i].ID)
				}
				again := timeline.Build(parsed.Model, from, to, parsed.Events)
				again.GeneratedAt = clock
				b, err := again.JSON()
				require.NoError(t, err)
				assert.Equal(t, string(b), string(got), "the file is the timeline package's export of its own events")
			}
			b, err := want.Export(timeline.FormatOf(path))
			require.NoError(t, err)
			assert.Equal(t, string(b), string(got))
			assert.Contains(t, string(got), "deployed fraud v7")
		})
	}
}

func TestGamedayNotConfigured(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		s := openCommand(t, w, h, "gameday", "not configured")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		assert.NotContains(t, screen, "new injection")
	})
}

// At the minimum size (60x12) the game-day "not configured" reason wraps
// at word boundaries instead of losing its end.
func TestGamedayNotConfiguredMinWidth(t *testing.T) {
	s := openCommand(t, MinWidth, MinHeight, "gameday", "not configured")
	screen := s.screen()
	checkGolden(t, screen, MinWidth, MinHeight)
	assert.NotContains(t, screen, "…", "nothing is cut")
	assert.Contains(t, strings.Join(strings.Fields(screen), " "),
		"not configured: the collector does not serve /api/v1/gameday/injections yet.", "the whole reason shows")
}

func TestRunbookDetailASCII(t *testing.T) {
	api := stableURL{collectorClient(t, alertsRecorded)}
	cfg := testConfig(api)
	cfg.ASCII = true
	tm := teatest.NewTestModel(t, New(t.Context(), cfg), teatest.WithInitialTermSize(80, 24))
	s := &session{t: t, tm: tm}
	s.waitFor("collector ready")
	s.keys(":", "runbooks feature-drift", "enter")
	s.waitFor("Runbook feature-drift", "STEPS")
	s.keys("G")
	s.waitFor("100% - 5 steps")
	screen := s.screen()
	for _, r := range screen {
		require.Less(t, r, rune(128), "--ascii draws 7-bit characters only: %q", r)
	}
}

// TestRunbookQueryStepOpensQuery runs a query step: the values it needs are
// asked for, the collector expands the query and records the step, and the
// Query view opens on the expanded expression.
func TestRunbookQueryStepOpensQuery(t *testing.T) {
	w := newWritable(t)
	s := writableSession(t, w, adminToken, 120, 30, nil)
	s.waitFor("collector ready")
	s.keys(":", "runbooks feature-drift", "enter")
	s.waitFor("STEPS")
	s.keys("p", "p", "p", "p", "r") // step 1
	s.waitFor("value for ${model}")
	s.keys("fraud", "enter")
	s.waitFor("value for ${version}")
	s.keys("v7", "enter")
	s.waitFor(`mle_feature_drift_score{model="fraud", version="v7"}`, "Runbook feature-drift › Query")
	require.NoError(t, s.tm.Quit())
	meta, err := client.New(w.url, client.WithToken(adminToken))
	require.NoError(t, err)
	evs, err := meta.Events(t.Context(), client.EventFilter{Kinds: []events.Kind{events.KindRunbookStep}})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "1", evs[0].Labels["step"])
	assert.Equal(t, "feature-drift", evs[0].Labels["runbook"])
}

// On a collector without the metadata API, the runbook and timeline views
// say so instead of showing anything.
func TestRunbooksTimelineNotConfigured(t *testing.T) {
	srv, err := collector.New(collector.Config{Version: "test"}, env.db, nil)
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	c, err := client.New(hs.URL)
	require.NoError(t, err)
	for view, want := range map[string]string{
		"runbooks": "runbooks: not configured (the collector does not serve /api/v1/runbooks)",
		"timeline": "timeline: not configured (the collector does not serve /api/v1/events)",
	} {
		cfg := testConfig(stableURL{c})
		cfg.Start = view
		tm := teatest.NewTestModel(t, New(t.Context(), cfg), teatest.WithInitialTermSize(100, 24))
		s := &session{t: t, tm: tm}
		s.waitFor(want, "collector ready")
		require.NoError(t, s.tm.Quit())
	}
}
