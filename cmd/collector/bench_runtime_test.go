package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"sync"
	"time"
)

// benchRuntimeEnv asks the collector child for a second listener that
// serves its Go runtime's scheduler and GC figures (and pprof), so that
// BenchmarkIngestUnderQueryLoad can say where ingest's time goes in each
// phase. The crash tests leave it unset.
const benchRuntimeEnv = "COLLECTOR_BENCH_RUNTIME"

// runtimeSample names the runtime/metrics the benchmark reads.
var runtimeSample = []string{
	"/sched/latencies:seconds",       // runnable → running waits of every goroutine
	"/sched/pauses/total/gc:seconds", // stop-the-world pauses of the GC
	"/cpu/classes/gc/mark/assist:cpu-seconds",
	"/cpu/classes/gc/mark/dedicated:cpu-seconds",
	"/cpu/classes/gc/mark/idle:cpu-seconds",
	"/cpu/classes/gc/pause:cpu-seconds",
	"/cpu/classes/user:cpu-seconds",
	"/cpu/classes/idle:cpu-seconds",
	"/gc/cycles/total:gc-cycles",
	"/gc/heap/allocs:bytes",
}

// runtimeFigures is one reading of runtimeSample, JSON-safe: histograms
// as counts over finite bucket bounds.
type runtimeFigures struct {
	Hist   map[string]hist    `json:"hist"`
	Scalar map[string]float64 `json:"scalar"`
}

type hist struct {
	Bounds []float64 `json:"bounds"` // len(Counts)+1; ±Inf as ±1e9
	Counts []uint64  `json:"counts"`
}

func readRuntime() runtimeFigures {
	s := make([]metrics.Sample, len(runtimeSample))
	for i, n := range runtimeSample {
		s[i].Name = n
	}
	metrics.Read(s)
	f := runtimeFigures{Hist: map[string]hist{}, Scalar: map[string]float64{}}
	for _, m := range s {
		switch m.Value.Kind() {
		case metrics.KindFloat64Histogram:
			h := m.Value.Float64Histogram()
			b := make([]float64, len(h.Buckets))
			for i, v := range h.Buckets {
				b[i] = max(-1e9, min(1e9, v))
			}
			f.Hist[m.Name] = hist{Bounds: b, Counts: append([]uint64(nil), h.Counts...)}
		case metrics.KindFloat64:
			f.Scalar[m.Name] = m.Value.Float64()
		case metrics.KindUint64:
			f.Scalar[m.Name] = float64(m.Value.Uint64())
		}
	}
	return f
}

// serveBenchRuntime serves /runtime (readRuntime as JSON) and pprof on
// 127.0.0.1, its address written to dir/runtime-addr.
func serveBenchRuntime(dir string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/runtime", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(readRuntime())
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	_ = os.WriteFile(filepath.Join(dir, "runtime-addr.tmp"), []byte(ln.Addr().String()), 0o644)
	_ = os.Rename(filepath.Join(dir, "runtime-addr.tmp"), filepath.Join(dir, "runtime-addr"))
	go func() { _ = http.Serve(ln, mux) }()
}

// runtimeProbe reads the child's runtime figures and sums their change
// over the phases of each kind.
type runtimeProbe struct {
	base   string // "" when the child serves none
	client *http.Client
	mu     sync.Mutex
	sum    map[string]*runtimeFigures // phase kind → summed deltas
}

