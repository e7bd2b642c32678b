package gameday_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/predlog"
	predapi "github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/baseline"
	"github.com/mlectl/mlectl/predlog/store"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// transformStored transforms recs as the ingest path does when storing
// succeeds: Transform, then its commit.
func transformStored(inj *gameday.Injector, recs []predlog.Record) {
	if commit := inj.Transform(recs); commit != nil {
		commit()
	}
}

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func openEvents(t *testing.T) *events.Store {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(t.TempDir()).WithLogger(nil))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	st, err := events.NewStore(db, nil)
	require.NoError(t, err)
	return st
}

const sigma = 0.25

func demandBaseline() *baseline.Profile {
	return &baseline.Profile{Model: "demand", Version: "v1", Rows: 100, Features: []baseline.Feature{
		{Name: "temp", Type: baseline.Numerical, Count: 100, Mean: 0.5, Std: sigma},
		{Name: "city", Type: baseline.Categorical, Count: 100, Categories: []baseline.Category{{Value: "berlin", Count: 50}, {Value: "paris", Count: 30}, {Value: "rome", Count: 20}}},
	}}
}

// records builds n records: v1 and v2 alternate, temp i/10 (absent every
// 5th), city from a fixed cycle, latency 10+i ms, status ok.
func records(n int) []predlog.Record {
	cities := []string{"berlin", "paris", "rome", "oslo"}
	out := make([]predlog.Record, n)
	for i := range out {
		version := "v1"
		if i%2 == 1 {
			version = "v2"
		}
		var feats []predlog.Feature
		if i%5 != 4 {
			feats = append(feats, predlog.Feature{Name: "temp", Value: predlog.Float(float64(i) / 10)})
		}
		feats = append(feats, predlog.Feature{Name: "city", Value: predlog.String(cities[i%len(cities)])})
		out[i] = predlog.Record{Model: "demand", Version: version, Role: predlog.RoleProduction, Status: predlog.StatusOK,
			RequestID: fmt.Sprint("r", i), TS: t0.UnixMilli(), LatencyMS: predlog.Float(float64(10 + i)), Features: feats}
	}
	out = append(out, predlog.Record{Model: "fraud", Version: "v1", Role: predlog.RoleProduction, Status: predlog.StatusOK,
		LatencyMS: predlog.Float(5), Features: []predlog.Feature{{Name: "temp", Value: predlog.Float(1)}}})
	return out
}

