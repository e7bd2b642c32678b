package tsdb

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundTripHeadBlocksReopen(t *testing.T) {
	dir := t.TempDir()
	now := fixedNow
	db := openTestDB(t, dir, Options{Now: nowFunc(&now), BlockSamples: 100})
	base := now.Add(-36 * time.Hour).UnixMilli() // spans two UTC days
	ts := rangeTS(base, 60_000, 1500)
	val := func(t int64) float64 { return float64((t-base)/60_000) * 0.25 }
	lsA := labels.FromStrings("__name__", "x", "file", "a")
	lsB := labels.FromStrings("__name__", "x", "file", "b")
	lsH := labels.FromStrings("__name__", "h")

	app := db.Appender(context.Background())
	var refA storage.SeriesRef
	for i, t0 := range ts {
		var err error
		refA, err = app.Append(refA, lsA, t0, val(t0))
		require.NoError(t, err)
		_, err = app.Append(0, lsB, t0, -val(t0))
		require.NoError(t, err)
		if i < 50 {
			_, err = app.AppendHistogram(0, lsH, t0, testHistogram(i), nil)
			require.NoError(t, err)
		}
	}
	require.NoError(t, app.Commit())

	var wantH []point
	for i := range 50 {
		wantH = append(wantH, point{T: ts[i], H: testHistogram(i)})
	}
	want := map[string][]point{
		lsA.String(): floatPoints(ts, val),
		lsB.String(): floatPoints(ts, func(t int64) float64 { return -val(t) }),
		lsH.String(): wantH,
	}
	mint, maxt := ts[0], ts[len(ts)-1]
	require.Equal(t, want, queryAll(t, db, mint, maxt), "head")
	require.Equal(t, int64(3000+50), db.Stats().HeadSamples)

	require.NoError(t, db.Flush(context.Background()))
	st := db.Stats()
	require.Equal(t, int64(0), st.HeadSamples)
	require.Equal(t, int64(3050), st.SamplesStored)
	require.Greater(t, st.Blocks, int64(30), "BlockSamples=100 splits the series")
	require.Equal(t, want, queryAll(t, db, mint, maxt), "sealed blocks")

	// A sub-range decodes only overlapping blocks and trims to the range.
	sub := queryAll(t, db, ts[700], ts[710], labels.MustNewMatcher(labels.MatchEqual, "file", "a"))
	require.Equal(t, map[string][]point{lsA.String(): floatPoints(ts[700:711], val)}, sub)

	// Head + blocks mixed: new in-order samples stay in the head.
	app = db.Appender(context.Background())
	_, err := app.Append(refA, lsA, maxt+60_000, 42)
	require.NoError(t, err)
	require.NoError(t, app.Commit())
	want[lsA.String()] = append(floatPoints(ts, val), point{T: maxt + 60_000, V: 42})
	require.Equal(t, want, queryAll(t, db, mint, maxt+60_000), "head and blocks")

	require.NoError(t, db.Close())
	db = openTestDB(t, dir, Options{Now: nowFunc(&now)})
	defer db.Close()
	require.Equal(t, want, queryAll(t, db, mint, maxt+60_000), "after reopen")
	st = db.Stats()
	require.Equal(t, 3, st.Series)
	require.Equal(t, int64(3051), st.SamplesStored)
	require.Equal(t, int64(0), st.HeadSamples)
	require.Zero(t, st.WALBytes, "Close seals everything, the WAL is empty")
	require.Greater(t, st.BytesOnDisk, int64(0))
	require.Greater(t, st.BytesPerSample, 0.0)
	require.Equal(t, []Stat{{Name: "x", Value: 2}, {Name: "h", Value: 1}}, st.SeriesCountByMetricName)
	require.Equal(t, mint, st.MinTime)
	start, err := db.StartTime()
	require.NoError(t, err)
	require.Equal(t, mint, start)

	// Label queries.
	q, err := db.Querier(mint, maxt)
	require.NoError(t, err)
	vals, _, err := q.LabelValues(context.Background(), "file", nil)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, vals)
	vals, _, err = q.LabelValues(context.Background(), "file", nil, labels.MustNewMatcher(labels.MatchNotEqual, "file", "a"))
	require.NoError(t, err)
	require.Equal(t, []string{"b"}, vals)
	names, _, err := q.LabelNames(context.Background(), nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", "h"))
	require.NoError(t, err)
	require.Equal(t, []string{"__name__"}, names)
	require.NoError(t, q.Close())
}

