package gameday_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/predlog/store"
)

func openLog(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	require.NoError(t, err)
	return st
}

// An acknowledged injection survives a crash (no Shutdown, as after
// kill -9): it resumes until its end; one whose end passed while the
// collector was down ends with its stop event dated at its end. A graceful
// stop ends the active ones for good.
func TestInjectionsSurviveACrash(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "predlog")
	clk := &clock{t: t0}
	ev := openEvents(t)

	log := openLog(t, dir)
	before := gameday.New(gameday.Options{Now: clk.Now, Events: ev})
	require.NoError(t, before.Restore(ctx, log))
	long, err := before.Start(ctx, gameday.Spec{Model: "demand", Feature: "temp", Kind: gameday.KindScale, Magnitude: 2, Duration: 10 * time.Minute}, "alice")
	require.NoError(t, err)
	short, err := before.Start(ctx, gameday.Spec{Model: "demand", Kind: gameday.KindLatency, Magnitude: 3, Duration: time.Minute}, "alice")
	require.NoError(t, err)
	require.NoError(t, log.Close()) // the crash: no Shutdown, no stop events

	clk.Add(2 * time.Minute)
	log = openLog(t, dir)
	after := gameday.New(gameday.Options{Now: clk.Now, Events: ev})
	require.NoError(t, after.Restore(ctx, log))
	list := after.List(ctx)
	require.Len(t, list, 2)
	byID := map[string]gameday.Injection{list[0].ID: list[0], list[1].ID: list[1]}
	require.Contains(t, byID, long.ID)
	require.Contains(t, byID, short.ID)
	assert.True(t, byID[long.ID].Active, "still within its 10 minutes")
	assert.Equal(t, long.EndsAt, byID[long.ID].EndsAt)
	assert.False(t, byID[short.ID].Active)
	require.NotNil(t, byID[short.ID].StoppedAt)
	assert.Equal(t, short.EndsAt, *byID[short.ID].StoppedAt)

	// The resumed injection still doubles temp, and only it acts.
	recs, fresh := records(10), records(10)
	transformStored(after, recs)
	for i := range recs {
		want := fresh[i].Feature("temp").Num
		if fresh[i].Model == "demand" { // records(n) ends with a record of another model
			want *= 2
		}
		assert.InDelta(t, want, recs[i].Feature("temp").Num, 1e-12, "record %d", i)
		assert.Equal(t, fresh[i].LatencyMS.Num, recs[i].LatencyMS.Num, "record %d: the latency injection ended", i)
	}

	evs, err := ev.Query(ctx, events.Filter{Kinds: []events.Kind{gameday.EventKind}})
	require.NoError(t, err)
	var stops []events.Event
	for _, e := range evs {
		if e.Action == gameday.ActionStop {
			stops = append(stops, e)
		}
	}
	require.Len(t, stops, 1, "only the injection that ended while the collector was down")
	assert.Equal(t, short.ID, stops[0].Labels["injection_id"])
	assert.Equal(t, gameday.ReasonEnded, stops[0].Labels["reason"])
	assert.True(t, stops[0].Time.Equal(short.EndsAt))

	// A graceful stop ends it; a restart then finds it ended.
	clk.Add(time.Minute)
	after.Shutdown(ctx)
	require.NoError(t, log.Close())
	log = openLog(t, dir)
	t.Cleanup(func() { _ = log.Close() })
	again := gameday.New(gameday.Options{Now: clk.Now, Events: ev})
	require.NoError(t, again.Restore(ctx, log))
	for _, inj := range again.List(ctx) {
		assert.False(t, inj.Active, inj.ID)
	}
	got, err := again.Get(ctx, long.ID)
	require.NoError(t, err)
	require.NotNil(t, got.StoppedAt)
	assert.True(t, got.StoppedAt.Equal(t0.Add(3*time.Minute)))
}

// A start that cannot be stored is refused and not applied.
func TestStartThatCannotBeStoredDoesNotStart(t *testing.T) {
	ctx := context.Background()
	log := openLog(t, t.TempDir())
	inj := gameday.New(gameday.Options{Now: (&clock{t: t0}).Now})
	require.NoError(t, inj.Restore(ctx, log))
	require.NoError(t, log.Close())
	_, err := inj.Start(ctx, gameday.Spec{Model: "demand", Feature: "temp", Kind: gameday.KindScale, Magnitude: 2, Duration: time.Minute}, "alice")
	require.ErrorContains(t, err, "did not start")
	assert.Empty(t, inj.List(ctx))
	recs, fresh := records(4), records(4)
	transformStored(inj, recs)
	assert.Equal(t, fresh, recs)
}
