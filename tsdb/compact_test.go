package tsdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// diskBlocks counts the blocks in badger directly from their keys: an
// account independent of the DB's in-memory counters.
type diskBlocks struct{ Blocks, Samples, Bytes int64 }

func scanDiskBlocks(t testing.TB, db *DB) diskBlocks {
	t.Helper()
	var d diskBlocks
	require.NoError(t, db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixBlock}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			_, m, err := parseBlockKey(it.Item().Key())
			if err != nil {
				return err
			}
			d.Blocks++
			d.Samples += int64(m.count)
			d.Bytes += int64(len(it.Item().Key())) + it.Item().ValueSize()
		}
		return nil
	}))
	return d
}

func statBlocks(st Stats) diskBlocks {
	return diskBlocks{Blocks: st.Blocks, Samples: st.SamplesStored, Bytes: st.BlockBytes}
}

// copyDir copies the regular files under src to dst: the image a crash
// would leave, taken while the DB is open.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}))
}

// appendEvery appends (t, f(t)) for ts to ls, committing every batch samples.
func appendEvery(t testing.TB, db *DB, ls labels.Labels, ts []int64, f func(int64) float64, batch int) {
	t.Helper()
	app := db.Appender(context.Background())
	for i, t0 := range ts {
		_, err := app.Append(0, ls, t0, f(t0))
		require.NoError(t, err)
		if (i+1)%batch == 0 {
			require.NoError(t, app.Commit())
			app = db.Appender(context.Background())
		}
	}
	require.NoError(t, app.Commit())
}

func TestCompactMergesSmallAndOverlappingBlocks(t *testing.T) {
	dir := t.TempDir()
	now := fixedNow
	opts := Options{Now: nowFunc(&now), BlockSamples: 100, OutOfOrderWindow: 2 * time.Hour, sealEveryCommit: true}
	db := openTestDB(t, dir, opts)
	base := now.Add(-30 * time.Hour).UnixMilli() // spans two UTC days
	ts := rangeTS(base, 60_000, 1800)
	lsA := labels.FromStrings("__name__", "x", "file", "a")
	lsB := labels.FromStrings("__name__", "x", "file", "b")
	appendEvery(t, db, lsA, ts, func(t int64) float64 { return float64(t%7919) / 8 }, 20)
	appendEvery(t, db, lsB, ts, func(t int64) float64 { return -float64(t % 104729) }, 20)

	// Rewrites of already sealed samples (last write wins) and one new
	// out-of-order sample: blocks that overlap earlier blocks.
	last := ts[len(ts)-1]
	dups := ts[len(ts)-10:]
	appendEvery(t, db, lsA, dups, func(t int64) float64 { return 1e6 + float64(t-last) }, 5)
	appendEvery(t, db, lsA, []int64{last - 90_000}, func(int64) float64 { return 42 }, 1)

	mint, maxt := ts[0], last
	want := queryAll(t, db, mint, maxt)
	require.Len(t, want[lsA.String()], 1801)
	require.Len(t, want[lsB.String()], 1800)
	assert.Equal(t, 1e6, want[lsA.String()][1800].V, "the rewrite wins before compaction")
	wantSub := queryAll(t, db, ts[1000], ts[1700])

	before := db.Stats()
	require.Equal(t, int64(3600+10+1), before.SamplesStored, "a sealed duplicate is stored twice until compaction")
	require.Equal(t, statBlocks(before), scanDiskBlocks(t, db))

	require.NoError(t, db.Compact(context.Background()))
	after := db.Stats()
	assert.Equal(t, int64(3601), after.SamplesStored, "each duplicate counted once")
	// Per series and UTC day ceil(samples/100) blocks.
	wantBlocks := int64(0)
	for _, pts := range want {
		perDay := map[int32]int64{}
		for _, p := range pts {
			perDay[dayOf(p.T)]++
		}
		for _, n := range perDay {
			wantBlocks += (n + 99) / 100
		}
	}
	assert.Equal(t, wantBlocks, after.Blocks)
	assert.Less(t, after.Blocks, before.Blocks/4)
	assert.Less(t, after.BytesPerSample, before.BytesPerSample)
	require.Equal(t, statBlocks(after), scanDiskBlocks(t, db), "counters match badger")
	require.Equal(t, want, queryAll(t, db, mint, maxt), "identical results after compaction")
	require.Equal(t, wantSub, queryAll(t, db, ts[1000], ts[1700]))

	// A second pass finds nothing to do.
	passes := testutil.ToFloat64(db.m.compactions)
	require.NoError(t, db.Compact(context.Background()))
	assert.Equal(t, passes, testutil.ToFloat64(db.m.compactions))
	assert.Equal(t, statBlocks(after), statBlocks(db.Stats()))

	require.NoError(t, db.Close())
	opts.sealEveryCommit = false
	db = openTestDB(t, dir, opts)
	defer db.Close()
	require.Equal(t, want, queryAll(t, db, mint, maxt), "after reopen")
	require.Equal(t, statBlocks(after), statBlocks(db.Stats()), "block accounting survives reopen")
}

