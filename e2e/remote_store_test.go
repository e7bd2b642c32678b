//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
	"github.com/stretchr/testify/require"
)

// samplesPerRequest is the size of each remote-write request the tests
// send; every request is its own series (e2e_fwd{req="N"}), so what the
// backend holds can be checked request by request.
const samplesPerRequest = 500

// victoriaMetrics returns bin/victoria-metrics; outside CI a missing binary
// skips the test with the command that builds it.
func victoriaMetrics(t *testing.T) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "bin", "victoria-metrics")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: run scripts/peers.sh victoria-metrics", p)
		}
		t.Skipf("%s is missing: run `scripts/peers.sh victoria-metrics` (or `make e2e`, which builds it) to run the remote-store tests", p)
	}
	return p
}

// vm is a VictoriaMetrics single-node started on 127.0.0.1 that can be
// stopped and started again on the same port and data.
type vm struct {
	t        *testing.T
	bin, dir string
	port     int
	proc     *process
}

func startVM(t *testing.T) *vm {
	v := &vm{t: t, bin: victoriaMetrics(t), dir: t.TempDir(), port: freePort(t)}
	v.start()
	return v
}

func (v *vm) url() string { return fmt.Sprintf("http://127.0.0.1:%d", v.port) }

func (v *vm) start() {
	// dedup.minScrapeInterval=1ms: a sample the collector sends again
	// after a crash counts once.
	v.proc = start(v.t, v.bin, "-httpListenAddr", fmt.Sprintf("127.0.0.1:%d", v.port), "-storageDataPath", v.dir,
		"-dedup.minScrapeInterval=1ms", "-search.latencyOffset=0s", "-retentionPeriod=100y", "-loggerLevel=ERROR")
	waitHTTP(v.t, v.url()+"/health", 30*time.Second)
}

func (v *vm) stop() {
	require.NoError(v.t, v.proc.cmd.Process.Signal(os.Interrupt))
	_ = v.proc.cmd.Wait()
}

func (v *vm) name() string               { return "VictoriaMetrics" }
func (v *vm) writeURL() string           { return v.url() + "/api/v1/write" }
func (v *vm) queryURL() string           { return v.url() }
func (v *vm) headers() map[string]string { return nil }

// flush makes VictoriaMetrics' in-memory buffers visible to queries.
func (v *vm) flush() {
	if resp, err := http.Get(v.url() + "/internal/force_flush"); err == nil {
		resp.Body.Close()
	}
}

// remoteCollector is bin/collector in storage.metrics: remote mode over a
// store, restartable on the same data dir.
type remoteCollector struct {
	t           *testing.T
	dir, config string
	base        string
	proc        *process
}

func startRemoteCollector(t *testing.T, be metricsBackend) *remoteCollector {
	c := &remoteCollector{t: t, dir: t.TempDir(), config: filepath.Join(t.TempDir(), "collector.yaml")}
	require.NoError(t, os.WriteFile(c.config, []byte("storage:\n  metrics: remote\n"+remoteBlock(be)), 0o600))
	c.start()
	return c
}

func (c *remoteCollector) start() {
	port := freePort(c.t)
	c.proc = start(c.t, binary(c.t, "collector"), "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", c.dir, "--config", c.config)
	c.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(c.t, c.base+"/-/ready", 30*time.Second)
}

func (c *remoteCollector) kill9() {
	require.NoError(c.t, c.proc.cmd.Process.Signal(syscall.SIGKILL))
	_ = c.proc.cmd.Wait()
}

var pendingLine = regexp.MustCompile(`(?m)^mle_forward_pending_samples (\S+)$`)

// pending reads mle_forward_pending_samples from the collector's /metrics.
func (c *remoteCollector) pending() float64 {
	c.t.Helper()
	resp, err := http.Get(c.base + "/metrics")
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := pendingLine.FindSubmatch(b)
	require.NotNil(c.t, m, "no mle_forward_pending_samples on /metrics")
	v, err := strconv.ParseFloat(string(m[1]), 64)
	require.NoError(c.t, err)
	return v
}

func (c *remoteCollector) waitDrained(within time.Duration) {
	c.t.Helper()
	require.Eventually(c.t, func() bool { return c.pending() == 0 }, within, 100*time.Millisecond, "the forwarding queue did not drain")
}

// writer sends requests one after the other to the collector base()
// returns, and remembers which were acknowledged.
type writer struct {
	mu     sync.Mutex
	acked  []int
	next   int
	failed atomic.Int64
}

func (w *writer) send(base string) error {
	w.mu.Lock()
	n := w.next
	w.next++
	w.mu.Unlock()
	ts := time.Now().Add(-time.Hour).UnixMilli() // unique per series; an hour back stays inside every window
	smp := make([]prompb.Sample, samplesPerRequest)
	for i := range smp {
		smp[i] = prompb.Sample{Timestamp: ts + int64(i), Value: float64(i)}
	}
	raw, err := (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:  []prompb.Label{{Name: "__name__", Value: "e2e_fwd"}, {Name: "req", Value: strconv.Itoa(n)}},
		Samples: smp,
	}}}).Marshal()
	if err != nil {
		return err
	}
	resp, err := http.Post(base+"/api/v1/write", "application/x-protobuf", bytes.NewReader(snappy.Encode(nil, raw)))
	if err != nil {
		w.failed.Add(1)
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		w.failed.Add(1)
		return fmt.Errorf("remote write: %s", resp.Status)
	}
	w.mu.Lock()
	w.acked = append(w.acked, n)
	w.mu.Unlock()
	return nil
}

// run sends until stop is closed (or a send fails, when stopOnError).
func (w *writer) run(base func() string, every time.Duration, stop <-chan struct{}, stopOnError bool) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := w.send(base()); err != nil && stopOnError {
				return
			}
			if every > 0 {
				time.Sleep(every)
			}
		}
	}()
	return done
}

// requireAllAcknowledged checks that the store holds every sample of every
// acknowledged request, once; requests never acknowledged (the one in
// flight at a kill) hold all their samples or none.
func requireAllAcknowledged(t *testing.T, be metricsBackend, w *writer) {
	t.Helper()
	w.mu.Lock()
	acked := append([]int(nil), w.acked...)
	sent := w.next
	w.mu.Unlock()
	var counts map[int]int
	require.Eventually(t, func() bool {
		counts = backendCounts(t, be)
		for _, n := range acked {
			if counts[n] != samplesPerRequest {
				return false
			}
		}
		return true
	}, 60*time.Second, 250*time.Millisecond, "acknowledged requests missing from %s", be.name())
	total := 0
	isAcked := map[int]bool{}
	for _, n := range acked {
		isAcked[n] = true
		total += counts[n]
	}
	require.Equal(t, len(acked)*samplesPerRequest, total, "count in the backend = acknowledged samples")
	for n := range sent {
		if !isAcked[n] {
			require.Contains(t, []int{0, samplesPerRequest}, counts[n], "request %d was not acknowledged: all or nothing", n)
		}
	}
	t.Logf("%d requests (%d samples) acknowledged, all in %s once", len(acked), total, be.name())
}

// A collector in remote mode: samples written to it are queryable through
// its own Prometheus API from VictoriaMetrics.
func TestRemoteStoreQueryableThroughCollector(t *testing.T) {
	v := startVM(t)
	c := startRemoteCollector(t, v)
	var w writer
	for range 10 {
		require.NoError(t, w.send(c.base))
	}
	c.waitDrained(30 * time.Second)
	requireAllAcknowledged(t, v, &w)
	resp, err := http.PostForm(c.base+"/api/v1/query", url.Values{"query": {"WITH (s = e2e_fwd) sum(count_over_time(s[1d]))"}})
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, string(body), fmt.Sprintf(`"%d"`, 10*samplesPerRequest))
	// The mle_* series the collector writes itself are there too.
	require.Eventually(t, func() bool {
		resp, err := http.PostForm(c.base+"/api/v1/query", url.Values{"query": {"mle_collector_disk_free_bytes"}})
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return bytes.Contains(b, []byte("mle_collector_disk_free_bytes"))
	}, 30*time.Second, 200*time.Millisecond)
}

// kill -9 of the collector during ingest: after the restart, every
// acknowledged sample reaches VictoriaMetrics, once.
func TestRemoteStoreKill9DuringIngest(t *testing.T) {
	v := startVM(t)
	c := startRemoteCollector(t, v)
	var w writer
	stop := make(chan struct{})
	base := c.base
	done := w.run(func() string { return base }, 0, stop, true)
	require.Eventually(t, func() bool { w.mu.Lock(); defer w.mu.Unlock(); return len(w.acked) >= 200 }, 60*time.Second, 10*time.Millisecond)
	c.kill9()
	close(stop)
	<-done
	c.start()
	c.waitDrained(60 * time.Second)
	requireAllAcknowledged(t, v, &w)
}

// VictoriaMetrics stopped for 60 s under ingest: the collector keeps
// acknowledging, mle_forward_pending_samples rises, and after the restart
// it drains with nothing lost.
func TestRemoteStoreBackendOutage(t *testing.T) {
	runBackendOutage(t, startVM(t))
}

// runBackendOutage stops be for 60 s under ingest through one collector.
func runBackendOutage(t *testing.T, be metricsBackend) {
	c := startRemoteCollector(t, be)
	var w writer
	stop := make(chan struct{})
	done := w.run(func() string { return c.base }, 20*time.Millisecond, stop, false)
	time.Sleep(2 * time.Second)
	be.stop()
	outageStart := time.Now()
	var peak float64
	for time.Since(outageStart) < 60*time.Second {
		peak = max(peak, c.pending())
		time.Sleep(500 * time.Millisecond)
	}
	require.Positive(t, peak, "mle_forward_pending_samples did not rise while the backend was down")
	restart := time.Now()
	be.start()
	ready := time.Since(restart)
	time.Sleep(2 * time.Second)
	close(stop)
	<-done
	require.Zero(t, w.failed.Load(), "the collector refused writes while the backend was down")
	c.waitDrained(180 * time.Second)
	t.Logf("%s: pending peaked at %.0f samples during the 60 s outage; ready %s after its restart, drained %s after it",
		be.name(), peak, ready.Round(100*time.Millisecond), time.Since(restart).Round(100*time.Millisecond))
	requireAllAcknowledged(t, be, &w)
}
