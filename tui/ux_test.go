package tui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
)

// asciiSession is a console with --ascii over the seeded collector.
func asciiSession(t *testing.T, w, h int, start string) *session {
	t.Helper()
	cfg := testConfig(stableURL{collectorClient(t, alertsRecorded)})
	cfg.ASCII = true
	cfg.Start = start
	return &session{t: t, tm: teatest.NewTestModel(t, New(t.Context(), cfg), teatest.WithInitialTermSize(w, h))}
}

func assert7bit(t *testing.T, screen string) {
	t.Helper()
	for _, r := range screen {
		require.Less(t, r, rune(128), "--ascii draws 7-bit characters only: %q", r)
	}
}

// The runbook under --ascii: glamour's ascii style would print **bold**
// markers literally; the console's plain style drops them.
func TestRunbookPlainMarkdownASCII(t *testing.T) {
	s := asciiSession(t, 80, 24, "runbooks")
	s.waitFor("runbooks - enter opens one", "collector ready")
	s.keys("down", "enter")
	s.waitFor("Runbook feature-drift", "STEPS")
	screen := s.screen()
	assert7bit(t, screen)
	assert.NotContains(t, screen, "**")
	assert.Contains(t, screen, "  * ID: feature-drift")
	assert.Contains(t, screen, `(against="baseline")`)
	checkGolden(t, screen, 80, 24)
}

// At 80 columns the model detail's keys and the `:` commands do not fit
// in one row of columns: help wraps them instead of cutting the commands
// off behind an ellipsis.
func TestHelpWrapsAtNarrowWidth(t *testing.T) {
	s := newSession(t, alertsRecorded, 80, 24, "")
	s.waitFor("collector ready", "428ms")
	s.keys("enter")
	s.waitFor("Models › fraud", "production v7")
	s.keys("?")
	s.waitFor("closes help")
	screen := s.screen()
	checkGolden(t, screen, 80, 24)
	for _, want := range []string{"overview/drift/shadow/versions/events", "promote selected version",
		":models", ":alerts", ":query", ":model", ":timeline", ":runbooks", ":gameday", ":incident", ":quit", "esc or ? closes help"} {
		assert.Contains(t, screen, want)
	}
	lines := strings.Split(screen, "\n")
	assert.NotContains(t, strings.Join(lines[:len(lines)-1], "\n"), "…", "no help column is cut off")
}

// Every non-ASCII glyph a console view can draw (any string or rune
// literal in tui/) has a one-column ASCII stand-in under --ascii: the
// shadow tab's "within ±tolerance" and game day's "←/→" once slipped
// through as 8-bit characters.
func TestASCIIGlyphsCoverEveryLiteral(t *testing.T) {
	fset := token.NewFileSet()
	seen := map[rune]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && (lit.Kind == token.STRING || lit.Kind == token.CHAR) {
				for _, r := range lit.Value {
					if r >= 128 {
						seen[r] = fset.Position(lit.Pos()).String()
					}
				}
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, seen)
	for r, where := range seen {
		out := asciiGlyphs.Replace(string(r))
		assert.Len(t, out, 1, "%q (%s) has no one-column ASCII stand-in", r, where)
		if len(out) == 1 {
			assert.Less(t, rune(out[0]), rune(128), "%q (%s)", r, where)
		}
	}
}

// perFeatureAlerts is what the drift rules fire during the demo's
// incident: one FeatureDrift per feature, version and reference.
const perFeatureAlerts = `{"status":"success","data":{"alerts":[
{"labels":{"alertname":"FeatureDrift","model":"demand","severity":"ticket","feature":"temp","version":"v12","against":"baseline"},"annotations":{"runbook":"feature-drift"},"state":"firing","activeAt":"2026-01-01T11:58:00Z","value":"1"},
{"labels":{"alertname":"FeatureDrift","model":"demand","severity":"ticket","feature":"hum","version":"v12","against":"baseline"},"annotations":{"runbook":"feature-drift"},"state":"firing","activeAt":"2026-01-01T11:58:00Z","value":"1"},
{"labels":{"alertname":"FeatureDrift","model":"demand","severity":"ticket","feature":"temp","version":"v13","against":"previous_24h"},"annotations":{"runbook":"feature-drift"},"state":"firing","activeAt":"2026-01-01T11:58:00Z","value":"1"}
]}}`

