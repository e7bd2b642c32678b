package tsdb

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/testfs"
)

// diskFaults makes WAL segment files behave like files on a disk that fills
// up: after budget bytes (negative: never) a write stores what fits and
// fails with ENOSPC, and with failTruncate the rollback's truncate fails too.
type diskFaults struct {
	mu           sync.Mutex
	budget       int64
	failTruncate bool
}

func (d *diskFaults) set(budget int64, failTruncate bool) {
	d.mu.Lock()
	d.budget, d.failTruncate = budget, failTruncate
	d.mu.Unlock()
}

func (d *diskFaults) open(path string) (walFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: f, d: d}, nil
}

type faultyFile struct {
	*os.File
	d *diskFaults
}

func (f *faultyFile) Write(p []byte) (int, error) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if f.d.budget < 0 {
		return f.File.Write(p)
	}
	if int64(len(p)) <= f.d.budget {
		f.d.budget -= int64(len(p))
		return f.File.Write(p)
	}
	n, _ := f.File.Write(p[:f.d.budget])
	f.d.budget = 0
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

func (f *faultyFile) Truncate(size int64) error {
	f.d.mu.Lock()
	fail := f.d.failTruncate
	f.d.mu.Unlock()
	if fail {
		return &os.PathError{Op: "truncate", Path: f.Name(), Err: syscall.EIO}
	}
	return f.File.Truncate(size)
}

// ackLog appends batches of 10 samples and remembers what was acknowledged.
type ackLog struct {
	t    *testing.T
	db   *DB
	want map[string][]point
}

func (a *ackLog) commit(batch int, series ...labels.Labels) error {
	app := a.db.Appender(context.Background())
	var pts []point
	for k := range 10 {
		ts := crashBaseMillis + int64(batch*10+k)*1000
		pts = append(pts, point{T: ts, V: float64(batch*10 + k)})
		for _, ls := range series {
			_, err := app.Append(0, ls, ts, float64(batch*10+k))
			require.NoError(a.t, err)
		}
	}
	if err := app.Commit(); err != nil {
		return err
	}
	for _, ls := range series {
		a.want[ls.String()] = append(a.want[ls.String()], pts...)
	}
	return nil
}

// crashCopy copies dir aside as kill -9 would leave it (no Close).
func crashCopy(t *testing.T, dir string) string {
	t.Helper()
	crashed := t.TempDir()
	require.NoError(t, os.CopyFS(crashed, os.DirFS(dir)))
	return crashed
}

var longRetention = Options{Retention: 100 * 365 * 24 * time.Hour}

// TestWALFailedWriteKeepsLaterCommits reproduces the disk-full episode of
// issue 12: a WAL write fails half-way (ENOSPC), space returns, more commits
// are acknowledged, the process is killed. Every acknowledged sample must be
// there after reopening; before the fix replay stopped at the torn record.
func TestWALFailedWriteKeepsLaterCommits(t *testing.T) {
	for _, tc := range []struct {
		name         string
		failTruncate bool
	}{
		{"rolled back by truncation", false},
		{"new segment when truncation fails too", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			faults := &diskFaults{budget: -1}
			opts := longRetention
			opts.walOpen = faults.open
			db := openTestDB(t, dir, opts)
			a := &ackLog{t: t, db: db, want: map[string][]point{}}
			old := labels.FromStrings("__name__", "acked", "s", "old")
			fresh := labels.FromStrings("__name__", "acked", "s", "new") // first logged in the failed commit
			for b := range 5 {
				require.NoError(t, a.commit(b, old))
			}
			faults.set(40, tc.failTruncate) // a few bytes of the next record fit
			require.ErrorIs(t, a.commit(5, old, fresh), syscall.ENOSPC)
			require.ErrorIs(t, a.commit(6, old, fresh), syscall.ENOSPC)
			faults.set(-1, false) // space is back
			for b := 7; b < 30; b++ {
				require.NoError(t, a.commit(b, old, fresh))
			}
			require.Equal(t, a.want, queryAll(t, db, 0, 1<<62))
			crashed := crashCopy(t, dir)
			require.NoError(t, db.Close())

			db = openTestDB(t, crashed, longRetention)
			defer db.Close()
			require.Equal(t, a.want, queryAll(t, db, 0, 1<<62))
		})
	}
}

