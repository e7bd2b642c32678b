package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/store"
)

// gamedayCollector serves the prediction log with the injector in front of
// it and the game-day API (no auth, as in the demo), on loopback.
func gamedayCollector(t *testing.T) (string, *store.Store) {
	t.Helper()
	lg, err := store.Open(t.TempDir(), store.Options{})
	require.NoError(t, err)
	inj := gameday.New(gameday.Options{})
	h, err := api.New(context.Background(), api.Config{Log: lg, Transformers: []api.Transformer{inj}})
	require.NoError(t, err)
	mux := http.NewServeMux()
	h.Mount(mux)
	route.Mount(mux, gameday.NewHandler(inj, gameday.HandlerOptions{}).Routes())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); _ = lg.Close() })
	return srv.URL, lg
}

func TestGamedayCLIBadInput(t *testing.T) {
	csv := filepath.Join(t.TempDir(), "rows.csv")
	require.NoError(t, os.WriteFile(csv, []byte("temp,hum\n0.2,0.5\n"), 0o600))
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"gameday"}, "missing subcommand"},
		{"unknown subcommand", []string{"gameday", "melt"}, "unknown gameday subcommand"},
		{"no model", []string{"gameday", "inject", "--kind", "shift", "--feature", "t", "--magnitude", "3", "--duration", "5m"}, "want exactly one MODEL"},
		{"unknown kind", []string{"gameday", "inject", "m", "--kind", "melt", "--feature", "t", "--magnitude", "3", "--duration", "5m"}, "--kind: must be one of"},
		{"no magnitude", []string{"gameday", "inject", "m", "--kind", "shift", "--feature", "t", "--duration", "5m"}, "--magnitude is required"},
		{"bad magnitude", []string{"gameday", "inject", "m", "--kind", "shift", "--feature", "t", "--magnitude", "lots", "--duration", "5m"}, "invalid value"},
		{"fraction too big", []string{"gameday", "inject", "m", "--kind", "nulls", "--feature", "t", "--magnitude", "3", "--duration", "5m"}, "--magnitude: is the fraction"},
		{"bad duration", []string{"gameday", "inject", "m", "--kind", "shift", "--feature", "t", "--magnitude", "3", "--duration", "soon"}, "--duration:"},
		{"no feature", []string{"gameday", "inject", "m", "--kind", "shift", "--magnitude", "3", "--duration", "5m"}, "--feature: is required"},
		{"stop without id", []string{"gameday", "stop"}, "want exactly one injection ID"},
		{"run without file", []string{"gameday", "run"}, "want exactly one SCENARIO.yaml"},
		{"run missing file", []string{"gameday", "run", "/nonexistent/s.yaml"}, "read scenario"},
		{"run bad format", []string{"gameday", "run", "x.yaml", "-o", "pdf"}, "-o must be md or json"},
		{"run poll too short", []string{"gameday", "run", "x.yaml", "--poll", "1ms"}, "--poll must be at least 100ms"},
		{"loadgen no rate", []string{"loadgen", "m", "--from-csv", csv, "--version", "v1"}, "--rate must be between"},
		{"loadgen no csv", []string{"loadgen", "m", "--rate", "5", "--version", "v1"}, "--from-csv is required"},
		{"loadgen missing csv", []string{"loadgen", "m", "--rate", "5", "--from-csv", "/nonexistent.csv", "--version", "v1"}, "--from-csv: open CSV"},
		{"loadgen bad prediction column", []string{"loadgen", "m", "--rate", "5", "--from-csv", csv, "--version", "v1", "--prediction-column", "cnt"}, `prediction column "cnt" is not in the CSV header`},
		{"loadgen bad order", []string{"loadgen", "m", "--rate", "5", "--from-csv", csv, "--order", "zigzag"}, "--order must be random or sequential"},
	}
	// No --version and no collector to ask: not a usage error (exit 1), and
	// it says why the registry was not read.
	code, _, errs := predlogCLI("loadgen", "m", "--rate", "5", "--from-csv", csv, "--collector", "http://127.0.0.1:1")
	assert.Equal(t, 1, code, errs)
	assert.Contains(t, errs, "could not be read from the registry at http://127.0.0.1:1")
	assert.Contains(t, errs, "connection refused")

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if len(args) > 1 {
				args = append(args, "--collector", "http://127.0.0.1:1")
			}
			code, _, errs := predlogCLI(args...)
			assert.Equal(t, 2, code, errs)
			assert.Contains(t, errs, tc.want)
		})
	}
}