func newRuntimeProbe(dir string, client *http.Client) *runtimeProbe {
	p := &runtimeProbe{client: client, sum: map[string]*runtimeFigures{}}
	for range 100 {
		if b, err := os.ReadFile(filepath.Join(dir, "runtime-addr")); err == nil {
			p.base = "http://" + string(b)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

func (p *runtimeProbe) read(ctx context.Context) (runtimeFigures, bool) {
	var f runtimeFigures
	if p.base == "" {
		return f, false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/runtime", nil)
	if err != nil {
		return f, false
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return f, false
	}
	defer resp.Body.Close()
	return f, json.NewDecoder(resp.Body).Decode(&f) == nil
}

// phase runs fn and adds the child's runtime change over it to kind.
func (p *runtimeProbe) phase(ctx context.Context, kind string, fn func()) {
	before, ok := p.read(ctx)
	var wg sync.WaitGroup
	if dir := os.Getenv("COLLECTOR_BENCH_PROFILE"); dir != "" && p.base != "" {
		p.mu.Lock()
		_, seen := p.sum[kind]
		p.mu.Unlock()
		if !seen {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := strings.ReplaceAll(strings.ReplaceAll(kind, " ", "_"), ",", "")
				for _, what := range []string{"trace?seconds=2", "allocs?seconds=2"} {
					resp, err := p.client.Get(p.base + "/debug/pprof/" + what)
					if err != nil {
						return
					}
					f, _ := os.Create(filepath.Join(dir, name+"."+strings.Split(what, "?")[0]))
					_, _ = io.Copy(f, resp.Body)
					f.Close()
					resp.Body.Close()
				}
			}()
		}
	}
	fn()
	wg.Wait()
	after, ok2 := p.read(ctx)
	if !ok || !ok2 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.sum[kind]
	if s == nil {
		s = &runtimeFigures{Hist: map[string]hist{}, Scalar: map[string]float64{}}
		p.sum[kind] = s
	}
	for n, a := range after.Hist {
		b := before.Hist[n]
		h := s.Hist[n]
		if h.Counts == nil {
			h = hist{Bounds: a.Bounds, Counts: make([]uint64, len(a.Counts))}
		}
		for i := range a.Counts {
			if i < len(b.Counts) {
				h.Counts[i] += a.Counts[i] - b.Counts[i]
			}
		}
		s.Hist[n] = h
	}
	for n, a := range after.Scalar {
		s.Scalar[n] += a - before.Scalar[n]
	}
}

// quantile is the upper bound of the bucket that holds quantile q.
func (h hist) quantile(q float64) float64 {
	var total uint64
	for _, c := range h.Counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	want := uint64(math.Ceil(q * float64(total)))
	var run uint64
	for i, c := range h.Counts {
		run += c
		if run >= want {
			return h.Bounds[i+1]
		}
	}
	return h.Bounds[len(h.Bounds)-1]
}

// over counts the observations above bound d (seconds).
func (h hist) over(d float64) uint64 {
	var n uint64
	for i, c := range h.Counts {
		if h.Bounds[i] >= d {
			n += c
		}
	}
	return n
}

// report prints, per phase kind, the child's scheduling latency and GC
// shares: a runnable goroutine waiting for a CPU and GC assists taken out
// of request goroutines are where ingest's tail comes from when queries
// run beside it.
func (p *runtimeProbe) report(kinds ...string) string {
	if len(p.sum) == 0 {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "  collector runtime        sched p99  sched p99.9  >1ms waits  GC cycles  GC CPU (assist)   user CPU   allocated\n")
	for _, k := range kinds {
		s := p.sum[k]
		if s == nil {
			continue
		}
		sl := s.Hist["/sched/latencies:seconds"]
		gc := s.Scalar["/cpu/classes/gc/mark/assist:cpu-seconds"] + s.Scalar["/cpu/classes/gc/mark/dedicated:cpu-seconds"] +
			s.Scalar["/cpu/classes/gc/mark/idle:cpu-seconds"] + s.Scalar["/cpu/classes/gc/pause:cpu-seconds"]
		fmt.Fprintf(&sb, "  %-22s %10s %12s %11d %10.0f %8.2fs (%.2fs) %9.2fs %8.0f MiB\n", k,
			secs(sl.quantile(0.99)), secs(sl.quantile(0.999)), sl.over(0.001),
			s.Scalar["/gc/cycles/total:gc-cycles"], gc, s.Scalar["/cpu/classes/gc/mark/assist:cpu-seconds"],
			s.Scalar["/cpu/classes/user:cpu-seconds"], s.Scalar["/gc/heap/allocs:bytes"]/(1<<20))
	}
	return sb.String()
}

func secs(s float64) string { return fmt.Sprintf("%.2fms", s*1000) }