func TestOutOfOrderAndDuplicates(t *testing.T) {
	for _, sealFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("sealed=%v", sealFirst), func(t *testing.T) {
			db := openTestDB(t, t.TempDir(), Options{OutOfOrderWindow: 10 * time.Minute})
			defer db.Close()
			ls := labels.FromStrings("__name__", "m")
			const min = int64(60_000)
			base := fixedNow.UnixMilli()
			app := db.AppenderV2(context.Background())
			for i := range 30 {
				_, err := app.Append(0, ls, 0, base+int64(i)*min, float64(i), nil, nil, storage.AOptions{})
				require.NoError(t, err)
			}
			require.NoError(t, app.Commit())
			if sealFirst {
				require.NoError(t, db.Flush(context.Background()))
			}
			maxT := base + 29*min

			app = db.AppenderV2(context.Background())
			// Inside the window: a new timestamp between existing ones, and a duplicate.
			_, err := app.Append(0, ls, 0, maxT-5*min-30_000, 1000, nil, nil, storage.AOptions{})
			require.NoError(t, err)
			_, err = app.Append(0, ls, 0, maxT-3*min, 2000, nil, nil, storage.AOptions{})
			require.NoError(t, err)
			// Too old.
			_, err = app.Append(0, ls, 0, maxT-11*min, 3000, nil, nil, storage.AOptions{})
			require.ErrorIs(t, err, storage.ErrTooOldSample)
			assert.Contains(t, err.Error(), "out-of-order window")
			// Explicitly in-order-only append.
			_, err = app.Append(0, ls, 0, maxT-min, 4000, nil, nil, storage.AOptions{RejectOutOfOrder: true})
			require.ErrorIs(t, err, storage.ErrOutOfOrderSample)
			require.NoError(t, app.Commit())

			got := queryAll(t, db, base, maxT)[ls.String()]
			require.Len(t, got, 31)
			byT := map[int64]float64{}
			for i, p := range got {
				if i > 0 {
					require.Less(t, got[i-1].T, p.T, "sorted and deduplicated")
				}
				byT[p.T] = p.V
			}
			assert.Equal(t, 1000.0, byT[maxT-5*min-30_000])
			assert.Equal(t, 2000.0, byT[maxT-3*min], "last write wins")
			assert.Equal(t, 28.0, byT[maxT-min])

			st := db.Stats()
			assert.Equal(t, int64(2), st.RejectedOutOfWindow)
			if sealFirst {
				// Duplicates of sealed samples are only resolved at query time.
				assert.Equal(t, int64(2), st.AcceptedOutOfOrder)
			} else {
				assert.Equal(t, int64(1), st.AcceptedOutOfOrder)
				assert.Equal(t, int64(1), st.DuplicateSamples)
			}
			// Sealing again keeps the merged view.
			require.NoError(t, db.Flush(context.Background()))
			require.Equal(t, got, queryAll(t, db, base, maxT)[ls.String()])
		})
	}
}

func TestOutOfOrderDisabled(t *testing.T) {
	db := openTestDB(t, t.TempDir(), Options{OutOfOrderWindow: -1})
	defer db.Close()
	ls := labels.FromStrings("__name__", "m")
	app := db.Appender(context.Background())
	_, err := app.Append(0, ls, 2000, 1)
	require.NoError(t, err)
	require.NoError(t, app.Commit())
	app = db.Appender(context.Background())
	_, err = app.Append(0, ls, 1000, 1)
	require.True(t, errors.Is(err, storage.ErrOutOfOrderSample), err)
	_, err = app.Append(0, ls, 2000, 5) // same timestamp: last write wins
	require.NoError(t, err)
	require.NoError(t, app.Commit())
	require.Equal(t, []point{{T: 2000, V: 5}}, queryAll(t, db, 0, 3000)[ls.String()])
}