func TestTransformKinds(t *testing.T) {
	const n = 40
	orig := records(n)
	// want computes, independently of the injector, the expected record i
	// and whether it is changed.
	type wantFn func(rng *rand.Rand, r predlog.Record) (predlog.Record, bool)
	cats := []string{"berlin", "oslo", "paris", "rome"} // baseline ∪ seen, sorted
	numFeature := func(f func(v float64, r predlog.Record) float64) wantFn {
		return func(_ *rand.Rand, r predlog.Record) (predlog.Record, bool) {
			v := r.Feature("temp")
			if v.Kind != predlog.KindNumber {
				return r, false
			}
			r.Features = append([]predlog.Feature(nil), r.Features...)
			r.Features[0].Value = predlog.Float(f(v.Num, r))
			return r, true
		}
	}
	cases := []struct {
		name    string
		spec    gameday.Spec
		matches func(r predlog.Record) bool
		want    wantFn
	}{
		{"shift uses the baseline sigma, absolute units without one",
			gameday.Spec{Kind: gameday.KindShift, Feature: "temp", Magnitude: 3},
			func(r predlog.Record) bool { return r.Model == "demand" },
			numFeature(func(v float64, r predlog.Record) float64 {
				if r.Version == "v1" {
					return v + 3*sigma
				}
				return v + 3 // v2 has no baseline
			})},
		{"shift only the named version",
			gameday.Spec{Kind: gameday.KindShift, Feature: "temp", Magnitude: -2, Version: "v1"},
			func(r predlog.Record) bool { return r.Model == "demand" && r.Version == "v1" },
			numFeature(func(v float64, _ predlog.Record) float64 { return v - 2*sigma })},
		{"scale",
			gameday.Spec{Kind: gameday.KindScale, Feature: "temp", Magnitude: 2.5},
			func(r predlog.Record) bool { return r.Model == "demand" },
			numFeature(func(v float64, _ predlog.Record) float64 { return v * 2.5 })},
		{"nulls draws one number per present value",
			gameday.Spec{Kind: gameday.KindNulls, Feature: "temp", Magnitude: 0.4, Seed: 42},
			func(r predlog.Record) bool { return r.Model == "demand" },
			func(rng *rand.Rand, r predlog.Record) (predlog.Record, bool) {
				if r.Feature("temp").Kind == predlog.KindAbsent || rng.Float64() >= 0.4 {
					return r, false
				}
				r.Features = append([]predlog.Feature(nil), r.Features...)
				r.Features[0].Value = predlog.Null
				return r, true
			}},
		{"swap picks another category",
			gameday.Spec{Kind: gameday.KindSwap, Feature: "city", Magnitude: 0.7, Seed: 9, Version: "v1"},
			func(r predlog.Record) bool { return r.Model == "demand" && r.Version == "v1" },
			func(rng *rand.Rand, r predlog.Record) (predlog.Record, bool) {
				if rng.Float64() >= 0.7 {
					return r, false
				}
				cur := r.Feature("city").Str
				var others []string
				for _, c := range cats {
					if c != cur {
						others = append(others, c)
					}
				}
				r.Features = append([]predlog.Feature(nil), r.Features...)
				r.Features[len(r.Features)-1].Value = predlog.String(others[rng.IntN(len(others))])
				return r, true
			}},
		{"latency",
			gameday.Spec{Kind: gameday.KindLatency, Magnitude: 6},
			func(r predlog.Record) bool { return r.Model == "demand" },
			func(_ *rand.Rand, r predlog.Record) (predlog.Record, bool) {
				r.LatencyMS = predlog.Float(r.LatencyMS.Num * 6)
				return r, true
			}},
		{"errors",
			gameday.Spec{Kind: gameday.KindErrors, Magnitude: 0.25, Seed: 5},
			func(r predlog.Record) bool { return r.Model == "demand" },
			func(rng *rand.Rand, r predlog.Record) (predlog.Record, bool) {
				if rng.Float64() >= 0.25 {
					return r, false
				}
				r.Status = predlog.StatusError
				return r, true
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{t: t0}
			inj := gameday.New(gameday.Options{Now: clk.Now})
			require.NoError(t, inj.SetBaseline(demandBaseline()))
			// "oslo" is seen in traffic before the injection starts.
			if tc.spec.Kind == gameday.KindSwap {
				warm := records(4)
				_, err := inj.Start(context.Background(), gameday.Spec{Model: "demand", Kind: gameday.KindSwap, Feature: "city", Magnitude: 0.0001, Duration: time.Second, Seed: 1}, "t")
				require.NoError(t, err)
				transformStored(inj, warm)
				clk.Add(time.Second)
				inj.Expire(context.Background())
			}
			spec := tc.spec
			spec.Model, spec.Duration = "demand", time.Minute
			started, err := inj.Start(context.Background(), spec, "tester")
			require.NoError(t, err)
			// Two batches: the injector keeps its generator across them.
			got := records(n)
			transformStored(inj, got[:n/2])
			transformStored(inj, got[n/2:])

			rng := gameday.NewRand(spec.Seed)
			if spec.Seed == 0 {
				rng = nil
			}
			var changed int64
			for i, r := range orig {
				want, hit := r, false
				if tc.matches(r) {
					want, hit = tc.want(rng, r)
				}
				want.Injected = hit
				if hit {
					changed++
				}
				assert.Equal(t, want, got[i], "record %d", i)
			}
			assert.Positive(t, changed)
			cur, err := inj.Get(context.Background(), started.ID)
			require.NoError(t, err)
			assert.Equal(t, changed, cur.Records)
			assert.True(t, cur.Active)
		})
	}
}

