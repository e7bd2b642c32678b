package tsdb

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	rtmetrics "runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	ptsdb "github.com/prometheus/prometheus/tsdb"
	"github.com/stretchr/testify/require"
)

// The scale benchmark feeds a node-exporter-like fleet to this DB and to
// Prometheus's own TSDB in the same process, then runs the same PromQL
// through the same engine on both and checks the answers agree.
//
// Each host exports 100 series: 32 cpu-seconds counters (4 CPUs x 8
// modes), 8 network and 8 disk byte counters, 10 memory gauges, 12
// filesystem gauges, 3 load averages, a 12-bucket classic histogram with
// its _sum and _count, and 13 vmstat counters. Values look like
// node_exporter's (counters with two decimals, byte gauges as integers).

const (
	scaleSeriesPerHost = 100
	scaleStep          = 15 * time.Second
	scaleSenders       = 4    // parallel remote-write senders
	scaleBatch         = 2000 // samples per request (Commit)
	scaleJobs          = 10
)

var (
	scaleCPUModes  = []string{"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"}
	scaleMemNames  = []string{"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "Active", "Inactive", "Dirty", "SwapFree", "Slab"}
	scaleMounts    = []string{"/", "/boot", "/var", "/data"}
	scaleFSMetrics = []string{"node_filesystem_avail_bytes", "node_filesystem_free_bytes", "node_filesystem_size_bytes"}
	scaleVMStat    = []string{"pgfault", "pgmajfault", "pgpgin", "pgpgout", "pswpin", "pswpout", "oom_kill", "numa_hit", "numa_miss", "pgsteal_direct", "pgscan_kswapd", "thp_fault_alloc", "allocstall_normal"}
	scaleLe        = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, math.Inf(1)}
)

// scaleKind says how a series' values evolve.
type scaleKind uint8

const (
	kindCounter scaleKind = iota
	kindGaugeBytes
	kindGaugeLoad
	kindHistBucket // cumulative bucket count; param = bucket index
	kindHistCount
	kindHistSum
)

type scaleSeries struct {
	lset  labels.Labels
	kind  scaleKind
	param int
	seed  float64 // per-series pseudo-random in [0,1)
	host  int
}

// scaleFleet builds the label sets of hosts*100 series.
func scaleFleet(hosts int) []scaleSeries {
	out := make([]scaleSeries, 0, hosts*scaleSeriesPerHost)
	b := labels.NewScratchBuilder(6)
	for h := range hosts {
		inst := fmt.Sprintf("host-%06d:9100", h)
		job := fmt.Sprintf("node-%d", h%scaleJobs)
		add := func(kind scaleKind, param int, name string, kv ...string) {
			b.Reset()
			b.Add("__name__", name)
			b.Add("instance", inst)
			b.Add("job", job)
			for i := 0; i+1 < len(kv); i += 2 {
				b.Add(kv[i], kv[i+1])
			}
			b.Sort()
			i := len(out)
			seed := math.Mod(float64(uint64(i)*2654435761%1000003)/1000003+float64(h)*0.618034, 1)
			out = append(out, scaleSeries{lset: b.Labels(), kind: kind, param: param, seed: seed, host: h})
		}
		for cpu := range 4 {
			for _, m := range scaleCPUModes {
				add(kindCounter, 0, "node_cpu_seconds_total", "cpu", strconv.Itoa(cpu), "mode", m)
			}
		}
		for _, dev := range []string{"eth0", "eth1", "eth2", "lo"} {
			add(kindCounter, 0, "node_network_receive_bytes_total", "device", dev)
			add(kindCounter, 0, "node_network_transmit_bytes_total", "device", dev)
		}
		for _, dev := range []string{"sda", "sdb", "nvme0n1", "nvme1n1"} {
			add(kindCounter, 0, "node_disk_read_bytes_total", "device", dev)
			add(kindCounter, 0, "node_disk_written_bytes_total", "device", dev)
		}
		for _, m := range scaleMemNames {
			add(kindGaugeBytes, 0, "node_memory_"+m+"_bytes")
		}
		for _, mp := range scaleMounts {
			for _, m := range scaleFSMetrics {
				add(kindGaugeBytes, 0, m, "mountpoint", mp, "fstype", "ext4")
			}
		}
		for _, l := range []string{"node_load1", "node_load5", "node_load15"} {
			add(kindGaugeLoad, 0, l)
		}
		for i, le := range scaleLe {
			add(kindHistBucket, i, "http_request_duration_seconds_bucket", "le", strconv.FormatFloat(le, 'g', -1, 64))
		}
		add(kindHistSum, 0, "http_request_duration_seconds_sum")
		add(kindHistCount, 0, "http_request_duration_seconds_count")
		for _, v := range scaleVMStat {
			add(kindCounter, 0, "node_vmstat_"+v)
		}
	}
	return out
}