func TestCompactCrashBetweenTransactions(t *testing.T) {
	dir := t.TempDir()
	crash := true
	errCrash := errors.New("simulated crash")
	opts := Options{Retention: 100 * 365 * 24 * time.Hour, BlockSamples: 100, sealEveryCommit: true, compactMaxTxnOps: 20,
		compactCommitHook: func(n int) error {
			if crash && n == 1 {
				return errCrash
			}
			return nil
		}}
	db := openTestDB(t, dir, opts)
	base := fixedNow.UnixMilli()
	const nSeries = 6
	ts := rangeTS(base, 1000, 200)
	for s := range nSeries {
		ls := labels.FromStrings("__name__", "c", "s", fmt.Sprint(s))
		appendEvery(t, db, ls, ts, func(t int64) float64 { return float64(t-base) * float64(s+1) }, 10)
		// One rewrite per series: an overlapping block.
		appendEvery(t, db, ls, ts[150:151], func(int64) float64 { return -1 }, 1)
	}
	want := queryAll(t, db, base, ts[len(ts)-1])
	before := db.Stats()
	require.Equal(t, int64(nSeries*201), before.SamplesStored)

	err := db.Compact(context.Background())
	require.ErrorIs(t, err, errCrash)
	live := db.Stats()
	require.Less(t, live.Blocks, before.Blocks, "the first transaction committed")
	require.Greater(t, live.SamplesStored, int64(nSeries*200), "later transactions did not")
	require.Equal(t, statBlocks(live), scanDiskBlocks(t, db), "counters follow committed transactions only")
	require.Equal(t, want, queryAll(t, db, base, ts[len(ts)-1]))

	// What a crash right now leaves on disk: reopen a copy of the files.
	image := t.TempDir()
	copyDir(t, dir, image)
	crashed := openTestDB(t, image, Options{Retention: opts.Retention, BlockSamples: 100})
	require.Equal(t, want, queryAll(t, crashed, base, ts[len(ts)-1]), "no sample lost or doubled")
	require.Equal(t, statBlocks(live), statBlocks(crashed.Stats()))
	require.NoError(t, crashed.Compact(context.Background()))
	require.Equal(t, int64(nSeries*200), crashed.Stats().SamplesStored)
	require.Equal(t, want, queryAll(t, crashed, base, ts[len(ts)-1]))
	require.NoError(t, crashed.Close())

	crash = false
	require.NoError(t, db.Close())
}

func TestCompactConcurrentWithAppendsAndQueries(t *testing.T) {
	for _, tc := range []struct{ nSeries, perWriter, batches int }{
		{10, 50, 20}, // many small blocks
		{2, 200, 30}, // long heads: samples freeze into XOR chunks while seals run
	} {
		t.Run(fmt.Sprintf("series=%d", tc.nSeries), func(t *testing.T) {
			testCompactConcurrent(t, tc.nSeries, tc.perWriter, tc.batches)
		})
	}
}

