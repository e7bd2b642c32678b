package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

// Shape of BenchmarkIngestUnderQueryLoad: counts, not durations, so that
// the run is bounded whatever the machine (a few seconds to a minute).
const (
	loadSeries        = 1000 // bench_load series queried by the heavy queries
	loadSamples       = 300  // per series, 15 s apart: 300,000 samples over 75 min
	ingestWriters     = 4
	rounds            = 3   // idle and loaded phases alternate, so that outside noise hits both
	ingestRequests    = 100 // per writer, phase and round
	ingestInterval    = 20 * time.Millisecond
	ingestSeriesPerRq = 200 // one sample each
	queryWorkers      = 8
)

// heavyQueries are what the query workers loop on while ingest is timed:
// each reads all 300,000 preloaded samples.
var heavyQueries = []url.Values{
	{"query": {"sum(rate(bench_load[5m]))"}, "step": {"15"}},              // range: last hour
	{"query": {"quantile(0.9, rate(bench_load[1h]))"}},                    // instant
	{"query": {"topk(5, avg_over_time(bench_load[2h]))"}},                 // instant
	{"query": {"sum by (shard) (rate(bench_load[10m]))"}, "step": {"60"}}, // range
}

// BenchmarkIngestUnderQueryLoad runs the real collector in a child process
// on 127.0.0.1, preloads 300,000 samples, then times remote-write requests
// (4 writers, each sending 200 requests of 200 series every 20 ms) twice:
// alone, and while 8
// workers loop heavy PromQL over all the preloaded samples. It prints the
// ingest p99 of both side by side (the goal: under load ≤ 2× idle, which
// the query gate's yield to ingest is for), the query latencies and the
// collector's peak RSS (VmHWM). Run it with -benchtime 1x (make bench).
func BenchmarkIngestUnderQueryLoad(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "collector.yaml"), nil, 0o600); err != nil {
		b.Fatal(err)
	}
	b.Setenv(benchRuntimeEnv, "1")
	cmd, base := startCrashChild(b, dir)
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	probe := newRuntimeProbe(dir, client)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	now := time.Now()
	start := now.Add(-loadSamples * 15 * time.Second)
	for from := 0; from < loadSamples; from += 30 {
		ts := make([]prompb.TimeSeries, loadSeries)
		for i := range ts {
			smp := make([]prompb.Sample, 30)
			for k := range smp {
				smp[k] = prompb.Sample{Timestamp: start.Add(time.Duration(from+k) * 15 * time.Second).UnixMilli(), Value: float64((from + k) * (i%7 + 1))}
			}
			ts[i] = prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "bench_load"},
				{Name: "series", Value: strconv.Itoa(i)}, {Name: "shard", Value: strconv.Itoa(i % 10)}}, Samples: smp}
		}
		if _, err := postWrite(ctx, client, base, ts); err != nil {
			b.Fatalf("preload: %v", err)
		}
	}
	rssPreloaded := peakRSS(cmd.Process.Pid)

	b.ResetTimer()
	var idle, loaded, qlat []time.Duration
	qerrs := 0
	for range rounds {
		probe.phase(ctx, "ingest, idle", func() { idle = append(idle, ingestPhase(ctx, b, client, base, "idle")...) })
		var wg sync.WaitGroup
		qctx, stopQueries := context.WithCancel(ctx)
		var qmu sync.Mutex
		for w := range queryWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; qctx.Err() == nil; i++ {
					d, err := runQuery(qctx, client, base, heavyQueries[i%len(heavyQueries)], time.Now())
					qmu.Lock()
					if err != nil && qctx.Err() == nil {
						qerrs++
					} else if err == nil {
						qlat = append(qlat, d)
					}
					qmu.Unlock()
				}
			}()
		}
		time.Sleep(300 * time.Millisecond) // the queries are running before ingest is timed
		probe.phase(ctx, "ingest, under queries", func() {
			loaded = append(loaded, ingestPhase(ctx, b, client, base, "under queries")...)
		})
		stopQueries()
		wg.Wait()
	}
	b.StopTimer()
	rss := peakRSS(cmd.Process.Pid)

	ip99, lp99 := pct(idle, 0.99), pct(loaded, 0.99)
	ratio := float64(lp99) / float64(ip99)
	verdict := "meets"
	if ratio > 2 {
		verdict = "MISSES"
	}
	fmt.Printf("\ningest under query load (%d rounds of: %d writers × %d remote writes of %d series every %s, alone then beside %d query workers on %d samples; GOMAXPROCS %d)\n",
		rounds, ingestWriters, ingestRequests, ingestSeriesPerRq, ingestInterval, queryWorkers, loadSeries*loadSamples, runtime.GOMAXPROCS(0))
	fmt.Printf("  %-22s %10s %10s %10s\n", "", "p50", "p99", "max")
	fmt.Printf("  %-22s %10s %10s %10s\n", "ingest, idle", ms(pct(idle, 0.5)), ms(ip99), ms(pct(idle, 1)))
	fmt.Printf("  %-22s %10s %10s %10s\n", "ingest, under queries", ms(pct(loaded, 0.5)), ms(lp99), ms(pct(loaded, 1)))
	fmt.Printf("  %-22s %10s %10s %10s   (%d queries, %d failed)\n", "queries", ms(pct(qlat, 0.5)), ms(pct(qlat, 0.99)), ms(pct(qlat, 1)), len(qlat), qerrs)
	fmt.Printf("  ingest p99 under load / idle = %.2f× (goal ≤ 2×: %s)\n", ratio, verdict)
	fmt.Printf("  collector peak RSS: %s after preload, %s at the end\n", mib(rssPreloaded), mib(rss))
	fmt.Printf("%s\n", probe.report("ingest, idle", "ingest, under queries"))
	b.ReportMetric(float64(ip99.Microseconds())/1000, "ingest-p99-idle-ms")
	b.ReportMetric(float64(lp99.Microseconds())/1000, "ingest-p99-loaded-ms")
	b.ReportMetric(ratio, "p99-ratio")
	b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MiB")
}

