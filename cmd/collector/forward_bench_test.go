package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

// Shape of BenchmarkForwarding: counts, not durations.
const (
	fwdWriters        = 4
	fwdRequests       = 100 // per writer
	fwdSeriesPerReq   = 200
	fwdSamplesPerSer  = 5 // 1,000 samples per request, 400,000 in all
	fwdLagSampleEvery = 100 * time.Millisecond
)

// rwReceiver is a remote-write 1.0 endpoint on 127.0.0.1 that decodes each
// request (snappy, protobuf) and counts its samples: the backend of the
// forwarding benchmark, without a database's own cost.
type rwReceiver struct {
	samples atomic.Int64
	srv     *httptest.Server
}

func newRWReceiver(b *testing.B) *rwReceiver {
	r := &rwReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		raw, err := snappy.Decode(nil, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(raw); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := 0
		for _, ts := range wr.Timeseries {
			n += len(ts.Samples)
		}
		r.samples.Add(int64(n))
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(r.srv.Close)
	return r
}

// fwdLoad sends fwdRequests requests per writer (each writer its own
// series, timestamps rising), every `every` (0: back to back); round
// offsets the timestamps so that phases never overlap.
func fwdLoad(ctx context.Context, b *testing.B, client *http.Client, base string, round int, every time.Duration) {
	var wg sync.WaitGroup
	start := time.Now().Add(-time.Hour).UnixMilli() + int64(round)*1_000_000
	for w := range fwdWriters {
		wg.Go(func() {
			tick := time.Now()
			for r := range fwdRequests {
				ts := make([]prompb.TimeSeries, fwdSeriesPerReq)
				for i := range ts {
					smp := make([]prompb.Sample, fwdSamplesPerSer)
					for k := range smp {
						smp[k] = prompb.Sample{Timestamp: start + int64(r*fwdSamplesPerSer+k), Value: float64(k)}
					}
					ts[i] = prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "bench_fwd"},
						{Name: "series", Value: strconv.Itoa(i)}, {Name: "writer", Value: strconv.Itoa(w)}}, Samples: smp}
				}
				if _, err := postWrite(ctx, client, base, ts); err != nil {
					b.Errorf("write: %v", err)
					return
				}
				if every > 0 {
					tick = tick.Add(every)
					time.Sleep(time.Until(tick))
				}
			}
		})
	}
	wg.Wait()
}

// cpuSeconds is the user+system CPU time of process pid (Linux).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces): utime is
	// the 14th field, stime the 15th, in clock ticks (100 Hz).
	rest := b[bytes.LastIndexByte(b, ')')+2:]
	f := bytes.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(string(f[11]), 64)
	st, _ := strconv.ParseFloat(string(f[12]), 64)
	return (ut + st) / 100
}

var forwardGauge = regexp.MustCompile(`(?m)^(mle_forward_pending_samples|mle_forward_oldest_pending_seconds) (\S+)$`)

func forwardGauges(client *http.Client, base string) (pending, oldest float64) {
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, m := range forwardGauge.FindAllSubmatch(body, -1) {
		v, _ := strconv.ParseFloat(string(m[2]), 64)
		if string(m[1]) == "mle_forward_pending_samples" {
			pending = v
		} else {
			oldest = v
		}
	}
	return pending, oldest
}