func testCompactConcurrent(t *testing.T, nSeries, perWriter, batches int) {
	db := openTestDB(t, t.TempDir(), Options{BlockSamples: 64})
	defer db.Close()
	const writers = 4
	var committed atomic.Int64 // distinct timestamps acknowledged
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				app := db.Appender(context.Background())
				for k := range perWriter {
					ls := labels.FromStrings("__name__", "c", "s", fmt.Sprint(k%nSeries))
					ts := int64((b*perWriter+k)*writers + w)
					if _, err := app.Append(0, ls, ts, float64(ts)); err != nil {
						t.Error(err)
						return
					}
				}
				if b > 0 { // rewrite a sample of the previous batch, likely sealed by now
					ts := int64(((b-1)*perWriter+w)*writers + w)
					ls := labels.FromStrings("__name__", "c", "s", fmt.Sprint(w%nSeries))
					if _, err := app.Append(0, ls, ts, float64(ts)); err != nil {
						t.Error(err)
						return
					}
				}
				if err := app.Commit(); err != nil {
					t.Error(err)
					return
				}
				committed.Add(int64(perWriter))
			}
		}()
	}
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(2)
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := db.Flush(context.Background()); err != nil {
				t.Error(err)
				return
			}
			if err := db.Compact(context.Background()); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			atLeast := committed.Load()
			total := int64(0)
			for _, pts := range queryAll(t, db, 0, 1<<40) {
				total += int64(len(pts))
				for i, p := range pts {
					if p.V != float64(p.T) || (i > 0 && p.T <= pts[i-1].T) {
						t.Errorf("sample %v: unsorted, duplicated or wrong", p)
						return
					}
				}
			}
			if total < atLeast {
				t.Errorf("query saw %d samples, %d were committed before it started", total, atLeast)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	bg.Wait()

	require.NoError(t, db.Flush(context.Background()))
	require.NoError(t, db.Compact(context.Background()))
	total := writers * perWriter * batches
	got := 0
	for _, pts := range queryAll(t, db, 0, 1<<40) {
		got += len(pts)
	}
	require.Equal(t, total, got)
	st := db.Stats()
	require.Equal(t, int64(0), st.HeadSamples)
	require.Equal(t, int64(total), st.SamplesStored, "rewrites counted once after compaction")
	require.Equal(t, statBlocks(st), scanDiskBlocks(t, db))
}

func TestPlanCompaction(t *testing.T) {
	day := dayOf(fixedNow.UnixMilli())
	dayStart := int64(day) * dayMillis
	blk := func(seq uint64, minT, maxT int64, count uint32) blockMeta {
		return blockMeta{minT: dayStart + minT, maxT: dayStart + maxT, seq: seq, day: dayOf(dayStart + minT), count: count, bytes: 100}
	}
	seqs := func(runs [][]blockMeta) [][]uint64 {
		var out [][]uint64
		for _, r := range runs {
			var s []uint64
			for _, m := range r {
				s = append(s, m.seq)
			}
			out = append(out, s)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		blocks []blockMeta
		want   [][]uint64
	}{
		{"one block", []blockMeta{blk(1, 0, 10, 5)}, nil},
		{"full blocks stay", []blockMeta{blk(1, 0, 10, 100), blk(2, 11, 20, 100)}, nil},
		{"small adjacent merge", []blockMeta{blk(1, 0, 10, 20), blk(2, 11, 20, 20), blk(3, 21, 30, 20)}, [][]uint64{{1, 2, 3}}},
		{"no gain: 60+60 need two blocks", []blockMeta{blk(1, 0, 10, 60), blk(2, 11, 20, 60)}, nil},
		{"full block splits runs", []blockMeta{blk(1, 0, 10, 20), blk(2, 11, 20, 20), blk(3, 21, 30, 100), blk(4, 31, 40, 20), blk(5, 41, 50, 20)},
			[][]uint64{{1, 2}, {4, 5}}},
		{"overlapping full blocks merge", []blockMeta{blk(1, 0, 10, 100), blk(2, 5, 6, 100)}, [][]uint64{{1, 2}}},
		{"transitive overlap, seq order kept", []blockMeta{blk(3, 0, 10, 100), blk(1, 9, 20, 100), blk(2, 20, 30, 100)}, [][]uint64{{1, 2, 3}}},
		{"days never merge", []blockMeta{blk(1, dayMillis-20, dayMillis-10, 5), blk(2, dayMillis, dayMillis+10, 5)}, nil},
		{"run per day", []blockMeta{blk(1, 0, 1, 5), blk(2, 2, 3, 5), blk(3, dayMillis, dayMillis+1, 5), blk(4, dayMillis+2, dayMillis+3, 5)},
			[][]uint64{{1, 2}, {3, 4}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, seqs(planCompaction(tc.blocks, 100)))
		})
	}
}