func TestAppendValidation(t *testing.T) {
	db := openTestDB(t, t.TempDir(), Options{})
	defer db.Close()
	app := db.Appender(context.Background())
	defer app.Rollback()
	_, err := app.Append(0, labels.EmptyLabels(), 1, 1)
	require.ErrorContains(t, err, "empty label set")
	_, err = app.Append(0, labels.New(labels.Label{Name: "a", Value: "1"}, labels.Label{Name: "a", Value: "2"}), 1, 1)
	require.ErrorContains(t, err, `label name "a" appears twice`)
	_, err = app.AppendHistogram(0, labels.FromStrings("a", "b"), 1, &histogram.Histogram{Count: 1, PositiveBuckets: []int64{5}}, nil)
	require.ErrorContains(t, err, "invalid histogram")
	// Empty values are dropped like Prometheus does.
	ref, err := app.Append(0, labels.FromStrings("__name__", "m", "x", ""), 1, 1)
	require.NoError(t, err)
	require.NoError(t, app.Commit())
	require.Equal(t, labels.FromStrings("__name__", "m"), db.ix.getByRef(uint64(ref)).lset)
	// A finished appender refuses more work instead of corrupting a pooled one.
	_, err = app.Append(ref, labels.EmptyLabels(), 2, 2)
	require.ErrorIs(t, err, errAppenderDone)
	require.ErrorIs(t, app.Commit(), errAppenderDone)
	require.NoError(t, app.Rollback())
}

func TestRetentionFreesDisk(t *testing.T) {
	dir := t.TempDir()
	now := fixedNow
	db := openTestDB(t, dir, Options{Now: nowFunc(&now), Retention: 3 * 24 * time.Hour})
	defer db.Close()
	start := now.Add(-10 * 24 * time.Hour).UnixMilli()
	// 10 days of 30s samples for 20 series; "old" series only in the first 2 days.
	for day := range 10 {
		app := db.Appender(context.Background())
		for s := range 20 {
			name := "recent"
			if s >= 18 {
				if day >= 2 {
					continue
				}
				name = "old"
			}
			ls := labels.FromStrings("__name__", name, "i", fmt.Sprint(s))
			var ref storage.SeriesRef
			for k := range 2880 {
				t0 := start + int64(day)*dayMillis + int64(k)*30_000
				var err error
				ref, err = app.Append(ref, ls, t0, math.Sin(float64(t0)/1e7)*float64(s))
				require.NoError(t, err)
			}
		}
		require.NoError(t, app.Commit())
		require.NoError(t, db.Flush(context.Background()))
	}
	require.NoError(t, db.bdb.Flatten(2))
	before := db.Stats()
	require.Equal(t, 20, before.Series)
	require.Equal(t, int64(2880*(18*10+2*2)), before.SamplesStored)

	require.NoError(t, db.ApplyRetention(context.Background()))
	after := db.Stats()
	cutoff := now.Add(-3 * 24 * time.Hour).UnixMilli()
	cutoffDayStart := int64(dayOf(cutoff)) * dayMillis
	assert.Equal(t, 18, after.Series, "series whose data all expired leave the index")
	assert.Less(t, after.SamplesStored, before.SamplesStored/2)
	assert.GreaterOrEqual(t, after.MinTime, cutoffDayStart)
	assert.Less(t, after.MinTime, cutoff)
	assert.Less(t, after.BytesOnDisk, before.BytesOnDisk, "disk usage %d -> %d", before.BytesOnDisk, after.BytesOnDisk)
	assert.Less(t, sstBytes(t, dir), before.BlockBytes, "SSTs hold no more than the live blocks")

	res := queryAll(t, db, start, now.UnixMilli())
	require.Len(t, res, 18)
	for _, pts := range res {
		require.GreaterOrEqual(t, pts[0].T, cutoffDayStart)
	}
	q, err := db.Querier(start, now.UnixMilli())
	require.NoError(t, err)
	vals, _, err := q.LabelValues(context.Background(), "__name__", nil)
	require.NoError(t, err)
	require.Equal(t, []string{"recent"}, vals)

	// The deletion survives a reopen.
	require.NoError(t, db.Close())
	db = openTestDB(t, dir, Options{Now: nowFunc(&now), Retention: 3 * 24 * time.Hour})
	assert.Equal(t, 18, db.Stats().Series)
	assert.Equal(t, after.SamplesStored, db.Stats().SamplesStored)
}

func TestRemoveSealed(t *testing.T) {
	sealed := []sample{{t: 1, v: 1}, {t: 2, v: 2}, {t: 4, v: 4}}
	head := []sample{{t: 1, v: 1}, {t: 2, v: 20}, {t: 3, v: 3}, {t: 4, v: 4}, {t: 5, v: 5}}
	require.Equal(t, []sample{{t: 2, v: 20}, {t: 3, v: 3}, {t: 5, v: 5}}, removeSealed(head, sealed))
}
