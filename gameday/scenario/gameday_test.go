package scenario_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/alerting"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/drift"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/gameday/scenario"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/metaapi"
	"github.com/mlectl/mlectl/predlog"
	predapi "github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/baseline"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/tsdb"
)

// bikeCSV is the embedded real data the demo bootstraps its traffic from.
var bikeCSV = filepath.Join("..", "..", "sim", "profiles", "bike_hour.csv")

// stack is a collector wired as cmd/collector wires it (prediction
// pipeline with the injector as transformer and baseline sink, streaming
// drift, drift rules evaluated by the alerting manager, metadata API with
// the event log, the game-day API), on short windows so a drift is
// detected in seconds.
type stack struct {
	URL  string
	Inj  *gameday.Injector
	Pipe *predapi.Pipeline
	Meta *metaapi.Service
}

func startStack(t *testing.T) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	db, err := tsdb.Open(dir, tsdb.Options{Logger: logger})
	require.NoError(t, err)
	srv, err := collector.New(collector.Config{Version: "test"}, db, logger)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + l.Addr().String()

	driftCfg, err := alerting.DecodeDriftConfig([]byte("interval: 250ms\nwindow: 1s\nmin_events: -1\ndefaults: {feature_windows: 2, dataset_share: -1, skew_windows: -1}\n"))
	require.NoError(t, err)
	am, err := alerting.New(alerting.Options{
		Storage: db, Drift: &driftCfg, EvalInterval: 250 * time.Millisecond, ExternalURL: url,
		StateDir: filepath.Join(dir, "alerting"), DeploySilence: -1, Logger: logger, Registerer: srv.Registry(),
	})
	require.NoError(t, err)
	meta, err := metaapi.Open(ctx, metaapi.Config{Dir: filepath.Join(dir, "meta"), Auth: auth.Config{Mode: auth.ModeDisabled}, Silencer: am})
	require.NoError(t, err)
	known := &gameday.KnownModels{Registry: meta.Registry}
	inj := gameday.New(gameday.Options{Events: meta.Recorder(), Models: known, Logger: logger})
	pipe, err := predapi.OpenPipeline(ctx, dir, predapi.PipelineOptions{
		Logger: logger, Skew: skew.Options{Window: time.Second}, RestoreJoins: -1,
		Transformers: []predapi.Transformer{inj}, Baselines: []predapi.BaselineSink{inj},
	})
	require.NoError(t, err)
	known.Log = pipe.Log
	pipe.Mount(srv)
	route.Mount(srv, meta.Routes())
	srv.AttachRules(am)
	am.AttachEvents(meta.Recorder(), meta.Events)
	alerting.Mount(srv, am.AuditedHandler(meta.Auth, meta.Audit))
	route.Mount(srv, gameday.NewHandler(inj, gameday.HandlerOptions{Auth: meta.Auth, Audit: meta.Audit}).Routes())

	done := make(chan struct{}, 4)
	go func() { _ = srv.Serve(ctx, l); done <- struct{}{} }()
	go func() { pipe.Run(ctx, db, 250*time.Millisecond); done <- struct{}{} }()
	go func() { _ = am.Run(ctx); done <- struct{}{} }()
	go func() { inj.Run(ctx, 200*time.Millisecond); done <- struct{}{} }()
	t.Cleanup(func() {
		cancel()
		for range 4 {
			<-done
		}
		am.Stop()
		assert.NoError(t, pipe.Close())
		assert.NoError(t, meta.Close())
		assert.NoError(t, db.Close())
	})
	return &stack{URL: url, Inj: inj, Pipe: pipe, Meta: meta}
}

// putBaseline profiles the CSV (as mlectl baseline import does) and stores
// it as the baseline of model/version.
func putBaseline(t *testing.T, base, model, version, csvPath string) *baseline.Profile {
	t.Helper()
	f, err := drift.ReadCSVFile(csvPath)
	require.NoError(t, err)
	p, err := baseline.FromFrame(model, version, f, nil, time.Now())
	require.NoError(t, err)
	b, err := p.Marshal()
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPut, base+"/api/v1/baselines/"+model+"/"+version, bytes.NewReader(b))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(msg))
	return p
}