// value returns series s's value at scrape step i: deterministic, so every
// system gets the same input without storing it. Counters never decrease.
func (s *scaleSeries) value(i int) float64 {
	x := float64(i)
	switch s.kind {
	case kindCounter:
		rate := 0.05 + 20*s.seed*s.seed // per second
		w := 0.05 + 0.1*s.seed
		amp := rate * scaleStep.Seconds() / w * 0.5
		v := 1000*s.seed + rate*scaleStep.Seconds()*x + amp*(1-math.Cos(w*x))
		return math.Round(v*100) / 100
	case kindGaugeBytes:
		return math.Round(1e9*(1+s.seed) + 2e8*math.Sin(0.03*x+6*s.seed))
	case kindGaugeLoad:
		return math.Round((2+2*s.seed+math.Sin(0.07*x+6*s.seed))*100) / 100
	}
	// Histogram series share the host's request stream.
	hs := math.Mod(float64(s.host)*0.754877666, 1)
	reqRate := 5 + 50*hs
	count := math.Floor(reqRate*scaleStep.Seconds()*x + 40*(1-math.Cos(0.05*x)))
	switch s.kind {
	case kindHistBucket:
		le := scaleLe[s.param]
		if math.IsInf(le, 1) {
			return count
		}
		median := 0.05 + 0.2*hs
		return math.Floor(count * le / (le + median))
	case kindHistCount:
		return count
	default: // kindHistSum
		return math.Round(count*(0.05+0.2*hs)*1000) / 1000
	}
}

// scaleIngest appends every sample the way remote write does: scaleSenders
// goroutines, each owning a share of the hosts, send their hosts' samples
// scrape by scrape in requests (Commits) of scaleBatch samples, by labels
// (no cached refs). Returns the samples appended.
func scaleIngest(b *testing.B, a storage.Appendable, fleet []scaleSeries, steps int, start int64) int64 {
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, scaleSenders)
	hosts := len(fleet) / scaleSeriesPerHost
	for g := range scaleSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			app := a.Appender(context.Background())
			n, inBatch := int64(0), 0
			for i := range steps {
				t := start + int64(i)*scaleStep.Milliseconds()
				for h := g; h < hosts; h += scaleSenders {
					for k := h * scaleSeriesPerHost; k < (h+1)*scaleSeriesPerHost; k++ {
						s := &fleet[k]
						if _, err := app.Append(0, s.lset, t, s.value(i)); err != nil {
							errs <- err
							return
						}
						n++
						if inBatch++; inBatch == scaleBatch {
							if err := app.Commit(); err != nil {
								errs <- err
								return
							}
							app = a.Appender(context.Background())
							inBatch = 0
						}
					}
				}
			}
			if err := app.Commit(); err != nil {
				errs <- err
				return
			}
			total.Add(n)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return total.Load()
}

// promScaleOptions are the options of the scale benchmarks' Prometheus
// TSDB: the defaults, without retention (the fleet's data ends now).
func promScaleOptions() *ptsdb.Options {
	o := ptsdb.DefaultOptions()
	o.RetentionDuration = 0
	return o
}