func TestInjectionExpiresAndRecordsEvents(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: t0}
	ev := openEvents(t)
	inj := gameday.New(gameday.Options{Now: clk.Now, Events: ev})
	a, err := inj.Start(ctx, gameday.Spec{Model: "demand", Feature: "temp", Kind: gameday.KindScale, Magnitude: 2, Duration: 90 * time.Second}, "alice")
	require.NoError(t, err)
	assert.Equal(t, "1m30s", a.Duration)
	assert.Equal(t, t0.Add(90*time.Second), a.EndsAt)
	clk.Add(time.Second)
	b, err := inj.Start(ctx, gameday.Spec{Model: "demand", Kind: gameday.KindLatency, Magnitude: 3, Duration: 10 * time.Minute}, "bob")
	require.NoError(t, err)

	clk.Add(89 * time.Second) // exactly a's end
	recs := records(10)
	transformStored(inj, recs)
	// a ended: temp untouched; b still multiplies latency.
	fresh := records(10)
	for i := range 10 {
		assert.Equal(t, fresh[i].Features, recs[i].Features, "record %d", i)
		assert.Equal(t, fresh[i].LatencyMS.Num*3, recs[i].LatencyMS.Num)
	}

	list := inj.List(ctx)
	require.Len(t, list, 2)
	assert.Equal(t, b.ID, list[0].ID, "newest first")
	assert.True(t, list[0].Active)
	assert.False(t, list[1].Active)
	require.NotNil(t, list[1].StoppedAt)
	assert.Equal(t, a.EndsAt, *list[1].StoppedAt)
	assert.Equal(t, int64(0), list[1].Records)
	assert.Equal(t, int64(10), list[0].Records)

	clk.Add(time.Minute)
	stopped, err := inj.Stop(ctx, b.ID, "carol")
	require.NoError(t, err)
	assert.False(t, stopped.Active)
	assert.Equal(t, clk.Now(), *stopped.StoppedAt)
	again, err := inj.Stop(ctx, b.ID, "carol")
	require.NoError(t, err)
	assert.Equal(t, stopped, again, "stopping twice changes nothing")
	_, err = inj.Stop(ctx, "inj-nope", "carol")
	require.ErrorIs(t, err, gameday.ErrNotFound)

	evs, err := ev.Query(ctx, events.Filter{Kinds: []events.Kind{gameday.EventKind}})
	require.NoError(t, err)
	type row struct{ id, action, actor string }
	var got []row
	for _, e := range evs {
		got = append(got, row{e.Labels["injection_id"], e.Action, e.Actor})
		assert.Equal(t, "demand", e.Model)
	}
	assert.Equal(t, []row{{a.ID, "start", "alice"}, {b.ID, "start", "bob"}, {a.ID, "stop", "gameday"}, {b.ID, "stop", "carol"}}, got)
	assert.Equal(t, a.EndsAt, evs[2].Time, "an expiry is dated at the end")
}

func TestTransformConcurrent(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: t0}
	inj := gameday.New(gameday.Options{Now: clk.Now, KeepEnded: 5})
	s, err := inj.Start(ctx, gameday.Spec{Model: "demand", Kind: gameday.KindErrors, Magnitude: 0.5, Duration: time.Hour}, "t")
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var marked int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				recs := records(20)
				transformStored(inj, recs)
				n := int64(0)
				for _, r := range recs {
					if r.Injected {
						n++
						assert.Equal(t, predlog.StatusError, r.Status)
					}
				}
				mu.Lock()
				marked += n
				mu.Unlock()
			}
		}()
	}
	wg.Add(1)
	go func() { // churn: start, list and stop other injections meanwhile
		defer wg.Done()
		for range 50 {
			o, err := inj.Start(ctx, gameday.Spec{Model: "other", Kind: gameday.KindLatency, Magnitude: 2, Duration: time.Minute}, "t")
			assert.NoError(t, err)
			_ = inj.List(ctx)
			_, err = inj.Stop(ctx, o.ID, "t")
			assert.NoError(t, err)
		}
	}()
	wg.Wait()
	cur, err := inj.Get(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, marked, cur.Records)
	// 8×50×20 records: a fair coin over 8000 draws stays well within ±300.
	assert.InDelta(t, 4000, cur.Records, 300)
	assert.Len(t, inj.List(ctx), 6, "the active one and the 5 newest ended ones are kept")
}

