package delivery_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/delivery"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/registry"
	"github.com/mlectl/mlectl/tsdb"
)

var now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return now.Add(d) }

func openLog(t *testing.T, dir string) (*badger.DB, *events.Store) {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	require.NoError(t, err)
	s, err := events.NewStore(db, func() time.Time { return now })
	require.NoError(t, err)
	return db, s
}

func record(t *testing.T, s *events.Store, evs ...events.Event) {
	t.Helper()
	for _, e := range evs {
		require.NoError(t, s.Record(context.Background(), e))
	}
}

// written runs AppendTo at ts into a fresh TSDB and reads name back.
func written(t *testing.T, tr *delivery.Tracker, ts time.Time, names ...string) map[string]map[string]float64 {
	t.Helper()
	db, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, tr.AppendTo(context.Background(), db, ts))
	out := map[string]map[string]float64{}
	for _, n := range names {
		out[n] = testutil.LastValues(t, db, n)
	}
	return out
}

func promote(model, version string, result string, d time.Duration) events.Event {
	return events.Event{Time: at(d), Kind: events.KindAction, Action: api.ActionPromote, Model: model, Version: version, Result: result}
}

func rollback(model, to string, result string, d time.Duration) events.Event {
	return events.Event{Time: at(d), Kind: events.KindAction, Action: api.ActionRollback, Model: model, Version: to, Result: result}
}

// TestCountersContinueAcrossRestart: deploys and rollbacks are counted from
// the log at open and followed after it; reopened on the same log, the
// counters continue from the stored totals, each event counted once.
func TestCountersContinueAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	db, log := openLog(t, dir)
	record(t, log,
		events.Event{Time: at(-3 * time.Hour), Kind: events.KindDeploy, Model: "fraud", Version: "v1", Actor: "argo-cd"},                                    // a CD system: deploy
		events.Event{Time: at(-2 * time.Hour), Kind: events.KindDeploy, Model: "fraud", Version: "v2", Labels: map[string]string{api.LabelStage: "shadow"}}, // a registration as shadow: not one
		promote("fraud", "v2", events.ResultOK, -time.Hour),
		promote("fraud", "v3", events.ResultFailed, -50*time.Minute), // failed: not one
	)
	tr, err := delivery.Open(context.Background(), log, delivery.Options{})
	require.NoError(t, err)
	record(t, log,
		rollback("fraud", "v1", events.ResultOK, -30*time.Minute),
		rollback("fraud", "v1", events.ResultDryRun, -20*time.Minute), // a dry run: not one
		events.Event{Time: at(-10 * time.Minute), Kind: events.KindDeploy, Model: "churn", Version: "v9", Labels: map[string]string{api.LabelStage: "production"}},
	)
	want := map[string]map[string]float64{
		api.MetricDeploymentsTotal: {`{model="fraud", version="v1"}`: 1, `{model="fraud", version="v2"}`: 1, `{model="churn", version="v9"}`: 1},
		api.MetricRollbacksTotal:   {`{model="fraud"}`: 1, `{model="churn"}`: 0},
	}
	assert.Equal(t, want, written(t, tr, now, api.MetricDeploymentsTotal, api.MetricRollbacksTotal))
	require.NoError(t, db.Close())

	db, log = openLog(t, dir)
	defer db.Close()
	tr, err = delivery.Open(context.Background(), log, delivery.Options{})
	require.NoError(t, err)
	record(t, log, promote("fraud", "v3", events.ResultOK, 0))
	want[api.MetricDeploymentsTotal][`{model="fraud", version="v3"}`] = 1
	assert.Equal(t, want, written(t, tr, now.Add(time.Minute), api.MetricDeploymentsTotal, api.MetricRollbacksTotal))
}

// TestRegistryActionsCount: what the real registry records for a
// registration into production, one as shadow, a promote and a rollback.
func TestRegistryActionsCount(t *testing.T) {
	db, log := openLog(t, t.TempDir())
	defer db.Close()
	tr, err := delivery.Open(context.Background(), log, delivery.Options{})
	require.NoError(t, err)
	reg := registry.New(db, registry.Options{Events: log, Now: func() time.Time { return now }})
	ctx := context.Background()
	_, err = reg.PutModel(ctx, registry.Model{Name: "fraud", Actuator: actuator.Config{Kind: actuator.KindFile, Path: filepath.Join(t.TempDir(), "routes.json")}}, "test")
	require.NoError(t, err)
	for _, v := range []struct {
		version string
		stage   registry.Stage
	}{{"v1", registry.StageProduction}, {"v2", registry.StageShadow}} {
		_, err := reg.Register(ctx, registry.Version{Model: "fraud", Version: v.version, ArtifactURI: "s3://m/" + v.version, SHA256: strings.Repeat("ab", 32), Baseline: "profiles/fraud.csv", Stage: v.stage}, "ci")
		require.NoError(t, err)
	}
	_, err = reg.Act(ctx, registry.ActionRequest{Action: registry.ActionPromote, Model: "fraud", Version: "v2", Actor: "ci"})
	require.NoError(t, err)
	_, err = reg.Act(ctx, registry.ActionRequest{Action: registry.ActionRollback, Model: "fraud", Actor: "oncall", Reason: "error rate"})
	require.NoError(t, err)
	got := written(t, tr, now, api.MetricDeploymentsTotal, api.MetricRollbacksTotal, api.MetricChangeFailureRatio)
	assert.Equal(t, map[string]float64{`{model="fraud", version="v1"}`: 1, `{model="fraud", version="v2"}`: 1}, got[api.MetricDeploymentsTotal])
	assert.Equal(t, map[string]float64{`{model="fraud"}`: 1}, got[api.MetricRollbacksTotal])
	assert.Equal(t, map[string]float64{`{model="fraud"}`: 0.5}, got[api.MetricChangeFailureRatio], "v2 of two deploys was rolled back")
}