// waitBackgroundIdle returns once no seal or compaction runs or is
// signalled in db (seen twice, 100 ms apart: a seal signals its compaction
// as it ends).
func waitBackgroundIdle(db *DB) {
	for idle := 0; idle < 2; {
		db.sealMu.Lock()
		pending := len(db.sealCh) > 0 || len(db.compactCh) > 0
		db.sealMu.Unlock()
		if pending {
			idle = 0
		} else {
			idle++
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// heapPeak samples the Go heap (live and not yet collected objects) every
// 10ms until stop is called, and returns the highest value seen.
func heapPeak() (stop func() int64) { return metricPeak("/memory/classes/heap/objects:bytes") }

// liveHeapPeak is heapPeak of the heap each GC cycle found live. Both
// stores share one heap, so the GC's goal - and with it the garbage part
// of heapPeak - follows their combined live heap: the second system's
// heapPeak carries headroom for the first one's data. The live heap at
// each GC belongs to what is held, not to the pacer.
func liveHeapPeak() (stop func() int64) { return metricPeak("/gc/heap/live:bytes") }

func metricPeak(name string) (stop func() int64) {
	sample := []rtmetrics.Sample{{Name: name}}
	var peak atomic.Int64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		for {
			rtmetrics.Read(sample)
			if v := int64(sample[0].Value.Uint64()); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tk.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

type scaleQuery struct {
	name, expr string
}

var scaleQueries = []scaleQuery{
	{"sum(rate)", `sum(rate(node_cpu_seconds_total[5m]))`},
	{"sum by (job)(rate)", `sum by (job) (rate(node_cpu_seconds_total[5m]))`},
	{"regex matcher", `sum by (job) (rate(node_network_receive_bytes_total{instance=~".*[02468]:9100", device=~"eth.*"}[5m]))`},
	{"histogram_quantile", `histogram_quantile(0.9, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))`},
	{"max_over_time", `max by (job) (max_over_time(node_load1[10m]))`},
	{"count (cardinality)", `count({__name__=~".+"})`},
}

// scaleResult is one query's latencies and CPU times on both systems.
type scaleResult struct {
	phase, query, kind string
	ours, prom         []time.Duration
	oursCPU, promCPU   []time.Duration
}

// BenchmarkScaleNodeExporter: the node-exporter fleet at 10k and 100k series
// (1M with TSDB_SCALE_1M=1), scaleMinutes of data at 15s (TSDB_SCALE_MINUTES,
// default 30; the workload is 120). Ingest rate, heap, and instant
// and range latencies of six queries right after ingest (head) and after
// sealing (mlectl: Flush+Compact; Prometheus: its head compacted into a
// block), beside Prometheus's TSDB and engine on the same input.
func BenchmarkScaleNodeExporter(b *testing.B) {
	minutes := 30
	if v := os.Getenv("TSDB_SCALE_MINUTES"); v != "" {
		m, err := strconv.Atoi(v)
		require.NoError(b, err, "TSDB_SCALE_MINUTES")
		minutes = m
	}
	scales := []int{10_000, 100_000}
	if os.Getenv("TSDB_SCALE_1M") == "1" {
		scales = append(scales, 1_000_000)
	}
	if v := os.Getenv("TSDB_SCALE_SERIES"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err, "TSDB_SCALE_SERIES")
		scales = []int{n}
	}
	for _, n := range scales {
		b.Run(fmt.Sprintf("series=%d", n), func(b *testing.B) {
			runScale(b, n, minutes)
		})
	}
}

func runScale(b *testing.B, nSeries, minutes int) {
	steps := minutes * int(time.Minute/scaleStep)
	fleet := scaleFleet(nSeries / scaleSeriesPerHost)
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-time.Duration(steps-1) * scaleStep)
	dir := b.TempDir()
	reps := 3
	if nSeries >= 1_000_000 {
		reps = 1
	}

	// Ingest into mlectl, then into Prometheus.
	heap0 := liveHeap()
	db, err := Open(filepath.Join(dir, "mlectl"), Options{})
	require.NoError(b, err)
	defer db.Close()
	prof := scaleProfile(b, "ingest-mlectl")
	stop, stopLive := heapPeak(), liveHeapPeak()
	t0 := time.Now()
	samples := scaleIngest(b, db, fleet, steps, start.UnixMilli())
	ourIngest := time.Since(t0)
	progress("mlectl ingest: %d samples in %.1fs, process peak RSS %s MB", samples, ourIngest.Seconds(), mb(vmHWM()))
	ourPeak, ourLivePeak := stop()-heap0, stopLive()-heap0
	prof()
	// A seal the ingest started, and the compaction after it, hold copies
	// of the head they are turning into blocks; the live heap is measured
	// once they are done, as Prometheus's, which has no background work
	// at this point (its full head chunks are already mmapped).
	waitBackgroundIdle(db)
	heap1 := liveHeap()
	cacheBytes, _ := db.cache.size() // blocks the background seal cached
	ourLive := heap1 - heap0
	ourHWM := vmHWM() // the process so far: the generator and mlectl alone

	pdb, err := ptsdb.Open(filepath.Join(dir, "prom"), nil, nil, promScaleOptions(), nil)
	require.NoError(b, err)
	defer pdb.Close()
	prof = scaleProfile(b, "ingest-prom")
	stop, stopLive = heapPeak(), liveHeapPeak()
	t0 = time.Now()
	scaleIngest(b, pdb, fleet, steps, start.UnixMilli())
	promIngest := time.Since(t0)
	progress("prometheus ingest: %.1fs, process peak RSS %s MB", promIngest.Seconds(), mb(vmHWM()))
	promPeak, promLivePeak := stop()-heap1, stopLive()-heap1
	prof()
	heap2 := liveHeap()
	promLive := heap2 - heap1

	ng := promql.NewEngine(promql.EngineOpts{MaxSamples: 500_000_000, Timeout: 10 * time.Minute, LookbackDelta: 5 * time.Minute})
	defer ng.Close()
	var results []scaleResult
	// Each timed query starts from a collected heap (TSDB_SCALE_QUERY_GC=0
	// turns this off): both stores share one Go heap, so otherwise a GC
	// cycle owed to the other system's work (its ingest, its compaction,
	// its previous query) runs during whichever query the pacer picks,
	// and on 2 cores a cycle over both heaps costs as much as a query.
	gcFirst := os.Getenv("TSDB_SCALE_QUERY_GC") != "0"
	var gcDuring [2]uint32 // GC cycles that ran during timed queries: mlectl, Prometheus
	runPhase := func(phase string) {
		for _, q := range scaleQueries {
			if only := os.Getenv("TSDB_SCALE_ONLY"); only != "" && !slices.Contains(strings.Split(only, ","), q.name) {
				continue
			}
			for _, kind := range []string{"instant", "range"} {
				r := scaleResult{phase: phase, query: q.name, kind: kind}
				// The result is valid until the query is closed (the engine
				// pools its slices), so exec returns the query to close.
				exec := func(s storage.Queryable) (parser.Value, time.Duration, promql.Query, time.Duration) {
					if gcFirst {
						runtime.GC()
					}
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					gc0 := ms.NumGC
					c0 := processCPU()
					t0 := time.Now()
					var qry promql.Query
					var err error
					if kind == "instant" {
						qry, err = ng.NewInstantQuery(context.Background(), s, nil, q.expr, end)
					} else {
						qry, err = ng.NewRangeQuery(context.Background(), s, nil, q.expr, start.Add(5*time.Minute), end, time.Minute)
					}
					require.NoError(b, err)
					res := qry.Exec(context.Background())
					d, cpu := time.Since(t0), processCPU()-c0
					require.NoError(b, res.Err, "%s %s on %T", kind, q.expr, s)
					runtime.ReadMemStats(&ms)
					if s == storage.Queryable(db) {
						gcDuring[0] += ms.NumGC - gc0
					} else {
						gcDuring[1] += ms.NumGC - gc0
					}
					return res.Value, d, qry, cpu
				}
				// First run of each: check the answers agree (and warm up).
				ov, od, oq, oc := exec(db)
				pv, pd, pq, pc := exec(pdb)
				requireSameValue(b, pv, ov, "%s %s query %s", phase, kind, q.expr)
				oq.Close()
				pq.Close()
				r.ours, r.prom = append(r.ours, od), append(r.prom, pd)
				r.oursCPU, r.promCPU = append(r.oursCPU, oc), append(r.promCPU, pc)
				for range reps - 1 {
					_, od, oq, oc = exec(db)
					oq.Close()
					_, pd, pq, pc = exec(pdb)
					pq.Close()
					r.ours, r.prom = append(r.ours, od), append(r.prom, pd)
					r.oursCPU, r.promCPU = append(r.oursCPU, oc), append(r.promCPU, pc)
				}
				results = append(results, r)
				progress("%s %s %s: mlectl %s ms, prometheus %s ms (answers equal)", phase, kind, q.name, fmtMs(r.ours), fmtMs(r.prom))
			}
		}
	}
	runPhase("head")

	// Settle: mlectl seals everything and compacts; Prometheus compacts
	// its head into a persistent block.
	prof = scaleProfile(b, "seal-mlectl")
	t0 = time.Now()
	require.NoError(b, db.Flush(context.Background()))
	require.NoError(b, db.Compact(context.Background()))
	ourSettle := time.Since(t0)
	prof()
	progress("mlectl seal+compact: %.1fs, process peak RSS %s MB", ourSettle.Seconds(), mb(vmHWM()))
	prof = scaleProfile(b, "compact-prom")
	t0 = time.Now()
	require.NoError(b, pdb.CompactHead(ptsdb.NewRangeHead(pdb.Head(), start.UnixMilli(), end.UnixMilli())))
	promSettle := time.Since(t0)
	prof()
	runPhase("sealed")
	heap3 := liveHeap()
	st := db.Stats()

	var promBlockBytes int64
	for _, blk := range pdb.Blocks() {
		promBlockBytes += blk.Size()
	}

	ratio := func(a, p float64) string { return fmt.Sprintf("%.2fx", a/p) }
	var sb strings.Builder
	fmt.Fprintf(&sb, "\nscale: %d series (%d hosts), %d min at 15s = %d samples, %d senders x %d samples/commit, GOMAXPROCS=%d\n",
		nSeries, nSeries/scaleSeriesPerHost, minutes, samples, scaleSenders, scaleBatch, runtime.GOMAXPROCS(0))
	fmt.Fprintf(&sb, "| %-34s | %14s | %14s | %8s | %9s |\n", "measure", "mlectl", "prometheus", "ratio", "CPU ratio")
	row := func(name, a, p, r string, cpu ...string) {
		fmt.Fprintf(&sb, "| %-34s | %14s | %14s | %8s | %9s |\n", name, a, p, r, strings.Join(cpu, ""))
	}
	ourRate, promRate := float64(samples)/ourIngest.Seconds(), float64(samples)/promIngest.Seconds()
	row("ingest samples/s", fmt.Sprintf("%.0f", ourRate), fmt.Sprintf("%.0f", promRate), ratio(ourRate, promRate))
	row("heap peak during ingest, MB", mb(ourPeak), mb(promPeak), ratio(float64(ourPeak), float64(promPeak)))
	row("live heap peak (at GCs) in ingest, MB", mb(ourLivePeak), mb(promLivePeak), ratio(float64(ourLivePeak), float64(promLivePeak)))
	row("live heap after ingest, B/series", perSeries(ourLive, nSeries), perSeries(promLive, nSeries), ratio(float64(ourLive), float64(promLive)))
	row("  of which block cache, B/series", perSeries(cacheBytes, nSeries), "", "")
	row("seal/compact head, s", fmt.Sprintf("%.2f", ourSettle.Seconds()), fmt.Sprintf("%.2f", promSettle.Seconds()), ratio(ourSettle.Seconds(), promSettle.Seconds()))
	row("live heap both, sealed, B/series", perSeries(heap3-heap0, nSeries), "", "")
	row("disk bytes/sample (blocks)", fmt.Sprintf("%.2f", st.BytesPerSample), fmt.Sprintf("%.2f", float64(promBlockBytes)/float64(samples)), ratio(st.BytesPerSample, float64(promBlockBytes)/float64(samples)))
	worst := 0.0
	for _, r := range results {
		o, p := medianDur(r.ours), medianDur(r.prom)
		rt := o.Seconds() / p.Seconds()
		worst = max(worst, rt)
		row(fmt.Sprintf("%s %s %s, ms", r.phase, r.kind, r.query), fmtMs(r.ours), fmtMs(r.prom), fmt.Sprintf("%.2fx", rt),
			fmt.Sprintf("%.2fx", medianDur(r.oursCPU).Seconds()/medianDur(r.promCPU).Seconds()))
	}
	// CPU ratio: the medians of the process's CPU time (user+system, all
	// goroutines) during each query, which a loaded machine's scheduling
	// delays do not inflate as they do wall time.
	fmt.Fprintf(&sb, "queries timed after a GC: %v; GC cycles during timed queries: mlectl %d, Prometheus %d\n", gcFirst, gcDuring[0], gcDuring[1])
	if hwm := vmHWM(); hwm > 0 {
		fmt.Fprintf(&sb, "process peak RSS: %s MB after mlectl's ingest (before Prometheus's), %s MB at the end (both systems)\n", mb(ourHWM), mb(hwm))
	}
	// Printed, not logged: the testing package cuts benchmark logs at 10 lines.
	fmt.Println(sb.String())
	b.ReportMetric(ourRate, "mlectl-samples/s")
	b.ReportMetric(promRate, "prom-samples/s")
	b.ReportMetric(float64(ourLive)/float64(nSeries), "mlectl-heap-B/series")
	b.ReportMetric(float64(promLive)/float64(nSeries), "prom-heap-B/series")
	b.ReportMetric(worst, "worst-query-latency-ratio-vs-prom")
}

// progress prints a line as a long run (TSDB_SCALE_PROGRESS=1) goes, so a
// run cut off by its timeout still reports what it measured.
func progress(format string, args ...any) {
	if os.Getenv("TSDB_SCALE_PROGRESS") == "1" {
		fmt.Printf("%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
	}
}

func mb(v int64) string { return fmt.Sprintf("%.0f", float64(v)/(1<<20)) }

func perSeries(v int64, n int) string { return fmt.Sprintf("%.0f", float64(v)/float64(n)) }

func medianDur(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// fmtMs prints the median, and the range when there are several runs.
func fmtMs(ds []time.Duration) string {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	if len(ds) == 1 {
		return fmt.Sprintf("%.1f", ms(ds[0]))
	}
	return fmt.Sprintf("%.1f (%.0f-%.0f)", ms(medianDur(ds)), ms(slices.Min(ds)), ms(slices.Max(ds)))
}

// vmHWM returns the process's peak resident set size (Linux), or 0.
func vmHWM() int64 { return procStatusBytes("VmHWM:") }

// procStatusBytes returns a kB field of /proc/self/status in bytes.
func procStatusBytes(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// requireSameValue checks two PromQL results hold the same series and
// points, values equal to 1e-9 relative (sums may add in another order).
func requireSameValue(b *testing.B, want, got parser.Value, msg string, args ...any) {
	b.Helper()
	what := fmt.Sprintf(msg, args...)
	near := func(x, y float64) bool {
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.IsNaN(x) && math.IsNaN(y)
		}
		return x == y || math.Abs(x-y) <= 1e-9*max(math.Abs(x), math.Abs(y))
	}
	switch w := want.(type) {
	case promql.Vector:
		g, ok := got.(promql.Vector)
		require.True(b, ok, what)
		require.Len(b, g, len(w), what)
		w, g = slices.Clone(w), slices.Clone(g)
		slices.SortFunc(w, func(x, y promql.Sample) int { return labels.Compare(x.Metric, y.Metric) })
		slices.SortFunc(g, func(x, y promql.Sample) int { return labels.Compare(x.Metric, y.Metric) })
		for i := range w {
			require.Equal(b, w[i].Metric.String(), g[i].Metric.String(), what)
			require.True(b, near(w[i].F, g[i].F), "%s: %s = %v, Prometheus %v", what, w[i].Metric, g[i].F, w[i].F)
		}
	case promql.Matrix:
		g, ok := got.(promql.Matrix)
		require.True(b, ok, what)
		require.Len(b, g, len(w), what)
		slices.SortFunc(w, func(x, y promql.Series) int { return labels.Compare(x.Metric, y.Metric) })
		slices.SortFunc(g, func(x, y promql.Series) int { return labels.Compare(x.Metric, y.Metric) })
		for i := range w {
			require.Equal(b, w[i].Metric.String(), g[i].Metric.String(), what)
			require.Len(b, g[i].Floats, len(w[i].Floats), "%s: %s", what, w[i].Metric)
			for j := range w[i].Floats {
				require.Equal(b, w[i].Floats[j].T, g[i].Floats[j].T, what)
				require.True(b, near(w[i].Floats[j].F, g[i].Floats[j].F), "%s: %s at %d = %v, Prometheus %v",
					what, w[i].Metric, w[i].Floats[j].T, g[i].Floats[j].F, w[i].Floats[j].F)
			}
		}
	default:
		require.Equal(b, want.String(), got.String(), what)
	}
}
