package tsdb

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/require"
)

// TestWALTornTail: a half-written last record (a crash inside write(2)) is
// dropped on replay; every complete record survives.
func TestWALTornTail(t *testing.T) {
	dir := t.TempDir()
	db := openTestDB(t, dir, Options{})
	ls := labels.FromStrings("__name__", "m")
	for i := range 3 {
		app := db.Appender(context.Background())
		_, err := app.Append(0, ls, int64(i+1)*1000, float64(i))
		require.NoError(t, err)
		require.NoError(t, app.Commit())
	}
	// Simulate kill -9: copy the live files aside without Close.
	crashed := t.TempDir()
	require.NoError(t, os.CopyFS(crashed, os.DirFS(dir)))
	require.NoError(t, db.Close())

	segs, err := listSegments(filepath.Join(crashed, "wal"))
	require.NoError(t, err)
	seg := segmentName(filepath.Join(crashed, "wal"), segs[len(segs)-1])
	f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	rec := append(make([]byte, walFrameHeader), appendWALSample(nil, 1, &sample{t: 9000, v: 9})...)
	frameWALRecord(rec)
	_, err = f.Write(rec[:len(rec)-4])
	require.NoError(t, err)
	require.NoError(t, f.Close())

	db = openTestDB(t, crashed, Options{})
	defer db.Close()
	require.Equal(t, []point{{T: 1000, V: 0}, {T: 2000, V: 1}, {T: 3000, V: 2}}, queryAll(t, db, 0, 10_000)[ls.String()])
}

// TestConcurrentAppendSealQuery runs appenders, seals and queries at once and
// checks nothing acknowledged is lost or duplicated.
func TestConcurrentAppendSealQuery(t *testing.T) {
	reg := prometheus.NewRegistry()
	db := openTestDB(t, t.TempDir(), Options{Registerer: reg, BlockSamples: 64})
	defer db.Close()
	const writers, perWriter, batches = 4, 50, 20
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			refs := map[int]storage.SeriesRef{}
			for b := range batches {
				app := db.AppenderV2(context.Background())
				for k := range perWriter {
					s := k % 10 // writers share series names but not timestamps
					ls := labels.FromStrings("__name__", "c", "s", string(rune('a'+s)))
					ts := int64((b*perWriter+k)*writers + w)
					ref, err := app.Append(refs[s], ls, 0, ts, float64(ts), nil, nil, storage.AOptions{})
					if err != nil {
						t.Error(err)
						return
					}
					refs[s] = ref
				}
				if err := app.Commit(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var bg sync.WaitGroup
	bg.Add(2)
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				if err := db.Flush(context.Background()); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Millisecond)
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
				res := queryAll(t, db, 0, 1<<40)
				for _, pts := range res {
					for i := 1; i < len(pts); i++ {
						if pts[i].T <= pts[i-1].T {
							t.Errorf("unsorted or duplicate timestamps")
							return
						}
					}
				}
			}
		}
	}()
	wg.Wait()
	close(stop)
	bg.Wait()
	total := 0
	for _, pts := range queryAll(t, db, 0, 1<<40) {
		total += len(pts)
		for _, p := range pts {
			require.Equal(t, float64(p.T), p.V)
		}
	}
	require.Equal(t, writers*perWriter*batches, total)
	require.Equal(t, float64(writers*perWriter*batches),
		testutil.ToFloat64(db.m.appendedInOrder)+testutil.ToFloat64(db.m.appendedOOO))
	n, err := testutil.GatherAndCount(reg, "mlectl_tsdb_series", "mlectl_tsdb_head_seals_total")
	require.NoError(t, err)
	require.Equal(t, 2, n)
}
