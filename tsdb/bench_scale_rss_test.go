package tsdb

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/storage"
	ptsdb "github.com/prometheus/prometheus/tsdb"
	"github.com/stretchr/testify/require"
)

// BenchmarkScaleIngestRSS measures what issue #11 asks of memory, peak
// RSS, for each system alone: the test binary runs itself once per system
// (TSDB_SCALE_RSS_CHILD), which ingests the node-exporter fleet of
// BenchmarkScaleNodeExporter (TSDB_SCALE_SERIES, default 100k;
// TSDB_SCALE_MINUTES, default 30) into that system only, waits for its
// background work (mlectl's seals and compactions) and reports the
// process's VmHWM. In BenchmarkScaleNodeExporter both stores share one
// process and one Go heap, so only the heap can be told apart there, and
// Prometheus's full head chunks, mmapped, are outside it. Both children
// run the same generator, so the difference of their peaks is the stores'.
func BenchmarkScaleIngestRSS(b *testing.B) {
	nSeries, minutes := scaleSizeFromEnv(b)
	if sys := os.Getenv("TSDB_SCALE_RSS_CHILD"); sys != "" {
		ingestAlone(b, sys, nSeries, minutes)
		return
	}
	type result struct{ hwm, rss, samples, ingestMs int64 }
	results := map[string]result{}
	restart := map[string]time.Duration{}
	parent := b.TempDir()
	for _, sys := range []string{"mlectl", "prom"} {
		dir := filepath.Join(parent, sys)
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkScaleIngestRSS$", "-test.benchtime=1x")
		cmd.Env = append(os.Environ(), "TSDB_SCALE_RSS_CHILD="+sys, "TSDB_SCALE_RSS_DIR="+dir,
			fmt.Sprintf("TSDB_SCALE_SERIES=%d", nSeries), fmt.Sprintf("TSDB_SCALE_MINUTES=%d", minutes))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(b, cmd.Run(), "child %s: %s", sys, out.String())
		found := false
		sc := bufio.NewScanner(&out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 5 && f[0] == "RSS-RESULT" {
				var r result
				for i, p := range []*int64{&r.hwm, &r.rss, &r.samples, &r.ingestMs} {
					v, err := strconv.ParseInt(f[i+1], 10, 64)
					require.NoError(b, err)
					*p = v
				}
				results[sys], found = r, true
			}
		}
		require.True(b, found, "child %s printed no result: %s", sys, out.String())
		// The child exited without closing its store, as after kill -9
		// (acknowledged samples are in the WAL): time the reopen.
		prof := scaleProfile(b, "reopen-"+sys)
		t0 := time.Now()
		st := openScaleStore(b, sys, dir)
		restart[sys] = time.Since(t0)
		prof()
		require.NoError(b, st.Close())
	}
	o, p := results["mlectl"], results["prom"]
	fmt.Printf("\ningest alone, one process per system: %d series, %d min at 15s = %d samples\n", nSeries, minutes, o.samples)
	fmt.Printf("| %-38s | %10s | %10s | %6s |\n", "measure", "mlectl", "prometheus", "ratio")
	row := func(name string, a, c float64, unit string) {
		fmt.Printf("| %-38s | %10.4g | %10.4g | %5.2fx |\n", name+", "+unit, a, c, a/c)
	}
	row("peak RSS (VmHWM)", float64(o.hwm)/(1<<20), float64(p.hwm)/(1<<20), "MB")
	row("RSS after ingest and background work", float64(o.rss)/(1<<20), float64(p.rss)/(1<<20), "MB")
	row("ingest", float64(o.samples)/(float64(o.ingestMs)/1000), float64(p.samples)/(float64(p.ingestMs)/1000), "samples/s")
	row("reopen after exit without close", restart["mlectl"].Seconds(), restart["prom"].Seconds(), "s")
	b.ReportMetric(float64(o.hwm)/float64(p.hwm), "peak-RSS-ratio-vs-prom")
}

// ingestAlone is one child of BenchmarkScaleIngestRSS.
func ingestAlone(b *testing.B, sys string, nSeries, minutes int) {
	steps := minutes * int(time.Minute/scaleStep)
	fleet := scaleFleet(nSeries / scaleSeriesPerHost)
	start := time.Now().Truncate(time.Minute).Add(-time.Duration(steps-1) * scaleStep)
	dir := os.Getenv("TSDB_SCALE_RSS_DIR")
	require.NotEmpty(b, dir, "TSDB_SCALE_RSS_DIR")
	st := openScaleStore(b, sys, dir)
	t0 := time.Now()
	samples := scaleIngest(b, st, fleet, steps, start.UnixMilli())
	ingest := time.Since(t0)
	if db, ok := st.(*DB); ok {
		waitBackgroundIdle(db)
	}
	fmt.Printf("RSS-RESULT %d %d %d %d\n", vmHWM(), procStatusBytes("VmRSS:"), samples, ingest.Milliseconds())
	os.Exit(0) // without closing the store: the parent reopens it as after kill -9
}

// scaleStore is either store of the scale benchmarks.
type scaleStore interface {
	storage.Appendable
	Close() error
}

// openScaleStore opens the store sys ("mlectl" or "prom") in dir, with the
// options BenchmarkScaleNodeExporter uses.
func openScaleStore(b *testing.B, sys, dir string) scaleStore {
	switch sys {
	case "mlectl":
		db, err := Open(dir, Options{})
		require.NoError(b, err)
		return db
	case "prom":
		pdb, err := ptsdb.Open(dir, nil, nil, promScaleOptions(), nil)
		require.NoError(b, err)
		return pdb
	}
	b.Fatalf("TSDB_SCALE_RSS_CHILD=%q: want mlectl or prom", sys)
	return nil
}