// BenchmarkForwarding measures storage.metrics: remote against the
// embedded store in the same run, both collectors real child processes on
// 127.0.0.1: the embedded collector's remote-write ingest rate (samples
// acknowledged per second), then the same load on a collector forwarding
// to a remote-write receiver — its forwarding throughput is samples the
// receiver got per second, first request to last sample received — and
// then the forwarding lag (mle_forward_oldest_pending_seconds,
// mle_forward_pending_samples) under a paced load at half the embedded
// rate. Goal: forwarding ≥ 0.8× embedded ingest. Run it with -benchtime 1x.
func BenchmarkForwarding(b *testing.B) {
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	total := int64(fwdWriters * fwdRequests * fwdSeriesPerReq * fwdSamplesPerSer)

	embeddedDir := b.TempDir()
	if err := os.WriteFile(filepath.Join(embeddedDir, "collector.yaml"), nil, 0o600); err != nil {
		b.Fatal(err)
	}
	embedded, embeddedBase := startCrashChild(b, embeddedDir)
	t0, cpu0 := time.Now(), cpuSeconds(embedded.Process.Pid)
	fwdLoad(ctx, b, client, embeddedBase, 0, 0)
	embeddedRate := float64(total) / time.Since(t0).Seconds()
	embeddedPerCPU := float64(total) / (cpuSeconds(embedded.Process.Pid) - cpu0)
	_ = embedded.Process.Kill()
	_ = embedded.Wait()

	recv := newRWReceiver(b)
	remoteDir := b.TempDir()
	cfg := fmt.Sprintf("storage:\n  metrics: remote\n  remote:\n    write:\n      url: %s/api/v1/write\n      queue: {batch_send_deadline: 50ms}\n    query:\n      url: %s\n", recv.srv.URL, recv.srv.URL)
	if err := os.WriteFile(filepath.Join(remoteDir, "collector.yaml"), []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	profileTo := os.Getenv("FWD_BENCH_PROFILE") // a file: the remote child's CPU profile over the forwarding phase
	if profileTo != "" {
		b.Setenv(benchRuntimeEnv, "1")
	}
	remote, remoteBase := startCrashChild(b, remoteDir)
	before := recv.samples.Load() // the collector's own series
	profiled := make(chan struct{})
	if profileTo != "" {
		go fetchProfile(ctx, newRuntimeProbe(remoteDir, client).base, profileTo, profiled)
	} else {
		close(profiled)
	}
	t0, cpu0 = time.Now(), cpuSeconds(remote.Process.Pid)
	fwdLoad(ctx, b, client, remoteBase, 1, 0)
	ackRate := float64(total) / time.Since(t0).Seconds()
	for recv.samples.Load()-before < total {
		if ctx.Err() != nil {
			b.Fatalf("forwarding did not finish: %d of %d samples received", recv.samples.Load()-before, total)
		}
		time.Sleep(time.Millisecond)
	}
	forwardRate := float64(total) / time.Since(t0).Seconds()
	forwardPerCPU := float64(total) / (cpuSeconds(remote.Process.Pid) - cpu0)
	<-profiled

	// Lag at half the embedded rate: each writer paced to rate/2/writers.
	perReq := float64(fwdSeriesPerReq * fwdSamplesPerSer)
	every := time.Duration(float64(time.Second) * perReq * fwdWriters / (embeddedRate / 2))
	lagCtx, stopSampling := context.WithCancel(ctx)
	var oldest, pending []float64
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for lagCtx.Err() == nil {
			p, o := forwardGauges(client, remoteBase)
			pending, oldest = append(pending, p), append(oldest, o)
			time.Sleep(fwdLagSampleEvery)
		}
	}()
	t0 = time.Now()
	fwdLoad(ctx, b, client, remoteBase, 2, every)
	pacedFor := time.Since(t0)
	stopSampling()
	<-sampled
	slices.Sort(oldest)
	slices.Sort(pending)
	q := func(v []float64, p float64) float64 {
		if len(v) == 0 {
			return 0
		}
		return v[min(len(v)-1, int(p*float64(len(v))))]
	}
	fmt.Printf("forwarding: embedded ingest %.0f samples/s | remote mode: acknowledged %.0f samples/s, forwarded %.0f samples/s = %.2f× embedded (goal ≥ 0.8×)\n",
		embeddedRate, ackRate, forwardRate, forwardRate/embeddedRate)
	fmt.Printf("forwarding lag at 50%% of embedded (%.0f samples/s for %s): oldest pending p50 %.2fs p99 %.2fs max %.2fs; pending samples p50 %.0f max %.0f\n",
		embeddedRate/2, pacedFor.Round(time.Millisecond), q(oldest, 0.5), q(oldest, 0.99), q(oldest, 1), q(pending, 0.5), q(pending, 1))
	fmt.Printf("forwarding per collector CPU-second (ingest + forwarding, the receiver and writers excluded): embedded %.0f samples/CPU-s | remote %.0f samples/CPU-s = %.2f×\n",
		embeddedPerCPU, forwardPerCPU, forwardPerCPU/embeddedPerCPU)
	b.ReportMetric(embeddedRate, "embedded-samples/s")
	b.ReportMetric(forwardRate, "forwarded-samples/s")
	b.ReportMetric(forwardRate/embeddedRate, "forward/embedded")
	b.ReportMetric(q(oldest, 0.99), "lag-p99-s")
}

// fetchProfile saves the child's CPU profile of the next few seconds (the
// forwarding phase) to path.
func fetchProfile(ctx context.Context, base, path string, done chan<- struct{}) {
	defer close(done)
	if base == "" {
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/debug/pprof/profile?seconds=3", nil)
	if err != nil {
		return
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	_ = os.WriteFile(path, body, 0o644)
}