// ingestPhase runs the writers and returns every request's latency.
func ingestPhase(ctx context.Context, b *testing.B, client *http.Client, base, phase string) []time.Duration {
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	errc := make(chan error, ingestWriters)
	for w := range ingestWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(ingestInterval) // a sender's pace, like Prometheus's shards
			defer tick.Stop()
			for r := range ingestRequests {
				<-tick.C
				ts := make([]prompb.TimeSeries, ingestSeriesPerRq)
				at := time.Now().UnixMilli()
				for i := range ts {
					ts[i] = prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "bench_ingest"},
						{Name: "phase", Value: phase}, {Name: "series", Value: strconv.Itoa(w*ingestSeriesPerRq + i)}},
						Samples: []prompb.Sample{{Timestamp: at, Value: float64(r)}}}
				}
				d, err := postWrite(ctx, client, base, ts)
				if err != nil {
					errc <- err
					return
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		b.Fatalf("ingest %s: %v", phase, err)
	}
	return lat
}

func postWrite(ctx context.Context, client *http.Client, base string, ts []prompb.TimeSeries) (time.Duration, error) {
	raw, err := (&prompb.WriteRequest{Timeseries: ts}).Marshal()
	if err != nil {
		return 0, err
	}
	body := snappy.Encode(nil, raw)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/write", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if resp.StatusCode/100 != 2 {
		return d, fmt.Errorf("remote write: %s: %s", resp.Status, msg)
	}
	return d, nil
}

func runQuery(ctx context.Context, client *http.Client, base string, q url.Values, now time.Time) (time.Duration, error) {
	v := url.Values{"query": q["query"]}
	path := "/api/v1/query"
	if step := q.Get("step"); step != "" {
		path = "/api/v1/query_range"
		v.Set("start", strconv.FormatInt(now.Add(-time.Hour).Unix(), 10))
		v.Set("end", strconv.FormatInt(now.Unix(), 10))
		v.Set("step", step)
	} else {
		v.Set("time", strconv.FormatInt(now.Unix(), 10))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(v.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s: %.200s", q.Get("query"), resp.Status, msg)
	}
	return time.Since(t0), nil
}

// peakRSS is the process's VmHWM in bytes (0 where /proc has none).
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }
