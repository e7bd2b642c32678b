package tsdb

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	ptsdb "github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/wlog"
	"github.com/prometheus/prometheus/util/compression"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/nab"
)

// nabSeries is one NAB file as a series whose last sample is at "now".
type nabSeries struct {
	lset labels.Labels
	ts   []int64
	vs   []float64
}

// loadNAB reads every NAB file (the shared set, or the repository's
// testdata subset), sorted and deduplicated, shifted to end at now.
func loadNAB(b testing.TB, now int64) []nabSeries {
	b.Helper()
	dir, ok := nab.SharedDir()
	if !ok {
		td, err := nab.TestdataDir()
		require.NoError(b, err)
		dir = td
	}
	return readNABDir(b, dir, "x", now)
}

// readNABDir reads every NAB file under dir as one series named metric
// (label file=<name>), sorted, deduplicated and shifted to end at now.
// A present but empty data set would measure nothing: it fails, not skips.
func readNABDir(b testing.TB, dir, metric string, now int64) []nabSeries {
	b.Helper()
	files, err := nab.Files(dir)
	require.NoError(b, err)
	require.NotEmpty(b, files, "no NAB files under %s", dir)
	out := make([]nabSeries, 0, len(files))
	for _, f := range files {
		ts, vs, err := nab.Load(f)
		require.NoError(b, err)
		ts, vs = nab.SortDedup(ts, vs)
		if len(ts) == 0 {
			continue
		}
		shift := now - ts[len(ts)-1]
		for i := range ts {
			ts[i] += shift
		}
		name := strings.TrimSuffix(filepath.Base(f), ".csv")
		out = append(out, nabSeries{lset: labels.FromStrings("__name__", metric, "file", name), ts: ts, vs: vs})
	}
	require.NotEmpty(b, out, "every NAB file under %s is empty", dir)
	return out
}

// nabOrder returns (series, sample) index pairs in global time order, the
// order a scraper or remote-write sender delivers them.
func nabOrder(data []nabSeries) [][2]int32 {
	var order [][2]int32
	for i, s := range data {
		for j := range s.ts {
			order = append(order, [2]int32{int32(i), int32(j)})
		}
	}
	slices.SortStableFunc(order, func(a, b [2]int32) int {
		return cmp.Compare(data[a[0]].ts[a[1]], data[b[0]].ts[b[1]])
	})
	return order
}

// appendNAB appends all samples in time order, committing every batch
// samples, with cached series refs. Returns the number of samples.
func appendNAB(b testing.TB, a storage.Appendable, data []nabSeries, order [][2]int32, batch int) int {
	refs := make([]storage.SeriesRef, len(data))
	app := a.Appender(context.Background())
	inBatch := 0
	for _, o := range order {
		s := &data[o[0]]
		ref, err := app.Append(refs[o[0]], s.lset, s.ts[o[1]], s.vs[o[1]])
		if err != nil {
			b.Fatal(err)
		}
		refs[o[0]] = ref
		if inBatch++; inBatch == batch {
			if err := app.Commit(); err != nil {
				b.Fatal(err)
			}
			app = a.Appender(context.Background())
			inBatch = 0
		}
	}
	if err := app.Commit(); err != nil {
		b.Fatal(err)
	}
	return len(order)
}

func openPromHead(b testing.TB, dir string) *ptsdb.Head {
	w, err := wlog.NewSize(nil, nil, filepath.Join(dir, "wal"), wlog.DefaultSegmentSize, compression.None)
	require.NoError(b, err)
	opts := ptsdb.DefaultHeadOptions()
	opts.ChunkDirRoot = dir
	h, err := ptsdb.NewHead(nil, nil, w, nil, opts, nil)
	require.NoError(b, err)
	require.NoError(b, h.Init(math.MinInt64))
	return h
}

// BenchmarkAppendNAB: samples/s appended into this DB versus Prometheus's
// tsdb.Head with its WAL on, same data, same batching, same machine.
func BenchmarkAppendNAB(b *testing.B) {
	now := time.Now().UnixMilli()
	data := loadNAB(b, now)
	order := nabOrder(data)
	const batch = 1000
	var ourDur, promDur time.Duration
	samples := 0
	bytesPerSample := 0.0
	var ourHeap, promHeap int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		db, err := Open(filepath.Join(dir, "mlectl"), Options{Retention: 10 * 365 * 24 * time.Hour})
		require.NoError(b, err)
		head := openPromHead(b, filepath.Join(dir, "prom"))
		b.StartTimer()

		heap0 := liveHeap()
		t0 := time.Now()
		samples = appendNAB(b, db, data, order, batch)
		ourDur += time.Since(t0)
		b.StopTimer()
		heap1 := liveHeap()
		b.StartTimer()

		t0 = time.Now()
		appendNAB(b, head, data, order, batch)
		promDur += time.Since(t0)

		b.StopTimer()
		heap2 := liveHeap()
		ourHeap, promHeap = heap1-heap0, heap2-heap1
		require.NoError(b, db.Flush(context.Background()))
		bytesPerSample = db.Stats().BytesPerSample
		require.NoError(b, db.Close())
		require.NoError(b, head.Close())
		b.StartTimer()
	}
	total := float64(samples) * float64(b.N)
	b.ReportMetric(total/ourDur.Seconds(), "mlectl-samples/s")
	b.ReportMetric(total/promDur.Seconds(), "prom-samples/s")
	b.ReportMetric(promDur.Seconds()/ourDur.Seconds(), "speedup-vs-prom")
	b.ReportMetric(float64(samples), "samples/op")
	b.ReportMetric(bytesPerSample, "mlectl-block-bytes/sample")
	b.ReportMetric(float64(ourHeap)/float64(samples), "mlectl-head-heap-bytes/sample")
	b.ReportMetric(float64(promHeap)/float64(samples), "prom-head-heap-bytes/sample")
}