func TestSpecValidate(t *testing.T) {
	ok := gameday.Spec{Model: "demand", Feature: "temp", Kind: gameday.KindShift, Magnitude: 3, Duration: time.Minute}
	cases := []struct {
		name  string
		edit  func(s *gameday.Spec)
		field string
	}{
		{"valid", func(*gameday.Spec) {}, ""},
		{"negative shift is a shift down", func(s *gameday.Spec) { s.Magnitude = -3 }, ""},
		{"latency needs no feature", func(s *gameday.Spec) { s.Kind, s.Feature = gameday.KindLatency, "" }, ""},
		{"no model", func(s *gameday.Spec) { s.Model = "" }, "model"},
		{"unknown kind", func(s *gameday.Spec) { s.Kind = "melt" }, "kind"},
		{"no feature", func(s *gameday.Spec) { s.Feature = "" }, "feature"},
		{"negative scale", func(s *gameday.Spec) { s.Kind, s.Magnitude = gameday.KindScale, -1 }, "magnitude"},
		{"negative fraction", func(s *gameday.Spec) { s.Kind, s.Magnitude = gameday.KindNulls, -0.1 }, "magnitude"},
		{"fraction over 1", func(s *gameday.Spec) { s.Kind, s.Magnitude = gameday.KindErrors, 1.5 }, "magnitude"},
		{"zero shift", func(s *gameday.Spec) { s.Magnitude = 0 }, "magnitude"},
		{"zero duration", func(s *gameday.Spec) { s.Duration = 0 }, "duration"},
		{"too long", func(s *gameday.Spec) { s.Duration = 25 * time.Hour }, "duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.edit(&s)
			err := s.Validate()
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			var fe *gameday.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.field, fe.Field)
		})
	}
}

// When the collector stops (Run's context is done), every active injection
// gets its stop event, so the timeline shows none that never ends; ended
// ones get no second stop, and later batches are left alone.
func TestRunRecordsStopOfActiveInjectionsOnShutdown(t *testing.T) {
	clk := &clock{t: t0}
	ev := openEvents(t)
	inj := gameday.New(gameday.Options{Now: clk.Now, Events: ev})
	ctx := context.Background()
	active, err := inj.Start(ctx, gameday.Spec{Model: "demand", Feature: "temp", Kind: gameday.KindShift, Magnitude: 3, Duration: time.Hour}, "rita")
	require.NoError(t, err)
	stopped, err := inj.Start(ctx, gameday.Spec{Model: "demand", Kind: gameday.KindLatency, Magnitude: 2, Duration: time.Hour}, "rita")
	require.NoError(t, err)
	_, err = inj.Stop(ctx, stopped.ID, "rita")
	require.NoError(t, err)

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); inj.Run(runCtx, time.Hour) }()
	clk.Add(7 * time.Minute)
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}

	evs, err := ev.Query(ctx, events.Filter{Kinds: []events.Kind{events.KindInjection}})
	require.NoError(t, err)
	type row struct{ id, action, actor, reason string }
	var got []row
	for _, e := range evs {
		got = append(got, row{e.Labels["injection_id"], e.Action, e.Actor, e.Labels["reason"]})
	}
	assert.Equal(t, []row{
		{active.ID, "start", "rita", ""},
		{stopped.ID, "start", "rita", ""},
		{stopped.ID, "stop", "rita", "stopped"},
		{active.ID, "stop", "collector", "collector stopped"},
	}, got)
	last := evs[len(evs)-1]
	assert.Equal(t, t0.Add(7*time.Minute), last.Time.UTC())
	assert.Contains(t, last.Text, "collector stopped")

	list := inj.List(ctx)
	require.Len(t, list, 2)
	for _, l := range list {
		assert.False(t, l.Active, l.ID)
	}
	recs, fresh := records(4), records(4)
	transformStored(inj, recs)
	assert.Equal(t, fresh, recs, "no injection applies after shutdown")
}

