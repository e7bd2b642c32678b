package tsdb

import (
	"context"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/nab"
)

// loadSharedNAB loads every NAB file of the shared data set as one series
// (label file=<name>) ending at now; the benchmark skips without it.
func loadSharedNAB(b *testing.B, now int64) []nabSeries {
	b.Helper()
	dir, ok := nab.SharedDir()
	if !ok {
		b.Skip("the full NAB set (../shared/data/nab) is absent; this benchmark needs all of it")
	}
	return readNABDir(b, dir, "nab", now)
}

// xorBytes is the size of Prometheus XOR chunks of 120 samples (the head's
// default) holding the same series.
func xorBytes(b *testing.B, data []nabSeries) int64 {
	var total int64
	for _, s := range data {
		for lo := 0; lo < len(s.ts); lo += 120 {
			c := chunkenc.NewXORChunk()
			app, err := c.Appender()
			require.NoError(b, err)
			for i := lo; i < min(lo+120, len(s.ts)); i++ {
				app.Append(0, s.ts[i], s.vs[i])
			}
			total += int64(len(c.Bytes()))
		}
	}
	return total
}

// dirFiles returns the apparent size of every file under dir.
func dirFiles(b *testing.B, dir string) (map[string]int64, int64) {
	files := map[string]int64{}
	var total int64
	require.NoError(b, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[rel] = fi.Size()
		total += fi.Size()
		return nil
	}))
	return files, total
}

// BenchmarkBytesPerSampleOnDisk: every NAB series appended in time order
// (commits of 1000), then a graceful Close (seal and compaction); reports
// the DB directory's total file size per sample and the block bytes per
// sample next to Prometheus XOR chunks of 120 samples on the same data.
//
// seal-at-close keeps everything in the head until Close. seal-every-2h
// replays the production cycle: a seal every 2h of data time, each followed
// by a compaction pass, as the background loop does; the small blocks and
// their deletions churn badger, whose garbage Close must not leave behind.
func BenchmarkBytesPerSampleOnDisk(b *testing.B) {
	now := time.Now().UnixMilli()
	data := loadSharedNAB(b, now)
	order := nabOrder(data)
	xor := xorBytes(b, data)
	for _, sealEvery := range []time.Duration{0, 2 * time.Hour} {
		name := "seal-at-close"
		if sealEvery > 0 {
			name = "seal-every-2h"
		}
		b.Run(name, func(b *testing.B) {
			var (
				samples    int
				diskBytes  int64
				blockBytes int64
				seals      int
				files      map[string]int64
			)
			for range b.N {
				dir := filepath.Join(b.TempDir(), "db")
				db, err := Open(dir, Options{Retention: 100 * 365 * 24 * time.Hour})
				require.NoError(b, err)
				samples, seals = appendNABSealing(b, db, data, order, 1000, sealEvery.Milliseconds())
				// Close seals and compacts; doing both first gives the final stats.
				require.NoError(b, db.Flush(context.Background()))
				require.NoError(b, db.Compact(context.Background()))
				st := db.Stats()
				require.Equal(b, int64(samples), st.SamplesStored)
				blockBytes = st.BlockBytes
				require.NoError(b, db.Close())
				files, diskBytes = dirFiles(b, dir)
				for name, size := range files {
					if strings.HasPrefix(name, "wal"+string(filepath.Separator)) {
						require.Zero(b, size, "a graceful Close leaves the WAL empty")
					}
				}
			}
			names := make([]string, 0, len(files))
			for n := range files {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				b.Logf("%-28s %9d bytes", n, files[n])
			}
			b.Logf("%d series, %d samples, %d seals before Close, %d files", len(data), samples, seals, len(files))
			n := float64(samples)
			b.ReportMetric(float64(diskBytes)/n, "disk-bytes/sample")
			b.ReportMetric(float64(blockBytes)/n, "block-bytes/sample")
			b.ReportMetric(float64(xor)/n, "xor120-bytes/sample")
			b.ReportMetric(float64(diskBytes)/float64(xor), "disk-ratio-vs-xor")
			b.ReportMetric(float64(blockBytes)/float64(xor), "block-ratio-vs-xor")
			b.ReportMetric(n, "samples")
		})
	}
}

// appendNABSealing is appendNAB that, when sealEvery > 0, also seals and
// compacts each time the data's clock passes another sealEvery ms.
func appendNABSealing(b *testing.B, db *DB, data []nabSeries, order [][2]int32, batch int, sealEvery int64) (samples, seals int) {
	if sealEvery <= 0 {
		return appendNAB(b, db, data, order, batch), 0
	}
	refs := make([]storage.SeriesRef, len(data))
	app := db.Appender(context.Background())
	inBatch := 0
	lastSeal := data[order[0][0]].ts[order[0][1]]
	for _, o := range order {
		s := &data[o[0]]
		t := s.ts[o[1]]
		if t-lastSeal >= sealEvery {
			require.NoError(b, app.Commit())
			require.NoError(b, db.Flush(context.Background()))
			require.NoError(b, db.Compact(context.Background()))
			seals++
			lastSeal = t
			app, inBatch = db.Appender(context.Background()), 0
		}
		ref, err := app.Append(refs[o[0]], s.lset, t, s.vs[o[1]])
		require.NoError(b, err)
		refs[o[0]] = ref
		if inBatch++; inBatch == batch {
			require.NoError(b, app.Commit())
			app, inBatch = db.Appender(context.Background()), 0
		}
	}
	require.NoError(b, app.Commit())
	return len(order), seals
}