func TestGamedayCLIInjectListStop(t *testing.T) {
	url, _ := gamedayCollector(t)
	// The injector here has no model check: any model may be injected.
	code, out, errs := predlogCLI("gameday", "inject", "demand", "--feature", "temp", "--kind", "shift", "--magnitude", "3", "--duration", "5m", "--collector", url)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "shift temp by 3σ on demand")
	id := strings.Fields(out)[1]

	code, out, errs = predlogCLI("gameday", "list", "--collector", url)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, id)
	assert.Contains(t, out, "active")

	code, out, errs = predlogCLI("gameday", "stop", id, "--collector", url)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "injection "+id+" stopped after 0 records\n", out)

	code, out, errs = predlogCLI("gameday", "list", "--json", "--collector", url)
	require.Equal(t, 0, code, errs)
	var list []gameday.Injection
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list, 1)
	assert.False(t, list[0].Active)
	require.NotNil(t, list[0].StoppedAt)

	// The table says when it was stopped, not the end that never came.
	code, out, errs = predlogCLI("gameday", "list", "--collector", url)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "stopped "+list[0].StoppedAt.UTC().Format("15:04:05"))
	assert.NotContains(t, out, list[0].EndsAt.UTC().Format("15:04:05"))

	code, _, errs = predlogCLI("gameday", "stop", "inj-missing", "--collector", url)
	assert.Equal(t, 1, code, "an unknown id is a failure the collector reports")
	assert.Contains(t, errs, "no such injection")
}

func TestLoadgenCLIPostsRows(t *testing.T) {
	url, lg := gamedayCollector(t)
	csv := filepath.Join(t.TempDir(), "rows.csv")
	require.NoError(t, os.WriteFile(csv, []byte("temp,city,cnt\n0.2,berlin,10\n0.4,paris,20\n0.6,rome,30\n"), 0o600))
	code, out, errs := predlogCLI("loadgen", "bikes", "--rate", "100", "--from-csv", csv, "--version", "v1",
		"--duration", "600ms", "--prediction-column", "cnt", "--order", "sequential", "--collector", url)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "0 refused")

	var got []string
	require.NoError(t, lg.Scan(context.Background(), store.Query{Model: "bikes"}, func(r *predlog.Record) error {
		got = append(got, r.Feature("city").Str+"="+strconv.FormatFloat(r.Prediction.Num, 'g', -1, 64))
		assert.Equal(t, "v1", r.Version)
		assert.False(t, r.Injected)
		return nil
	}))
	// ~60 records at 100/s for 600ms; in file order, cycling.
	require.GreaterOrEqual(t, len(got), 30)
	assert.LessOrEqual(t, len(got), 70)
	want := []string{"berlin=10", "paris=20", "rome=30"}
	for i, g := range got {
		assert.Equal(t, want[i%3], g, "record %d", i)
	}
	assert.Contains(t, out, "sent "+strconv.Itoa(len(got))+" predictions")
}

func TestGamedayRunFailedExpectationExits1(t *testing.T) {
	url, _ := gamedayCollector(t)
	sc := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(sc, []byte(`name: a collector without alerting
model: demand
poll: 100ms
steps:
  - inject: {kind: errors, magnitude: 0.5, duration: 1m}
  - expect: {alert: FeatureDrift, fires_within: 5s}
`), 0o600))
	report := filepath.Join(t.TempDir(), "report.json")
	code, out, errs := predlogCLI("gameday", "run", sc, "--collector", url, "-o", "json", "--report", report)
	assert.Equal(t, 1, code, errs)
	assert.Contains(t, errs, "game day failed: 1 of 1 expectations not met")
	var rep struct {
		Passed       bool `json:"passed"`
		Expectations []struct {
			Fired  bool   `json:"fired"`
			Reason string `json:"reason"`
		} `json:"expectations"`
		Injections []gameday.Injection `json:"injections"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.False(t, rep.Passed)
	require.Len(t, rep.Expectations, 1)
	assert.False(t, rep.Expectations[0].Fired)
	assert.Contains(t, rep.Expectations[0].Reason, "the collector does not evaluate alerting rules")
	require.Len(t, rep.Injections, 1)
	assert.False(t, rep.Injections[0].Active, "the run stops its injections")
	saved, err := os.ReadFile(report)
	require.NoError(t, err)
	assert.Equal(t, out, string(saved))
}

func TestLogsExportInjected(t *testing.T) {
	url, _ := gamedayCollector(t)
	post := func(id string) {
		body := `{"model":"demand","version":"v1","request_id":"` + id + `","features":{"temp":0.5},"prediction":1}` + "\n"
		resp, err := http.Post(url+"/api/v1/predictions", "application/x-ndjson", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	post("clean")
	code, _, errs := predlogCLI("gameday", "inject", "demand", "--feature", "temp", "--kind", "scale", "--magnitude", "2", "--duration", "1m", "--collector", url)
	require.Equal(t, 0, code, errs)
	post("rewritten")
	cases := []struct {
		flag string
		want []string
	}{
		{"include", []string{"clean", "rewritten"}},
		{"exclude", []string{"clean"}},
		{"only", []string{"rewritten"}},
	}
	for _, tc := range cases {
		code, out, errs := predlogCLI("logs", "export", "demand", "--injected", tc.flag, "--collector", url)
		require.Equal(t, 0, code, errs)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Len(t, lines, len(tc.want), out)
		for i, id := range tc.want {
			assert.Contains(t, lines[i], `"request_id":"`+id+`"`)
		}
	}
	code, _, errs = predlogCLI("logs", "export", "demand", "--injected", "never", "--collector", url)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--injected must be include, exclude or only")
}