// TestGameDayShiftFiresFeatureDrift is the acceptance test: a 3σ shift of
// temp injected into real-data traffic makes FeatureDrift fire, and the
// report shows the time to detect.
func TestGameDayShiftFiresFeatureDrift(t *testing.T) {
	st := startStack(t)
	prof := putBaseline(t, st.URL, "bikes", "v1", bikeCSV)
	tempSigma := prof.Feature("temp").Std
	require.Greater(t, tempSigma, 0.1)

	abs, err := filepath.Abs(bikeCSV)
	require.NoError(t, err)
	yml := `name: temp shift drill
model: bikes
version: v1
poll: 200ms
loadgen: {csv: "` + abs + `", rate: 400, prediction_column: cnt, seed: 7}
steps:
  - wait: 3s
  - inject: {feature: temp, kind: shift, magnitude: 3, duration: 1m}
  - expect: {alert: FeatureDrift, fires_within: 20s, labels: {feature: temp, against: baseline}}
  - stop: all
`
	sc, err := scenario.Decode([]byte(yml))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := (&scenario.Runner{Collector: st.URL}).Run(ctx, sc)
	require.NoError(t, err)

	var md bytes.Buffer
	require.NoError(t, rep.WriteMarkdown(&md))
	t.Log("\n" + md.String())
	require.True(t, rep.Passed, md.String())
	require.Len(t, rep.Expectations, 1)
	ex := rep.Expectations[0]
	assert.True(t, ex.Fired)
	assert.Greater(t, ex.TimeToDetectSeconds, 0.0)
	assert.LessOrEqual(t, ex.TimeToDetectSeconds, 20.0)
	assert.Equal(t, "temp", ex.Labels["feature"])
	assert.Equal(t, "bikes", ex.Labels["model"])
	// Drift rules fire without a pending period, so the detection time is
	// the evaluation that fired the alert (its activeAt), not a poll.
	var firing *scenario.FiredAlert
	for i, a := range rep.AlertsFired {
		if a.Name == "FeatureDrift" && a.Labels["against"] == "baseline" && a.Labels["feature"] == "temp" {
			firing = &rep.AlertsFired[i]
			break
		}
	}
	require.NotNil(t, firing)
	assert.Equal(t, firing.ActiveAt, *ex.FiredAt)
	assert.InDelta(t, firing.ActiveAt.Sub(ex.Since).Seconds(), ex.TimeToDetectSeconds, 1e-9)
	assert.Contains(t, md.String(), "| FeatureDrift")
	assert.Contains(t, md.String(), ex.TimeToDetect)

	// The injection ran, counted its records and was stopped by the scenario.
	require.Len(t, rep.Injections, 1)
	in := rep.Injections[0]
	assert.False(t, in.Active)
	assert.NotNil(t, in.StoppedAt)
	assert.Greater(t, in.Records, int64(0))

	// Start and stop are in the event log, and the report lists them.
	var kinds []string
	for _, e := range rep.Actions {
		if e.Kind == gameday.EventKind {
			kinds = append(kinds, e.Action)
			assert.Equal(t, in.ID, e.Labels["injection_id"])
		}
	}
	assert.Equal(t, []string{gameday.ActionStart, gameday.ActionStop}, kinds)
	evs, err := st.Meta.Events.Query(ctx, events.Filter{Model: "bikes", Kinds: []events.Kind{gameday.EventKind}})
	require.NoError(t, err)
	assert.Len(t, evs, 2)

	// Storage: exactly the injected records are marked, and their temp is
	// the original row's temp plus 3σ. Every stored temp is either a value
	// of the CSV (not injected) or a CSV value + 3σ (injected).
	csvTemps := map[string]bool{}
	f, err := drift.ReadCSVFile(bikeCSV)
	require.NoError(t, err)
	for _, v := range f.Column("temp").Values {
		csvTemps[fmtFloat(v)] = true
	}
	var injected, clean int64
	require.NoError(t, st.Pipe.Log.Scan(ctx, store.Query{Model: "bikes"}, func(r *predlogRecord) error {
		temp := r.Feature("temp").Num
		if r.Injected {
			injected++
			assert.True(t, csvTemps[fmtFloat(temp-3*tempSigma)], "injected temp %v is not a CSV temp + 3σ", temp)
		} else {
			clean++
			assert.True(t, csvTemps[fmtFloat(temp)], "clean temp %v is not a CSV temp", temp)
		}
		return nil
	}))
	assert.Equal(t, in.Records, injected)
	assert.Greater(t, clean, int64(0))

	// The training export leaves the game day out.
	exported := exportLines(t, st.URL, "model=bikes&injected=exclude")
	assert.Equal(t, clean, int64(exported))
	assert.Equal(t, injected, int64(exportLines(t, st.URL, "model=bikes&injected=only")))
	assert.Equal(t, injected+clean, int64(exportLines(t, st.URL, "model=bikes")))
}

func exportLines(t *testing.T, base, query string) int {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/predictions/export?" + query)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	return strings.Count(string(b), "\n")
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

type predlogRecord = predlog.Record

// fmtFloat rounds to 6 decimals (the CSV has at most 4), so a value and the
// same value shifted and shifted back compare equal.
func fmtFloat(v float64) string { return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', 6, 64) }