func TestLabelValuesAndNamesHonourTimeRange(t *testing.T) {
	db := openTestDB(t, t.TempDir(), Options{Retention: 100 * 365 * 24 * time.Hour})
	defer db.Close()
	day := int64(24 * time.Hour / time.Millisecond)
	base := fixedNow.UnixMilli()
	// old: sealed blocks on day 0; new: head samples on day 2; both: a block
	// on day 0 and head samples on day 2 with nothing in between.
	app := db.Appender(context.Background())
	for i := range int64(10) {
		_, err := app.Append(0, labels.FromStrings("__name__", "m", "job", "old", "zone", "eu"), base+i*1000, 1)
		require.NoError(t, err)
		_, err = app.Append(0, labels.FromStrings("__name__", "m", "job", "both"), base+i*1000, 1)
		require.NoError(t, err)
	}
	require.NoError(t, app.Commit())
	require.NoError(t, db.Flush(context.Background()))
	app = db.Appender(context.Background())
	for i := range int64(10) {
		_, err := app.Append(0, labels.FromStrings("__name__", "m", "job", "new", "region", "x"), base+2*day+i*1000, 1)
		require.NoError(t, err)
		_, err = app.Append(0, labels.FromStrings("__name__", "m", "job", "both"), base+2*day+i*1000, 1)
		require.NoError(t, err)
	}
	require.NoError(t, app.Commit())

	all := []string{"both", "new", "old"}
	for _, tc := range []struct {
		name       string
		mint, maxt int64
		ms         []*labels.Matcher
		values     []string
		names      []string
	}{
		{"unbounded", minInt64, maxInt64, nil, all, []string{"__name__", "job", "region", "zone"}},
		{"covering everything", base, base + 3*day, nil, all, []string{"__name__", "job", "region", "zone"}},
		{"old blocks only", base, base + 5000, nil, []string{"both", "old"}, []string{"__name__", "job", "zone"}},
		{"head only", base + 2*day + 9000, base + 3*day, nil, []string{"both", "new"}, []string{"__name__", "job", "region"}},
		{"gap between data", base + day, base + day + 1000, nil, []string{}, []string{}},
		{"edge: last old sample", base + 9000, base + 9000, nil, []string{"both", "old"}, []string{"__name__", "job", "zone"}},
		{"before everything", 0, base - 1, nil, []string{}, []string{}},
		{"with matcher", base, base + 5000, []*labels.Matcher{eq("job", "old")}, []string{"old"}, []string{"__name__", "job", "zone"}},
		{"matcher outside range", base, base + 5000, []*labels.Matcher{eq("job", "new")}, []string{}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := db.Querier(tc.mint, tc.maxt)
			require.NoError(t, err)
			defer q.Close()
			vals, _, err := q.LabelValues(context.Background(), "job", nil, tc.ms...)
			require.NoError(t, err)
			assert.Equal(t, tc.values, vals)
			names, _, err := q.LabelNames(context.Background(), nil, tc.ms...)
			require.NoError(t, err)
			assert.Equal(t, tc.names, names)
		})
	}
}

