package models

import (
	"context"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/tsdb"
)

// recordedSLO is what the rule engine records for one Sloth SLO: its
// error budget, its period in days (0: none recorded) and its SLI error
// ratio per window.
type recordedSLO struct {
	service, slo string
	budget       float64
	periodDays   float64
	ratios       map[string]float64 // sloth_window → error ratio
}

// TestBurnOverTheSLOHour: BURN is each SLO's burn rate over its period's
// hour (period/720), read from a real collector holding what the
// recording rules record. The demo's first seconds read 1.6x BURN from
// its 30-s window (Sloth's current burn rate), four errors among ~600
// requests, where its 5-m window — the demo's hour, ~7,000 requests —
// says 0.6x. PAGE is the page alert's quick condition: the hour and the
// short window both over 14.4; after a rollback the page ends while the
// hour still holds the incident, and the column says BURN.
func TestBurnOverTheSLOHour(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		slos      []recordedSLO
		wantBurn  float64 // NaN: a dash
		wantState string
	}{
		{
			name: "demand", // the demo: 60h period, windows ÷12, no 1h
			slos: []recordedSLO{
				{service: "demand", slo: "availability", budget: 0.005, periodDays: 2.5, ratios: map[string]float64{
					"30s": 0.008, "2m": 0.0035, "5m": 0.003, "10m": 0.0031, "30m": 0.003, "2h": 0.003, "6h": 0.003, "2d12h": 0.003}},
				{service: "demand", slo: "latency-100ms", budget: 0.01, periodDays: 2.5, ratios: map[string]float64{
					"30s": 0, "2m": 0.001, "5m": 0.003, "10m": 0.003, "2d12h": 0.001}},
			},
			wantBurn: 0.6, wantState: "OK",
		},
		{
			name: "paging", // the demo's incident: slow over the hour and right now
			slos: []recordedSLO{{service: "paging", slo: "latency-100ms", budget: 0.01, periodDays: 2.5, ratios: map[string]float64{
				"30s": 0.98, "2m": 0.9, "5m": 0.2, "2d12h": 0.001}}},
			wantBurn: 20, wantState: "PAGE",
		},
		{
			name: "recovered", // a minute after the rollback: the page has ended, the hour still holds the incident
			slos: []recordedSLO{{service: "recovered", slo: "latency-100ms", budget: 0.01, periodDays: 2.5, ratios: map[string]float64{
				"30s": 0.003, "2m": 0.3, "5m": 0.279, "2d12h": 0.002}}},
			wantBurn: 27.9, wantState: "BURN",
		},
		{
			name: "fraud", // the Workbook's 30d windows: 1h, not the 5-m current burn
			slos: []recordedSLO{{service: "fraud", slo: "availability", budget: 0.001, periodDays: 30, ratios: map[string]float64{
				"5m": 0.02, "30m": 0.004, "1h": 0.0005, "2h": 0.0004, "6h": 0.0003, "30d": 0.0002}}},
			wantBurn: 0.5, wantState: "OK",
		},
		{
			name: "ranker", // a fast burn over the hour pages
			slos: []recordedSLO{{service: "ranker", slo: "availability", budget: 0.001, periodDays: 30, ratios: map[string]float64{
				"5m": 0.03, "1h": 0.02, "30d": 0.001}}},
			wantBurn: 20, wantState: "PAGE",
		},
		{
			name: "churn", // no period recorded (hand-written rules): 1h
			slos: []recordedSLO{{service: "churn", slo: "availability", budget: 0.01, ratios: map[string]float64{
				"5m": 0.05, "1h": 0.02}}},
			wantBurn: 2, wantState: "BURN",
		},
		{
			name: "search", // only windows shorter than its hour: no figure
			slos: []recordedSLO{{service: "search", slo: "availability", budget: 0.01, periodDays: 30, ratios: map[string]float64{
				"5m": 0.05, "30d": 0.001}}},
			wantBurn: math.NaN(), wantState: "",
		},
	}
	var slos []recordedSLO
	for _, tc := range tests {
		slos = append(slos, tc.slos...)
	}
	api := sloCollector(t, at, slos)
	snap := Fetch(context.Background(), api, at)
	require.Empty(t, snap.Errs)
	require.True(t, snap.SLOConfigured)
	byName := map[string]Model{}
	for _, m := range snap.Models {
		byName[m.Name] = m
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := byName[tc.name]
			require.True(t, ok)
			if math.IsNaN(tc.wantBurn) {
				assert.True(t, math.IsNaN(m.Burn1h), "got %v", m.Burn1h)
			} else {
				assert.InDelta(t, tc.wantBurn, m.Burn1h, 1e-6)
			}
			assert.Equal(t, tc.wantState, SLOState(m))
		})
	}
}

// sloCollector serves the SLOs' recordings (and one prediction series per
// service, so each is a model) from a real collector on loopback.
func sloCollector(t *testing.T, at time.Time, slos []recordedSLO) *client.Client {
	t.Helper()
	db, err := tsdb.Open(t.TempDir(), tsdb.Options{Now: func() time.Time { return at }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	app := db.Appender(context.Background())
	for ts := at.Add(-2 * time.Minute); !ts.After(at); ts = ts.Add(15 * time.Second) {
		add := func(v float64, kv ...string) {
			_, err := app.Append(0, labels.FromStrings(kv...), ts.UnixMilli(), v)
			require.NoError(t, err)
		}
		for _, s := range slos {
			id := s.service + "-" + s.slo
			slo := []string{"sloth_id", id, "sloth_service", s.service, "sloth_slo", s.slo}
			add(float64(ts.Sub(at.Add(-time.Hour))/time.Second), "__name__", "mle_predictions_total", "model", s.service, "version", "v1", "role", "production", "status", "ok")
			add(s.budget, append([]string{"__name__", "slo:error_budget:ratio"}, slo...)...)
			if s.periodDays > 0 {
				add(s.periodDays, append([]string{"__name__", "slo:time_period:days"}, slo...)...)
			}
			var shortest model.Duration
			for w, r := range s.ratios {
				add(r, append([]string{"__name__", "slo:sli_error:ratio_rate" + w, "sloth_window", w}, slo...)...)
				d, err := model.ParseDuration(w)
				require.NoError(t, err)
				if shortest == 0 || d < shortest {
					shortest = d
				}
			}
			// Sloth's current burn rate: the shortest window's.
			add(s.ratios[shortest.String()]/s.budget, append([]string{"__name__", "slo:current_burn_rate:ratio"}, slo...)...)
		}
	}
	require.NoError(t, app.Commit())
	srv, err := collector.New(collector.Config{Version: "test"}, db, nil)
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	c, err := client.New(hs.URL)
	require.NoError(t, err)
	return c
}