// The Alerts view folds one model's per-feature alerts into one row per
// feature, versions folded in (they were identical rows, then one row per
// version and reference), and / filters on the feature.
func TestAlertsShowDistinguishingLabels(t *testing.T) {
	target, err := url.Parse(env.urls[alertsCollector])
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	mux.HandleFunc("/api/v1/alerts", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, perFeatureAlerts)
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	c, err := client.New(hs.URL)
	require.NoError(t, err)
	cfg := testConfig(stableURL{c})
	cfg.Start = "alerts"
	s := &session{t: t, tm: teatest.NewTestModel(t, New(t.Context(), cfg), teatest.WithInitialTermSize(80, 24))}
	s.waitFor("2 firing", "collector ready")
	s.keys("/", "temp", "enter")
	s.waitFor("/temp")
	screen := s.screen()
	rows := screen[strings.Index(screen, "STATE"):]
	assert.Contains(t, rows, "FeatureDrift temp", "the feature is shown")
	assert.Contains(t, rows, "v12 v13", "both versions on one row")
	assert.NotContains(t, rows, "hum", "the filter matches the feature label")

	// "NAME MODEL" still filters (make e2e types "FeatureDrift demand").
	s = &session{t: t, tm: teatest.NewTestModel(t, New(t.Context(), cfg), teatest.WithInitialTermSize(80, 24))}
	s.waitFor("2 firing", "collector ready")
	s.keys("/", "FeatureDrift demand", "enter")
	s.waitFor("/FeatureDrift demand")
	screen = s.screen()
	rows = screen[strings.Index(screen, "STATE"):]
	assert.Contains(t, rows, "FeatureDrift hum")
	assert.Contains(t, rows, "FeatureDrift temp")
}

// An export into a directory that does not exist says so, instead of the
// atomic writer's temporary file name (it used to say "routing file").
func TestTimelineExportMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	s := openCommand(t, 160, 48, "timeline fraud", "· fraud · newest first")
	s.keys("e")
	s.waitFor("export to:")
	s.ctrl(tea.KeyCtrlU)
	s.keys(filepath.Join(dir, "tl.md"), "enter")
	s.waitFor("export failed: directory " + dir + " does not exist")
	screen := s.screen()
	assert.NotContains(t, screen, "routing file")
	assert.NotContains(t, screen, ".tmp-")
	_, err := os.Stat(dir)
	assert.ErrorIs(t, err, fs.ErrNotExist, "nothing was created")
}

// Under --ascii the arrow keys are spelled out in help and hints: their
// one-column stand-ins read "v/j down" and "tab/v next field", as if v
// were the key.
func TestASCIIArrowKeyNames(t *testing.T) {
	t.Run("help", func(t *testing.T) {
		s := asciiSession(t, 80, 24, "")
		s.waitFor("collector ready", "428ms")
		s.keys("?")
		s.waitFor("closes help")
		screen := s.screen()
		assert7bit(t, screen)
		assert.Contains(t, screen, "up/k")
		assert.Contains(t, screen, "down/j")
		assert.NotContains(t, screen, "v/j")
		checkGolden(t, screen, 80, 24)
	})
	t.Run("game day form", func(t *testing.T) {
		g := newGamedayCollector(t)
		c, err := client.New(g.url)
		require.NoError(t, err)
		cfg := testConfig(stableURL{c})
		cfg.Start, cfg.ASCII = "gameday", true
		s := &session{t: t, tm: teatest.NewTestModel(t, New(t.Context(), cfg), teatest.WithInitialTermSize(80, 24))}
		s.waitFor("no injections yet")
		s.keys("n")
		s.waitFor("left/right picks from 3 models")
		screen := s.screen()
		assert7bit(t, screen)
		assert.Contains(t, screen, "tab/down next field")
		assert.Contains(t, screen, "left/right pick a value | enter start | esc cancel", "the whole form footer fits 80 columns")
	})
}

// At the minimum size with deep breadcrumbs, the header cuts the crumbs,
// not the collector's health and the data age.
func TestHeaderKeepsHealthAtMinimumSize(t *testing.T) {
	s := newSession(t, alertsRecorded, MinWidth, MinHeight, "alerts")
	s.waitFor("collector ready", "2 firing")
	s.keys("r") // the alert's runbook, a level deeper
	s.waitFor("no runbook matches this ale")
	screen := s.screen()
	checkGolden(t, screen, MinWidth, MinHeight)
	header := strings.Split(screen, "\n")[0]
	assert.True(t, strings.HasSuffix(header, "collector ready · data 0s"), "header %q", header)
	assert.True(t, strings.HasPrefix(header, "… › "), "cut from the left: %q", header)
	assert.Contains(t, header, "Runbook runbooks/error-rate.md ", "the view on screen keeps its name")
}