// A series set selected before a compaction still returns every sample when
// iterated after it, although its blocks were replaced meanwhile.
func TestQuerySelectedBeforeCompaction(t *testing.T) {
	db := openTestDB(t, t.TempDir(), Options{BlockSamples: 100, sealEveryCommit: true})
	defer db.Close()
	ls := labels.FromStrings("__name__", "m")
	ts := rangeTS(fixedNow.UnixMilli(), 1000, 300)
	appendEvery(t, db, ls, ts, func(t int64) float64 { return float64(t % 1000003) }, 10)
	want := queryAll(t, db, ts[0], ts[len(ts)-1])[ls.String()]
	require.Len(t, want, 300)

	q, err := db.Querier(ts[0], ts[len(ts)-1])
	require.NoError(t, err)
	defer q.Close()
	ss := q.Select(context.Background(), false, nil, eq("__name__", "m"))
	require.NoError(t, db.Compact(context.Background()))
	require.Equal(t, int64(3), db.Stats().Blocks)
	require.True(t, ss.Next())
	var got []point
	it := ss.At().Iterator(nil)
	for it.Next() != chunkenc.ValNone {
		t0, v := it.At()
		got = append(got, point{T: t0, V: v})
	}
	require.NoError(t, it.Err())
	require.Equal(t, want, got)
}

func TestBackgroundCompactionAfterSeals(t *testing.T) {
	// HeadMaxSamples makes the background loop seal every few commits;
	// each seal is followed by a compaction pass.
	db := openTestDB(t, t.TempDir(), Options{HeadMaxSamples: 40, BlockSamples: 1000})
	defer db.Close()
	ls := labels.FromStrings("__name__", "m")
	day := dayOf(fixedNow.UnixMilli())
	ts := rangeTS(int64(day)*dayMillis, 1000, 400) // one UTC day
	// Every commit reaches HeadMaxSamples, so a seal (then a compaction)
	// follows each one.
	for lo := 0; lo < len(ts); lo += 40 {
		appendEvery(t, db, ls, ts[lo:lo+40], func(t int64) float64 { return float64(t % 977) }, 40)
		require.Eventually(t, func() bool { return db.Stats().HeadSamples == 0 }, 10*time.Second, time.Millisecond)
	}
	require.Eventually(t, func() bool {
		st := db.Stats()
		return st.Blocks == 1 && st.SamplesStored == 400
	}, 10*time.Second, 5*time.Millisecond, "the background pass merges the small sealed blocks")
	assert.Equal(t, 10.0, testutil.ToFloat64(db.m.seals))
	assert.GreaterOrEqual(t, testutil.ToFloat64(db.m.blocksCompacted), 10.0)
	assert.Equal(t, floatPoints(ts, func(t int64) float64 { return float64(t % 977) }), queryAll(t, db, ts[0], ts[399])[ls.String()])
}

// A graceful Close leaves blocks and little else: no WAL data, no memtable
// logs, no DISCARD file, and no versions of blocks that compaction replaced.
func TestCloseLeavesOnlyLiveBlocks(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Retention: 100 * 365 * 24 * time.Hour, BlockSamples: 500}
	db := openTestDB(t, dir, opts)
	ts := rangeTS(fixedNow.UnixMilli(), 10_000, 3000)
	for s := range 5 {
		ls := labels.FromStrings("__name__", "m", "s", fmt.Sprint(s))
		for lo := 0; lo < len(ts); lo += 100 { // a seal and a compaction every 100 samples
			appendEvery(t, db, ls, ts[lo:lo+100], func(t int64) float64 { return float64(t%86_400_000) / 1000 }, 100)
			require.NoError(t, db.Flush(context.Background()))
			require.NoError(t, db.Compact(context.Background()))
		}
	}
	want := queryAll(t, db, ts[0], ts[len(ts)-1])
	st := db.Stats()
	require.Equal(t, int64(15000), st.SamplesStored)
	require.NoError(t, db.Close())

	var total int64
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		require.NoError(t, err)
		name := d.Name()
		assert.NotEqual(t, "DISCARD", name)
		assert.NotEqual(t, ".mem", filepath.Ext(name), name)
		if filepath.Base(filepath.Dir(p)) == "wal" {
			assert.Zero(t, fi.Size(), "WAL segment %s", name)
		}
		total += fi.Size()
		return nil
	}))
	// 150 seals wrote 750 small blocks that compaction deleted again; what
	// is left is the live blocks plus a small SST and manifest overhead.
	assert.Less(t, total, st.BlockBytes*11/10+4096, "directory %d bytes, live blocks %d", total, st.BlockBytes)

	db = openTestDB(t, dir, opts)
	defer db.Close()
	require.Equal(t, want, queryAll(t, db, ts[0], ts[len(ts)-1]))
}
