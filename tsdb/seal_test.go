package tsdb

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSealInParallelKeepsEverySample: a head of enough series that the
// seal encodes them on several goroutines (packed chunks, open chunks and
// out-of-order samples in the head slice), sealed while commits keep
// arriving — in one group of series, and in groups committed one after
// the other — reads back every sample exactly, before and after a reopen.
func TestSealInParallelKeepsEverySample(t *testing.T) {
	for _, group := range []int{0, 1000} {
		t.Run(fmt.Sprintf("group=%d", group), func(t *testing.T) { testSealInParallel(t, group) })
	}
}

func testSealInParallel(t *testing.T, group int) {
	dir := t.TempDir()
	db := openTestDB(t, dir, Options{Now: nowFunc(&fixedNow), sealGroupSeries: group})
	nSeries := 3 * sealSeriesPerWorker
	base := fixedNow.Add(-2 * time.Hour).UnixMilli()
	lsets := make([]labels.Labels, nSeries)
	for i := range lsets {
		lsets[i] = labels.FromStrings("__name__", "m", "i", fmt.Sprint(i))
	}
	model := make([]map[int64]float64, nSeries)
	for i := range model {
		model[i] = map[int64]float64{}
	}
	var mu sync.Mutex // guards model against the racing appender
	appendStep := func(step int, ooo bool) {
		app := db.Appender(context.Background())
		mu.Lock()
		defer mu.Unlock()
		for i, ls := range lsets {
			ts := base + int64(step)*15_000
			if ooo && i%7 == 0 {
				ts -= 7_500 // between two earlier samples: goes to the head slice
			}
			v := math.Round(float64(i*step)*1.37) / 100
			_, err := app.Append(0, ls, ts, v)
			require.NoError(t, err)
			model[i][ts] = v
		}
		require.NoError(t, app.Commit())
	}
	for step := range 150 {
		appendStep(step, step == 140)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for step := 150; step < 170; step++ {
			appendStep(step, step == 160)
		}
	}()
	require.NoError(t, db.Flush(context.Background()))
	<-done
	check := func(db *DB, msg string) {
		t.Helper()
		got := queryAll(t, db, base-1, base+1<<30)
		require.Len(t, got, nSeries, msg)
		for i, ls := range lsets {
			want := modelPoints(model[i])
			require.Equal(t, want, got[ls.String()], "%s: series %d", msg, i)
		}
	}
	check(db, "after a seal that raced with commits")
	require.NoError(t, db.Flush(context.Background()))
	check(db, "after a second seal")
	require.NoError(t, db.Close())
	db = openTestDB(t, dir, Options{Now: nowFunc(&fixedNow)})
	defer db.Close()
	check(db, "after a reopen")
}

// TestSealReusesPackedChunk: a head that is one full packed chunk seals
// into a block byte for byte what encoding its samples writes, zstd frame
// included where zstd wins (head chunks pack without trying it).
func TestSealReusesPackedChunk(t *testing.T) {
	tests := []struct {
		name string
		v    func(i int) float64
		zstd bool
	}{
		{"counter", func(i int) float64 { return math.Round((1000+2.5*float64(i)+3*math.Sin(float64(i)/5))*100) / 100 }, false},
		{"repeating pattern", func(i int) float64 { return []float64{1, 5000, 2, 90000, 3, 12, 77777, 4}[i%8] }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTestDB(t, t.TempDir(), Options{Now: nowFunc(&fixedNow)})
			defer db.Close()
			ls := labels.FromStrings("__name__", "m")
			base := fixedNow.Add(-time.Hour).UnixMilli()
			var samples []sample
			app := db.Appender(context.Background())
			for i := range frozenChunkSamples {
				smp := sample{t: base + int64(i)*15_000, v: tc.v(i)}
				_, err := app.Append(0, ls, smp.t, smp.v)
				require.NoError(t, err)
				samples = append(samples, smp)
			}
			require.NoError(t, app.Commit())
			s := db.ix.getByHash(ls.Hash(), ls)
			s.mu.Lock()
			_, asIs := db.sealsAsIs(s.frozen, s.head)
			s.mu.Unlock()
			require.True(t, asIs, "the head is one packed chunk")
			require.NoError(t, db.Flush(context.Background()))

			want, _, _, err := appendBlock(nil, samples, nil, nil)
			require.NoError(t, err)
			require.Len(t, s.blocks, 1)
			var got []byte
			require.NoError(t, db.bdb.View(func(txn *badger.Txn) error {
				item, err := txn.Get(appendBlockKey(nil, s.ref, s.blocks[0]))
				if err != nil {
					return err
				}
				got, err = item.ValueCopy(nil)
				return err
			}))
			require.Equal(t, want, got)
			require.Equal(t, tc.zstd, got[2]&1 != 0, "zstd flag of the block")
		})
	}
}