func alert(kind events.Kind, name, severity string, d time.Duration) events.Event {
	return events.Event{Time: at(d), Kind: kind, Model: "fraud", Labels: map[string]string{"alertname": name, "model": "fraud", "severity": severity}}
}

// TestPeriodFigures: the change failure ratio counts the period's deploys
// a rollback followed; restore times are the incidents' impact to
// resolution, ticket alerts aside.
func TestPeriodFigures(t *testing.T) {
	db, log := openLog(t, t.TempDir())
	defer db.Close()
	day := 24 * time.Hour
	record(t, log,
		events.Event{Time: at(-40 * day), Kind: events.KindDeploy, Model: "fraud", Version: "v0"}, // before the period
		rollback("fraud", "v0", events.ResultOK, -39*day),
		events.Event{Time: at(-10 * day), Kind: events.KindDeploy, Model: "fraud", Version: "v1"},
		promote("fraud", "v2", events.ResultOK, -9*day),
		// incident 1: 10 minutes from alert to resolution
		alert(events.KindAlertFiring, "FraudLatencyHigh", "page", -9*day+time.Hour),
		alert(events.KindAlertResolved, "FraudLatencyHigh", "page", -9*day+time.Hour+10*time.Minute),
		// a ticket that never resolves is no incident
		alert(events.KindAlertFiring, "CostOverBudget", "ticket", -8*day),
		// incident 2: drift at impact, alert 2m later, rollback, marked
		// resolved 30m after impact
		alert(events.KindDriftDetected, "FeatureDrift", "page", -5*day),
		alert(events.KindAlertFiring, "FeatureDrift", "page", -5*day+2*time.Minute),
		rollback("fraud", "v1", events.ResultOK, -5*day+10*time.Minute),
		events.Event{Time: at(-5*day + 30*time.Minute), Kind: events.KindIncidentResolve, Model: "fraud", Actor: "oncall"},
		promote("fraud", "v3", events.ResultOK, -day),
		// incident 3 still open
		alert(events.KindAlertFiring, "FraudErrorsHigh", "page", -time.Hour),
	)
	tr, err := delivery.Open(context.Background(), log, delivery.Options{})
	require.NoError(t, err)
	got := written(t, tr, now, api.MetricChangeFailureRatio, api.MetricTimeToRestoreSeconds, api.MetricMeanTimeToRestore, api.MetricDeliveryPeriodSeconds, api.MetricDeploymentsTotal)
	// In the 30-day period: v1, v2, v3 deployed; the rollback marks v2.
	assert.Equal(t, map[string]float64{`{model="fraud"}`: 1.0 / 3}, got[api.MetricChangeFailureRatio])
	assert.Equal(t, map[string]float64{`{model="fraud"}`: 1800}, got[api.MetricTimeToRestoreSeconds])
	assert.Equal(t, map[string]float64{`{model="fraud"}`: (600 + 1800) / 2.0}, got[api.MetricMeanTimeToRestore])
	assert.Equal(t, map[string]float64{`{}`: 30 * 86400}, got[api.MetricDeliveryPeriodSeconds])
	assert.Len(t, got[api.MetricDeploymentsTotal], 4, "the counters count the whole log")

	short, err := delivery.Open(context.Background(), log, delivery.Options{Period: 7 * day})
	require.NoError(t, err)
	got = written(t, short, now, api.MetricChangeFailureRatio)
	assert.Equal(t, map[string]float64{`{model="fraud"}`: 0.0}, got[api.MetricChangeFailureRatio], "7 days: only v3, not rolled back")

	// The week's gauges whatever the period: in the last 7 days fraud had
	// the v1 rollback (-5d) and the v3 promote (-1d); v1 and v2 are older.
	for _, p := range []time.Duration{7 * day, 0, 2 * day} {
		tr, err := delivery.Open(context.Background(), log, delivery.Options{Period: p})
		require.NoError(t, err)
		got = written(t, tr, now, api.MetricDeploymentsLastWeek, api.MetricRollbacksLastWeek)
		assert.Equal(t, map[string]float64{`{model="fraud"}`: 1}, got[api.MetricDeploymentsLastWeek], "period %s", p)
		assert.Equal(t, map[string]float64{`{model="fraud"}`: 1}, got[api.MetricRollbacksLastWeek], "period %s", p)
	}
}

// TestNewEventsRecomputeThePeriod: a rollback that arrives between two
// writes shows in the next one, without waiting for Options.Recompute.
func TestNewEventsRecomputeThePeriod(t *testing.T) {
	db, log := openLog(t, t.TempDir())
	defer db.Close()
	record(t, log, promote("fraud", "v2", events.ResultOK, -time.Hour))
	tr, err := delivery.Open(context.Background(), log, delivery.Options{Recompute: time.Hour})
	require.NoError(t, err)
	tdb, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	defer tdb.Close()
	require.NoError(t, tr.AppendTo(context.Background(), tdb, now))
	assert.Equal(t, map[string]float64{`{model="fraud"}`: 0}, testutil.LastValues(t, tdb, api.MetricChangeFailureRatio))
	record(t, log, rollback("fraud", "v1", events.ResultOK, 0))
	require.NoError(t, tr.AppendTo(context.Background(), tdb, now.Add(time.Second)))
	assert.Equal(t, map[string]float64{`{model="fraud"}`: 1}, testutil.LastValues(t, tdb, api.MetricChangeFailureRatio))
}
