package tsdb

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/require"
)

// TestSealInParallelKeepsEverySample: a head of enough series that the
// seal encodes them on several goroutines (packed chunks, open chunks and
// out-of-order samples in the head slice), sealed while commits keep
// arriving, reads back every sample exactly, before and after a reopen.
func TestSealInParallelKeepsEverySample(t *testing.T) {
	dir := t.TempDir()
	db := openTestDB(t, dir, Options{Now: nowFunc(&fixedNow)})
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