// TestSealSignalIgnoredOnceHeadIsBelowLimit: commits signal a seal every
// time they find the head over its limit, so one signal is still pending
// when the seal it asked for has emptied the head. Acting on it sealed
// again at once (at 100k series and 2 h of data, a second pass that was
// still running during the first queries); it must act only while the
// head is still over its limit.
func TestSealSignalIgnoredOnceHeadIsBelowLimit(t *testing.T) {
	db := openTestDB(t, t.TempDir(), Options{Now: nowFunc(&fixedNow), HeadMaxSamples: 10})
	defer db.Close() // its run loop writes the WAL directory until then
	base := fixedNow.Add(-time.Hour).UnixMilli()
	app := db.Appender(context.Background())
	for i := range 5 {
		_, err := app.Append(0, labels.FromStrings("__name__", "m"), base+int64(i)*15_000, float64(i))
		require.NoError(t, err)
	}
	require.NoError(t, app.Commit())
	require.False(t, db.sealIfOverLimit(context.Background()), "5 samples, limit 10: no seal")
	require.EqualValues(t, 5, db.headSamples.Load())
	app = db.Appender(context.Background())
	for i := 5; i < 12; i++ {
		_, err := app.Append(0, labels.FromStrings("__name__", "m"), base+int64(i)*15_000, float64(i))
		require.NoError(t, err)
	}
	require.NoError(t, app.Commit())
	db.sealMu.Lock() // wait out a background seal the commit triggered
	db.sealMu.Unlock()
	if db.headSamples.Load() >= 10 {
		require.True(t, db.sealIfOverLimit(context.Background()))
	}
	require.Zero(t, db.headSamples.Load())
	require.False(t, db.sealIfOverLimit(context.Background()), "a stale signal after the seal: no second seal")
}

// TestSealFreezesSamplesAppendedDuringIt: samples committed while a seal
// holds its snapshot go on into head chunks after the snapshot's (the seal
// cut the open chunk), not into the head slice at 40 bytes each — unless
// the series' slice held samples at the snapshot (a histogram here), whose
// positions the seal counts: then they wait in the slice and the seal
// freezes them as it ends. Either way, an ingest that stops during a seal
// leaves nothing in the slice, and every sample reads back, also after a
// reopen.
func TestSealFreezesSamplesAppendedDuringIt(t *testing.T) {
	base := fixedNow.Add(-time.Hour).UnixMilli()
	ls := labels.FromStrings("__name__", "m")
	for _, tc := range []struct {
		name           string
		histogramFirst bool // a histogram sample in the slice at the snapshot
		wantSlice      int  // head slice length seen during the seal
	}{
		{"chunks only: freezing goes on", false, 0},
		{"slice holds a sample: freezing pauses", true, 1 + 10 + 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var db *DB
			appendRange := func(from, to int) {
				app := db.Appender(context.Background())
				for i := from; i < to; i++ {
					_, err := app.Append(0, ls, base+int64(i)*15_000, float64(i))
					require.NoError(t, err)
				}
				require.NoError(t, app.Commit())
			}
			var duringSlice, duringFrozen int
			once := false
			dir := t.TempDir()
			db = openTestDB(t, dir, Options{Now: nowFunc(&fixedNow), afterSealSnapshot: func() {
				if !once {
					once = true
					appendRange(10, 30)
					s := db.ix.allSeries()[0]
					s.mu.Lock()
					duringSlice, duringFrozen = len(s.head), len(s.frozen)
					s.mu.Unlock()
				}
			}})
			want := 30
			if tc.histogramFirst {
				app := db.Appender(context.Background())
				_, err := app.AppendHistogram(0, ls, base-15_000, testHistogram(1), nil)
				require.NoError(t, err)
				require.NoError(t, app.Commit())
				want++
			}
			appendRange(0, 10)
			require.NoError(t, db.Flush(context.Background()))
			assert.Equal(t, tc.wantSlice, duringSlice, "head slice during the seal")
			if !tc.histogramFirst {
				assert.Equal(t, 2, duringFrozen, "the snapshot's cut chunk, then the new one")
			}
			s := db.ix.allSeries()[0]
			s.mu.Lock()
			headSlice, frozen := len(s.head), len(s.frozen)
			s.mu.Unlock()
			assert.Zero(t, headSlice, "samples appended during the seal left in the head slice")
			assert.Equal(t, 1, frozen)
			assert.EqualValues(t, 20, db.headSamples.Load())
			count := func(db *DB) int {
				n := 0
				for _, pts := range queryAll(t, db, base-60_000, base+1<<30) {
					n += len(pts)
				}
				return n
			}
			require.Equal(t, want, count(db))
			require.NoError(t, db.Close())
			db = openTestDB(t, dir, Options{Now: nowFunc(&fixedNow)})
			defer db.Close()
			require.Equal(t, want, count(db), "after a reopen")
		})
	}
}
