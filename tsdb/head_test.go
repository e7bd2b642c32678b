package tsdb

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func frozenChunks(s *memSeries) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.frozen)
}

func modelPoints(m map[int64]float64) []point {
	var out []point
	for _, t := range slices.Sorted(maps.Keys(m)) {
		out = append(out, point{T: t, V: m[t]})
	}
	return out
}

func TestHeadFreezeAndThaw(t *testing.T) {
	db := openTestDB(t, t.TempDir(), Options{})
	defer db.Close()
	ls := labels.FromStrings("__name__", "m")
	base := fixedNow.UnixMilli()
	model := map[int64]float64{}
	put := func(ts int64, v float64) {
		app := db.Appender(context.Background())
		_, err := app.Append(0, ls, ts, v)
		require.NoError(t, err)
		require.NoError(t, app.Commit())
		model[ts] = v
	}
	app := db.Appender(context.Background())
	for i := range int64(1000) {
		v := float64(i) * 0.1
		if i == 500 {
			v = math.Float64frombits(value.StaleNaN) // raw bits survive the XOR chunk
		}
		_, err := app.Append(0, ls, base+i*1000, v)
		require.NoError(t, err)
		model[base+i*1000] = v
	}
	require.NoError(t, app.Commit())
	s := db.ix.getByHash(ls.Hash(), ls)
	require.Equal(t, 9, frozenChunks(s), "1000 samples: 8 full chunks of 120 and an open one of 40")
	s.mu.Lock()
	require.Empty(t, s.head, "in-order floats all live in chunks")
	for i, c := range s.frozen {
		assert.Equal(t, i < len(s.frozen)-1, c.packed, "chunk %d: full chunks are re-encoded with the block codec, the open one stays XOR", i)
	}
	s.mu.Unlock()
	check := func(msg string) {
		t.Helper()
		got := queryAll(t, db, base-1, base+1<<40)[ls.String()]
		want := modelPoints(model)
		require.Len(t, got, len(want), msg)
		for i := range want {
			require.Equal(t, want[i].T, got[i].T, msg)
			require.Equal(t, math.Float64bits(want[i].V), math.Float64bits(got[i].V), "%s: sample at %d", msg, want[i].T)
		}
		require.Equal(t, int64(len(model)), db.Stats().HeadSamples+db.Stats().SamplesStored, msg)
	}
	check("frozen")
	sub := queryAll(t, db, base+100_000, base+130_000)[ls.String()]
	require.Len(t, sub, 31, "a range inside frozen chunks")

	// Inserts into frozen chunks thaw them; the commit refreezes.
	put(base+700_000, -1) // overwrite in the 6th chunk
	check("overwrite")
	put(base+10_500, 7) // new timestamp in the 1st chunk
	check("out-of-order insert")
	put(base+1_000_000, 1)
	assert.Equal(t, 9, frozenChunks(s), "1002 samples")
	check("refrozen")

	// A sample with a start timestamp stays unfrozen, with what follows it.
	app2 := db.AppenderV2(context.Background())
	for i := range int64(300) {
		ts := base + 2_000_000 + i*1000
		st := int64(0)
		if i == 0 {
			st = ts - 500
		}
		_, err := app2.Append(0, ls, st, ts, 3, nil, nil, storage.AOptions{})
		require.NoError(t, err)
		model[ts] = 3
	}
	require.NoError(t, app2.Commit())
	assert.Equal(t, 9, frozenChunks(s), "the sample with a start timestamp and all after it stay in the slice")
	got := queryAll(t, db, base+2_000_000, base+2_000_000)[ls.String()]
	require.Len(t, got, 1)

	require.NoError(t, db.Flush(context.Background()))
	assert.Equal(t, 0, frozenChunks(s))
	assert.Equal(t, int64(0), db.Stats().HeadSamples)
	check("sealed")
}

func TestHeadRetentionThaws(t *testing.T) {
	now := fixedNow
	db := openTestDB(t, t.TempDir(), Options{Now: nowFunc(&now), Retention: 24 * time.Hour})
	defer db.Close()
	ls := labels.FromStrings("__name__", "old")
	old := now.Add(-72 * time.Hour).UnixMilli()
	app := db.Appender(context.Background())
	for i := range int64(500) {
		_, err := app.Append(0, ls, old+i*1000, float64(i))
		require.NoError(t, err)
	}
	require.NoError(t, app.Commit())
	require.Positive(t, frozenChunks(db.ix.getByHash(ls.Hash(), ls)))
	require.NoError(t, db.ApplyRetention(context.Background()))
	st := db.Stats()
	assert.Equal(t, int64(0), st.HeadSamples)
	assert.Equal(t, 0, st.Series)
}

// Random appends (in order, out of order, overwrites) interleaved with
// seals and compactions always read back as the last write per timestamp.
func TestHeadSealCompactModel(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			db := openTestDB(t, t.TempDir(), Options{BlockSamples: 200, OutOfOrderWindow: 10 * time.Minute})
			defer db.Close()
			const nSeries = 3
			base := fixedNow.UnixMilli()
			models := make([]map[int64]float64, nSeries)
			next := make([]int64, nSeries)
			for i := range models {
				models[i] = map[int64]float64{}
				next[i] = base
			}
			for step := range 60 {
				app := db.Appender(context.Background())
				for range 50 + rng.IntN(300) {
					i := rng.IntN(nSeries)
					ls := labels.FromStrings("__name__", "m", "i", fmt.Sprint(i))
					ts := next[i]
					if rng.IntN(10) == 0 && next[i] > base+600_000 {
						ts = next[i] - 1 - rng.Int64N(590_000) // out of order or overwrite, in the window
					} else {
						next[i] += 1000
					}
					v := float64(rng.IntN(1000)) / 10
					_, err := app.Append(0, ls, ts, v)
					require.NoError(t, err)
					models[i][ts] = v
				}
				require.NoError(t, app.Commit())
				switch rng.IntN(12) {
				case 0:
					require.NoError(t, db.Flush(context.Background()))
				case 1:
					require.NoError(t, db.Flush(context.Background()))
					require.NoError(t, db.Compact(context.Background()))
				}
				if step%10 == 9 {
					got := queryAll(t, db, base, base+1<<40)
					for i := range models {
						ls := labels.FromStrings("__name__", "m", "i", fmt.Sprint(i))
						require.Equal(t, modelPoints(models[i]), got[ls.String()], "series %d after step %d", i, step)
					}
				}
			}
			require.NoError(t, db.Flush(context.Background()))
			require.NoError(t, db.Compact(context.Background()))
			total := 0
			for _, m := range models {
				total += len(m)
			}
			assert.Equal(t, int64(total), db.Stats().SamplesStored, "every timestamp stored once")
		})
	}
}