// Records count toward an injection only once the prediction log stored
// them: a batch the log refuses (here: the request was cancelled before the
// write) is rewritten but not counted.
func TestRecordsCountOnlyStoredBatches(t *testing.T) {
	ctx := context.Background()
	inj := gameday.New(gameday.Options{})
	pipe, err := predapi.OpenPipeline(ctx, t.TempDir(), predapi.PipelineOptions{Transformers: []predapi.Transformer{inj}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = pipe.Close() })
	started, err := inj.Start(ctx, gameday.Spec{Model: "demand", Feature: "temp", Kind: gameday.KindScale, Magnitude: 2, Duration: time.Hour}, "t")
	require.NoError(t, err)

	// records(10): temp is absent in every 5th record, the fraud one is
	// another model: 8 demand records have temp.
	stored := records(10)
	require.NoError(t, pipe.Ingest(ctx, stored))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	refused := records(10)
	require.Error(t, pipe.Ingest(cancelled, refused), "the log refuses a write whose request is gone")
	assert.True(t, refused[0].Injected, "the refused batch was rewritten before the write")

	cur, err := inj.Get(ctx, started.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(8), cur.Records)
	var inLog int
	require.NoError(t, pipe.Log.Scan(ctx, store.Query{Model: "demand"}, func(r *predlog.Record) error {
		if r.Injected {
			inLog++
		}
		return nil
	}))
	assert.Equal(t, 8, inLog, "the count is what the log holds")
}

// A caller that goes away (an HTTP client hanging up) after the injection
// started or stopped does not lose its event: the state changed, so the
// timeline must show it.
func TestEventsRecordedAfterTheCallerHasGone(t *testing.T) {
	ev := openEvents(t)
	inj := gameday.New(gameday.Options{Now: (&clock{t: t0}).Now, Events: ev})
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	started, err := inj.Start(gone, gameday.Spec{Model: "demand", Kind: gameday.KindLatency, Magnitude: 2, Duration: time.Minute}, "rita")
	require.NoError(t, err)
	_, err = inj.Stop(gone, started.ID, "rita")
	require.NoError(t, err)
	evs, err := ev.Query(context.Background(), events.Filter{Kinds: []events.Kind{events.KindInjection}})
	require.NoError(t, err)
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Labels["injection_id"]+" "+e.Action)
	}
	assert.Equal(t, []string{started.ID + " start", started.ID + " stop"}, actions)
}

// TestStartRefusesUnknownFeature: an injection on a feature the model's
// baselines and traffic never showed is refused (it would rewrite nothing),
// naming the feature and the known ones; a model nothing is known about
// yet is not judged.
func TestStartRefusesUnknownFeature(t *testing.T) {
	cases := []struct {
		name    string
		setup   func(*gameday.Injector)
		feature string
		wantErr string
		refused bool
	}{
		{"baseline feature", func(in *gameday.Injector) { require.NoError(t, in.SetBaseline(demandBaseline())) }, "temp", "", false},
		{"typo against the baseline", func(in *gameday.Injector) { require.NoError(t, in.SetBaseline(demandBaseline())) }, "tmep", `model demand has no feature "tmep" (its baselines and traffic have: city, temp)`, true},
		{"feature seen in traffic", func(in *gameday.Injector) { in.Transform(records(4)) }, "city", "", false},
		{"typo against the traffic", func(in *gameday.Injector) { in.Transform(records(4)) }, "nosuch", `no feature "nosuch"`, true},
		{"nothing known yet", func(*gameday.Injector) {}, "anything", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := gameday.New(gameday.Options{})
			tc.setup(in)
			_, err := in.Start(context.Background(), gameday.Spec{Model: "demand", Feature: tc.feature, Kind: gameday.KindShift, Magnitude: 3, Duration: time.Minute}, "test")
			if !tc.refused {
				require.NoError(t, err)
				return
			}
			var fe *gameday.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "feature", fe.Field)
			assert.True(t, fe.NotFound)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}