// TestWALReplayResyncsAfterTornRecord: a segment that holds a torn record
// followed by complete ones (as versions before the rollback wrote after a
// failed write) replays every complete record.
func TestWALReplayResyncsAfterTornRecord(t *testing.T) {
	dir := t.TempDir()
	db := openTestDB(t, dir, longRetention)
	ls := labels.FromStrings("__name__", "m")
	app := db.Appender(context.Background())
	ref, err := app.Append(0, ls, 1000, 1)
	require.NoError(t, err)
	require.NoError(t, app.Commit())
	crashed := crashCopy(t, dir)
	require.NoError(t, db.Close())

	segs, err := listSegments(filepath.Join(crashed, "wal"))
	require.NoError(t, err)
	f, err := os.OpenFile(segmentName(filepath.Join(crashed, "wal"), segs[len(segs)-1]), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	frame := func(ts int64) []byte {
		rec := append(make([]byte, walFrameHeader), appendWALSample(nil, uint64(ref), &sample{t: ts, v: float64(ts)})...)
		frameWALRecord(rec)
		return rec
	}
	torn := frame(2000)
	_, err = f.Write(torn[:len(torn)-3])
	require.NoError(t, err)
	for _, ts := range []int64{3000, 4000} {
		_, err = f.Write(frame(ts))
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())

	db = openTestDB(t, crashed, longRetention)
	defer db.Close()
	require.Equal(t, []point{{T: 1000, V: 1}, {T: 3000, V: 3000}, {T: 4000, V: 4000}}, queryAll(t, db, 0, 10_000)[ls.String()])
}

// TestWALFullTmpfs is TestWALFailedWriteKeepsLaterCommits on a real tmpfs
// filled to the last byte (skipped where a tmpfs cannot be mounted).
func TestWALFullTmpfs(t *testing.T) {
	mnt := testfs.Tmpfs(t, 48<<20)
	dir := filepath.Join(mnt, "db")
	db := openTestDB(t, dir, longRetention)
	closed := false
	defer func() {
		if !closed {
			_ = db.Close()
		}
	}()
	a := &ackLog{t: t, db: db, want: map[string][]point{}}
	var series []labels.Labels
	for i := range 200 { // ~40 KiB records: a partial write is likely
		series = append(series, labels.FromStrings("__name__", "acked", "i", string(rune('a'+i%26))+string(rune('a'+i/26))))
	}
	for b := range 5 {
		require.NoError(t, a.commit(b, series...))
	}
	filler := testfs.Fill(t, mnt, "filler")
	defer os.Remove(filler) // on failure too, before anything closes badger on a full disk (SIGBUS)
	failed := 0
	for b := 5; b < 10; b++ {
		if err := a.commit(b, series...); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			failed++
		}
	}
	require.Positive(t, failed, "no WAL write failed on a full tmpfs")
	require.NoError(t, os.Remove(filler))
	for b := 10; b < 40; b++ {
		require.NoError(t, a.commit(b, series...))
	}
	crashed := crashCopy(t, dir)
	closed = true
	require.NoError(t, db.Close())

	db2 := openTestDB(t, crashed, longRetention)
	defer db2.Close()
	require.Equal(t, a.want, queryAll(t, db2, 0, 1<<62))
	acked := 0
	for _, pts := range a.want {
		acked += len(pts)
	}
	t.Logf("%d commits failed with ENOSPC on the full tmpfs; all %d acknowledged samples present after kill -9", failed, acked)
}

// TestCommitNeverReliesOnAnotherCommitsSeriesRecord: commit A logs a new
// series, commit B for the same series runs between A's encoding and A's
// WAL write, and A's write fails. B was acknowledged, so its samples must
// replay: B carries the series record itself. Before, A marked the series
// logged while encoding, B wrote samples without a series record, and
// replay skipped them as samples of an unknown series.
func TestCommitNeverReliesOnAnotherCommitsSeriesRecord(t *testing.T) {
	dir := t.TempDir()
	faults := &diskFaults{budget: -1}
	opts := longRetention
	opts.walOpen = faults.open
	var interleave func()
	opts.beforeWALWrite = func() {
		if f := interleave; f != nil {
			interleave = nil
			f()
		}
	}
	db := openTestDB(t, dir, opts)
	a := &ackLog{t: t, db: db, want: map[string][]point{}}
	ls := labels.FromStrings("__name__", "shared")
	interleave = func() { // inside A, before its write: B commits in full
		require.NoError(t, a.commit(1, ls))
		faults.set(10, false) // A's write will tear and fail
	}
	require.ErrorIs(t, a.commit(0, ls), syscall.ENOSPC)
	faults.set(-1, false)
	require.NoError(t, a.commit(2, ls))
	crashed := crashCopy(t, dir)
	require.NoError(t, db.Close())

	db = openTestDB(t, crashed, longRetention)
	defer db.Close()
	require.Equal(t, a.want, queryAll(t, db, 0, 1<<62))
}