// At 80 columns the drift tab keeps VERSION (METHOD goes first): without
// it a shadow version's rows looked like duplicates of production's.
func TestDriftTabKeepsVersionAt80(t *testing.T) {
	s := newSession(t, alertsRecorded, 80, 24, "")
	s.waitFor("collector ready", "428ms")
	s.keys(":", "model fraud", "enter")
	s.waitFor("production v7", "data at 12:00:00")
	s.keys("2")
	s.waitFor("[2 drift]", "amount")
	screen := s.screen()
	lines := strings.Split(screen, "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "FEATURE") })
	require.GreaterOrEqual(t, i, 0)
	assert.Contains(t, lines[i], "VERSION")
	assert.Contains(t, lines[i+1], "v7")
}

// `/` in the Query view filters the result's series (it opened a filter
// prompt that did nothing); esc on the filter brings them back.
func TestQueryFilter(t *testing.T) {
	s := newSession(t, alertsRecorded, 80, 24, "query")
	s.waitFor("collector ready")
	s.keys(queryText, "enter")
	s.waitFor("vector · 3 series")
	s.keys("esc", "/", "fraud", "enter") // leave the input, then filter
	s.waitFor("Query › /fraud")
	screen := s.screen()
	assert.Contains(t, screen, `{model="fraud"}`)
	assert.NotContains(t, screen, `{model="ranker"}`)
	assert.NotContains(t, screen, `{model="churn"}`)
}

// `/` in an open runbook searches it: the text scrolls to the first line
// holding the words (the filter applied to the hidden list only).
func TestRunbookSearch(t *testing.T) {
	s := openCommand(t, 80, 24, "runbooks feature-drift", "STEPS", "0% · 5 steps")
	s.keys("/", "decision", "enter")
	s.waitFor("Runbook feature-drift › /decision")
	screen := s.screen()
	lines := strings.Split(screen, "\n")
	assert.Contains(t, lines[1], "## Decision", "the first body line is the match")
	assert.NotContains(t, screen, "## What fired")
}

// With the collector down, the models view says so in the operator's
// words, and the Alerts view does not claim there are no alerts.
func TestCollectorDownWording(t *testing.T) {
	hs := httptest.NewServer(http.NotFoundHandler())
	host := hs.Listener.Addr().String()
	hs.Close()
	c, err := client.New("http://" + host)
	require.NoError(t, err)
	s := &session{t: t, tm: teatest.NewTestModel(t, New(t.Context(), testConfig(stableURL{c})), teatest.WithInitialTermSize(100, 24))}
	s.waitFor("no data: collector " + host + " unreachable: connect: connection refused")
	s.keys(":", "alerts", "enter")
	s.waitFor("no alerts to show: the fetch failed")
	screen := s.screen()
	assert.NotContains(t, screen, "no pending or firing alerts")
	assert.NotContains(t, screen, "dial tcp")
	assert.NotContains(t, screen, "collector: collector")
}

// A query opened from elsewhere (a runbook step, `:query EXPR`, a drill
// down) or typed anew drops the / filter of the earlier one: it kept
// "fraud" and said "no series matches" over the new result's series.
func TestNewQueryClearsFilter(t *testing.T) {
	tests := []struct {
		name string
		run  func(s *session)
	}{
		{"a : command", func(s *session) { s.keys(":", "query "+otherQuery, "enter") }},
		{"typed in the view", func(s *session) {
			s.keys("i")
			s.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlU})
			s.keys(otherQuery, "enter")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t, alertsRecorded, 80, 24, "query")
			s.waitFor("collector ready")
			s.keys(queryText, "enter")
			s.waitFor("vector · 3 series")
			s.keys("esc", "/", "fraud", "enter")
			s.waitFor("Query › /fraud")
			tc.run(s)
			s.waitFor("vector · 2 series")
			screen := s.screen()
			assert.NotContains(t, screen, "/fraud", "the filter went with the earlier query")
			assert.Contains(t, screen, `ranker`)
		})
	}
}

const otherQuery = `sum by (model) (rate(mle_predictions_total{model=~"ranker|churn"}[5m]))`
