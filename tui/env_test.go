package tui

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/tsdb"
)

// clock is the fixed "now" of every console test: seeded data ends here
// and ages are measured from here.
var clock = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return clock }

// alertsMode decides what /api/v1/alerts answers: the collector's own
// (empty, it has no rule engine yet), recorded alerts, or 404.
type alertsMode int

const (
	alertsCollector alertsMode = iota
	alertsRecorded
	alertsAbsent
	// alertsIncident: fraud's drift incident, on production v6 and
	// shadow v7, with an error-rate page (testdata/alerts_incident.json).
	alertsIncident
)

// seededModel describes the traffic one model gets in the seed.
type seededModel struct {
	name     string
	versions map[string]string // version → role
	okRate   float64           // non-shadow ok predictions/s, split over prod versions
	errRate  float64
	// cumulative latency bucket rates (le → per second), nil for none
	buckets map[string]float64
	drift   float64 // NaN for none
	slo     *seededSLO
}

// seededSLO is an availability SLO's recording-rule output.
type seededSLO struct {
	objective, errRatio1h, budgetLeft float64
}

var seed = []seededModel{
	{
		name: "fraud", versions: map[string]string{"v7": "prod", "v8": "shadow"},
		okRate: 40, errRate: 3,
		buckets: map[string]float64{"0.05": 10, "0.1": 25, "0.25": 38, "0.5": 42, "1": 43, "+Inf": 43},
		drift:   0.12,
		slo:     &seededSLO{objective: 0.999, errRatio1h: 0.0698, budgetLeft: 0.2},
	},
	{
		name: "churn", versions: map[string]string{"v3": "prod"},
		okRate: 12, errRate: 0.1,
		buckets: map[string]float64{"0.05": 11, "0.1": 12, "0.25": 12.1, "+Inf": 12.1},
		drift:   0.45,
	},
	{
		name: "ranker", versions: map[string]string{"v12": "prod", "v13": "prod"},
		okRate: 120, errRate: 0,
		buckets: map[string]float64{"0.01": 60, "0.025": 110, "0.05": 119, "+Inf": 120},
		drift:   0.1,
		slo:     &seededSLO{objective: 0.999, errRatio1h: 0.0002, budgetLeft: 0.97},
	},
	{name: "recsys-embeddings-2026", drift: 0.05},
	// An SLO whose service matches no model must not invent a row.
	{name: "checkout", drift: math.NaN(), slo: &seededSLO{objective: 0.99, errRatio1h: 0.5, budgetLeft: 0}},
}

// seedDB writes 90 minutes of 15s samples ending at clock through the
// storage appender, the same path remote write takes.
func seedDB(db *tsdb.DB, models []seededModel) error {
	const step = 15 * time.Second
	start := clock.Add(-90 * time.Minute)
	total := clock.Sub(start).Seconds()
	app := db.Appender(context.Background())
	var err error
	for ts := start; !ts.After(clock) && err == nil; ts = ts.Add(step) {
		elapsed := ts.Sub(start).Seconds()
		ms := ts.UnixMilli()
		add := func(v float64, kv ...string) {
			if err == nil {
				_, err = app.Append(0, labels.FromStrings(kv...), ms, v)
			}
		}
		for mi, m := range models {
			// Traffic swings ±30% over an hour, each model in its own
			// phase; counters hold the integral of that rate, so rate()
			// sees a smooth wave and ratios (error share, quantiles) stay
			// exact.
			const period = 3600.0
			phase := float64(mi) * period / 4
			wave := elapsed + 0.3*period/(2*math.Pi)*(math.Cos(2*math.Pi*phase/period)-math.Cos(2*math.Pi*(elapsed+phase)/period))
			var prod []string
			for v, role := range m.versions {
				if role == "prod" {
					prod = append(prod, v)
				}
			}
			for v, role := range m.versions {
				share := 1.0
				if role == "prod" {
					share = 1 / float64(len(prod))
				}
				add(m.okRate*share*wave, "__name__", "mle_predictions_total", "model", m.name, "version", v, "role", role, "status", "ok")
				add(m.errRate*share*wave, "__name__", "mle_predictions_total", "model", m.name, "version", v, "role", role, "status", "error")
				for le, r := range m.buckets {
					add(r*share*wave, "__name__", "mle_inference_latency_seconds_bucket", "model", m.name, "version", v, "role", role, "le", le)
				}
			}
			if m.slo != nil {
				// What the rule engine records for an `mlectl slo` spec.
				id := m.name + "-availability"
				add(m.slo.errRatio1h, "__name__", "slo:sli_error:ratio_rate1h", "sloth_id", id, "sloth_service", m.name, "sloth_slo", "availability", "sloth_window", "1h")
				add(1-m.slo.objective, "__name__", "slo:error_budget:ratio", "sloth_id", id, "sloth_service", m.name, "sloth_slo", "availability")
				add(m.slo.budgetLeft, "__name__", "slo:period_error_budget_remaining:ratio", "sloth_id", id, "sloth_service", m.name, "sloth_slo", "availability")
			}
			if !math.IsNaN(m.drift) {
				// Drift creeps up over the window to its final value.
				add(m.drift*(0.6+0.4*elapsed/total), "__name__", "mle_dataset_drift_share", "model", m.name, "dataset", "live")
			}
		}
	}
	if err != nil {
		_ = app.Rollback()
		return fmt.Errorf("seeding: %w", err)
	}
	return app.Commit()
}