// liveHeap returns the bytes of live heap objects after a full GC.
func liveHeap() int64 {
	// Twice: objects parked in sync.Pools (encoder and decoder scratch)
	// survive one cycle in the pools' victim caches.
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// BenchmarkQueryNAB14d: latency of sum by (file) (rate(x[5m])) over 14 days
// at 60s steps through Prometheus's PromQL engine, on this DB (data sealed in
// blocks) versus on Prometheus's own TSDB (tsdb.Open, data in its head).
func BenchmarkQueryNAB14d(b *testing.B) {
	nowT := time.Now().Truncate(time.Minute)
	now := nowT.UnixMilli()
	data := loadNAB(b, now)
	order := nabOrder(data)
	dir := b.TempDir()

	db, err := Open(filepath.Join(dir, "mlectl"), Options{Retention: 10 * 365 * 24 * time.Hour})
	require.NoError(b, err)
	defer db.Close()
	appendNAB(b, db, data, order, 1000)
	require.NoError(b, db.Flush(context.Background()))

	popts := ptsdb.DefaultOptions()
	popts.RetentionDuration = 0
	pdb, err := ptsdb.Open(filepath.Join(dir, "prom"), nil, nil, popts, nil)
	require.NoError(b, err)
	defer pdb.Close()
	pdb.DisableCompactions()
	appendNAB(b, pdb, data, order, 1000)

	ng := promql.NewEngine(promql.EngineOpts{MaxSamples: 100_000_000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute})
	defer ng.Close()
	start, end := nowT.Add(-14*24*time.Hour), nowT
	// NAB series are mostly 5-minute samples, so [5m] windows hold a single
	// sample and rate() returns little; [30m] makes the engine do full work.
	for _, qs := range []string{`sum by (file) (rate(x[5m]))`, `sum by (file) (rate(x[30m]))`} {
		b.Run(strings.NewReplacer(" ", "", "(", "_", ")", "_", "[", "", "]", "").Replace(qs), func(b *testing.B) {
			run := func(q storage.Queryable) (time.Duration, int) {
				t0 := time.Now()
				qry, err := ng.NewRangeQuery(context.Background(), q, nil, qs, start, end, time.Minute)
				require.NoError(b, err)
				res := qry.Exec(context.Background())
				require.NoError(b, res.Err)
				m, err := res.Matrix()
				require.NoError(b, err)
				pts := 0
				for _, s := range m {
					pts += len(s.Floats)
				}
				qry.Close()
				return time.Since(t0), pts
			}
			// Same answer size from both stores.
			_, ourPts := run(db)
			_, promPts := run(pdb)
			require.Equal(b, promPts, ourPts, "result points")
			require.Greater(b, ourPts, 0)

			var ourDur, promDur time.Duration
			b.ResetTimer()
			for range b.N {
				d, _ := run(db)
				ourDur += d
				d, _ = run(pdb)
				promDur += d
			}
			b.ReportMetric(float64(ourDur.Microseconds())/1000/float64(b.N), "mlectl-ms/query")
			b.ReportMetric(float64(promDur.Microseconds())/1000/float64(b.N), "prom-ms/query")
			b.ReportMetric(ourDur.Seconds()/promDur.Seconds(), "latency-ratio-vs-prom")
			b.ReportMetric(float64(ourPts), "points")
		})
	}
}

var _ = fmt.Sprint

// BenchmarkAppendHotPath: one Append with a cached ref plus a Commit every
// 1000 samples, 100 series, versus Prometheus's head; reports allocations.
func BenchmarkAppendHotPath(b *testing.B) {
	const nSeries = 100
	lsets := make([]labels.Labels, nSeries)
	for i := range lsets {
		lsets[i] = labels.FromStrings("__name__", "hot", "i", fmt.Sprint(i))
	}
	for _, tc := range []struct {
		name string
		open func(b *testing.B) (storage.Appendable, func() error)
	}{
		{"mlectl", func(b *testing.B) (storage.Appendable, func() error) {
			db, err := Open(b.TempDir(), Options{})
			require.NoError(b, err)
			return db, db.Close
		}},
		{"prometheus-head", func(b *testing.B) (storage.Appendable, func() error) {
			h := openPromHead(b, b.TempDir())
			return h, h.Close
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			a, closeFn := tc.open(b)
			defer closeFn()
			tc := struct{ a storage.Appendable }{a}
			refs := make([]storage.SeriesRef, nSeries)
			app := tc.a.Appender(context.Background())
			base := time.Now().UnixMilli()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				s := i % nSeries
				ref, err := app.Append(refs[s], lsets[s], base+int64(i/nSeries)*1000, float64(i))
				if err != nil {
					b.Fatal(err)
				}
				refs[s] = ref
				if i%1000 == 999 {
					if err := app.Commit(); err != nil {
						b.Fatal(err)
					}
					app = tc.a.Appender(context.Background())
				}
			}
			require.NoError(b, app.Commit())
			b.StopTimer() // closing (sealing) is not part of the append path
		})
	}
}
