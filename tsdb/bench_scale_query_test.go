package tsdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	ptsdb "github.com/prometheus/prometheus/tsdb"
	"github.com/stretchr/testify/require"
)

// BenchmarkScaleQueryProfile is the query half of BenchmarkScaleNodeExporter
// for iterating on the query path: the same fleet ingested once into both
// systems, then only the queries named by TSDB_SCALE_QUERIES (substrings of
// "phase kind name", comma-separated; all when empty), TSDB_SCALE_REPS times
// each (default 5), with a GC before every timed query for both systems.
// With TSDB_SCALE_PROFILE=dir it writes a CPU profile and an allocation
// profile of each system's queries per phase there. It skips unless
// TSDB_SCALE_QUERY_SERIES is set (default size 30k series, 30 min).
func BenchmarkScaleQueryProfile(b *testing.B) {
	v := os.Getenv("TSDB_SCALE_QUERY_SERIES")
	if v == "" {
		b.Skip("TSDB_SCALE_QUERY_SERIES unset")
	}
	nSeries, err := strconv.Atoi(v)
	require.NoError(b, err)
	minutes, reps := 30, 5
	if v := os.Getenv("TSDB_SCALE_MINUTES"); v != "" {
		minutes, err = strconv.Atoi(v)
		require.NoError(b, err)
	}
	if v := os.Getenv("TSDB_SCALE_REPS"); v != "" {
		reps, err = strconv.Atoi(v)
		require.NoError(b, err)
	}
	var filters []string
	if v := os.Getenv("TSDB_SCALE_QUERIES"); v != "" {
		filters = strings.Split(v, ",")
	}
	profDir := os.Getenv("TSDB_SCALE_PROFILE")

	steps := minutes * int(time.Minute/scaleStep)
	fleet := scaleFleet(nSeries / scaleSeriesPerHost)
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-time.Duration(steps-1) * scaleStep)
	dir := b.TempDir()
	db, err := Open(filepath.Join(dir, "mlectl"), Options{})
	require.NoError(b, err)
	defer db.Close()
	scaleIngest(b, db, fleet, steps, start.UnixMilli())
	pdb, err := ptsdb.Open(filepath.Join(dir, "prom"), nil, nil, promScaleOptions(), nil)
	require.NoError(b, err)
	defer pdb.Close()
	scaleIngest(b, pdb, fleet, steps, start.UnixMilli())

	ng := promql.NewEngine(promql.EngineOpts{MaxSamples: 500_000_000, Timeout: 10 * time.Minute, LookbackDelta: 5 * time.Minute})
	defer ng.Close()
	type job struct{ name, kind, expr string }
	exec := func(s storage.Queryable, j job) (time.Duration, uint64, time.Duration) {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		c0 := processCPU()
		t0 := time.Now()
		var d time.Duration
		pprof.Do(context.Background(), pprof.Labels("q", j.kind+" "+j.name), func(ctx context.Context) {
			var qry promql.Query
			if j.kind == "instant" {
				qry, err = ng.NewInstantQuery(ctx, s, nil, j.expr, end)
			} else {
				qry, err = ng.NewRangeQuery(ctx, s, nil, j.expr, start.Add(5*time.Minute), end, time.Minute)
			}
			require.NoError(b, err)
			res := qry.Exec(ctx)
			require.NoError(b, res.Err)
			d = time.Since(t0)
			qry.Close()
		})
		cpu := processCPU() - c0
		runtime.ReadMemStats(&m1)
		return d, m1.TotalAlloc - m0.TotalAlloc, cpu
	}
	runPhase := func(phase string) {
		var jobs []job
		for _, q := range scaleQueries {
			for _, kind := range []string{"instant", "range"} {
				id := phase + " " + kind + " " + q.name
				keep := len(filters) == 0
				for _, f := range filters {
					keep = keep || strings.Contains(id, f)
				}
				if keep {
					jobs = append(jobs, job{q.name, kind, q.expr})
				}
			}
		}
		if len(jobs) == 0 {
			return
		}
		times := map[string][2][]time.Duration{}
		cpus := map[string][2][]time.Duration{}
		allocs := map[string][2]uint64{}
		for si, sys := range []storage.Queryable{db, pdb} {
			sysName := []string{"mlectl", "prom"}[si]
			var cpu *os.File
			if profDir != "" {
				cpu, err = os.Create(filepath.Join(profDir, fmt.Sprintf("%s-%s.cpu", phase, sysName)))
				require.NoError(b, err)
				require.NoError(b, pprof.StartCPUProfile(cpu))
				writeHeapProfile(b, filepath.Join(profDir, fmt.Sprintf("%s-%s.heap0", phase, sysName)))
			}
			for _, j := range jobs {
				exec(sys, j) // warm up
				for range reps {
					d, a, c := exec(sys, j)
					k := j.kind + " " + j.name
					cs := cpus[k]
					cs[si] = append(cs[si], c)
					cpus[k] = cs
					t := times[k]
					t[si] = append(t[si], d)
					times[k] = t
					al := allocs[k]
					al[si] += a / uint64(reps)
					allocs[k] = al
				}
			}
			if cpu != nil {
				pprof.StopCPUProfile()
				cpu.Close()
				writeHeapProfile(b, filepath.Join(profDir, fmt.Sprintf("%s-%s.heap1", phase, sysName)))
			}
		}
		if bytes, entries := db.cache.size(); entries > 0 {
			fmt.Printf("%-7s mlectl block cache: %d entries, %.1f MB\n", phase, entries, float64(bytes)/(1<<20))
		}
		for _, j := range jobs {
			k := j.kind + " " + j.name
			t := times[k]
			o, p := medianDur(t[0]), medianDur(t[1])
			c := cpus[k]
			fmt.Printf("%-7s %-30s mlectl %-20s prom %-20s %.2fx  cpu ms %.0f / %.0f (%.2fx)  alloc MB %.1f / %.1f\n", phase, k, fmtMs(t[0]), fmtMs(t[1]),
				o.Seconds()/p.Seconds(), ms(medianDur(c[0])), ms(medianDur(c[1])), medianDur(c[0]).Seconds()/medianDur(c[1]).Seconds(),
				float64(allocs[k][0])/(1<<20), float64(allocs[k][1])/(1<<20))
		}
	}
	fmt.Printf("\nquery profile: %d series, %d min\n", nSeries, minutes)
	runPhase("head")
	if os.Getenv("TSDB_SCALE_HEAD_ONLY") == "1" {
		return
	}
	require.NoError(b, db.Flush(context.Background()))
	require.NoError(b, db.Compact(context.Background()))
	require.NoError(b, pdb.CompactHead(ptsdb.NewRangeHead(pdb.Head(), start.UnixMilli(), end.UnixMilli())))
	runPhase("sealed")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// processCPU returns the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	require.NoError(b, err)
	defer f.Close()
	require.NoError(b, pprof.Lookup("allocs").WriteTo(f, 0))
}