// env is one real collector over a real badger-backed TSDB, seeded once
// for the whole package (the tests only read), served on loopback three
// ways that differ only in /api/v1/alerts.
var env struct {
	urls map[alertsMode]string
	db   *tsdb.DB
}

func TestMain(m *testing.M) {
	code, err := runWithCollector(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "console tests:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runWithCollector(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "mlectl-tui-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	db, err := tsdb.Open(dir, tsdb.Options{Now: fixedNow})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := seedDB(db, seed); err != nil {
		return 0, err
	}
	if err := seedModelSeries(db); err != nil {
		return 0, err
	}
	if err := seedOverviewSeries(db); err != nil {
		return 0, err
	}
	srv, err := collector.New(collector.Config{Version: "test"}, db, nil)
	if err != nil {
		return 0, err
	}
	// The registry and event log, read-only for the shared collector
	// (default auth: reads open, writes refused); see newWritable.
	meta, err := openMeta(context.Background(), dir, auth.Config{})
	if err != nil {
		return 0, err
	}
	defer meta.Close()
	route.Mount(srv, meta.Routes())
	closeBaselines, err := mountBaselines(context.Background(), dir, srv)
	if err != nil {
		return 0, err
	}
	defer closeBaselines()
	env.db = db
	recorded, err := os.ReadFile(filepath.Join("testdata", "alerts.json"))
	if err != nil {
		return 0, err
	}
	incident, err := os.ReadFile(filepath.Join("testdata", "alerts_incident.json"))
	if err != nil {
		return 0, err
	}
	env.urls = map[alertsMode]string{}
	for _, mode := range []alertsMode{alertsCollector, alertsRecorded, alertsAbsent, alertsIncident} {
		mux := http.NewServeMux()
		mux.Handle("/", srv.Handler())
		switch mode {
		case alertsRecorded:
			mux.HandleFunc("/api/v1/alerts", func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(recorded)
			})
		case alertsAbsent:
			mux.Handle("/api/v1/alerts", http.NotFoundHandler())
		case alertsIncident:
			mux.HandleFunc("/api/v1/alerts", func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(incident)
			})
		}
		hs := httptest.NewServer(mux)
		defer hs.Close()
		env.urls[mode] = hs.URL
	}
	return m.Run(), nil
}

// collectorClient returns a client for the shared collector.
func collectorClient(t testing.TB, mode alertsMode) *client.Client {
	t.Helper()
	c, err := client.New(env.urls[mode])
	require.NoError(t, err)
	return c
}

// asciiRenderer renders without colour, as --ascii and NO_COLOR do, so
// goldens are plain text.
func asciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(os.Stdout)
	r.SetColorProfile(termenv.Ascii)
	return r
}

// testConfig is the console configuration tests use: fixed clock, no
// background refresh within a test's lifetime.
func testConfig(api API) Config {
	return Config{API: api, Renderer: asciiRenderer(), Now: fixedNow, Refresh: time.Hour}
}

// stableURL keeps the random loopback port out of goldens.
type stableURL struct{ *client.Client }

func (stableURL) URL() string { return "http://collector.test:9710" }

func sizeMsg(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

func tabKey() tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyTab} }
