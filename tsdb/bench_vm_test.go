package tsdb

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/promql"
	"github.com/stretchr/testify/require"
)

// scaleSizeFromEnv returns the fleet size of the single-size scale
// benchmarks: TSDB_SCALE_SERIES (default 100000) series and
// TSDB_SCALE_MINUTES (default 30) minutes of data.
func scaleSizeFromEnv(b *testing.B) (nSeries, minutes int) {
	nSeries, minutes = 100_000, 30
	if v := os.Getenv("TSDB_SCALE_SERIES"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err, "TSDB_SCALE_SERIES")
		nSeries = n
	}
	if v := os.Getenv("TSDB_SCALE_MINUTES"); v != "" {
		m, err := strconv.Atoi(v)
		require.NoError(b, err, "TSDB_SCALE_MINUTES")
		minutes = m
	}
	return nSeries, minutes
}

// BenchmarkScaleVictoriaMetrics runs the node-exporter fleet of
// BenchmarkScaleNodeExporter into mlectl (in process, queried through
// Prometheus's engine) and into a VictoriaMetrics single-node binary
// (TSDB_SCALE_VM=path; skipped without it) over real remote write on
// 127.0.0.1, queried through its Prometheus HTTP API, and prints both
// side by side. VictoriaMetrics runs with its query caches off and no
// latency offset, so every query reads storage. MetricsQL's rate differs
// from PromQL's at the window edges, so answers are not compared.
// TSDB_SCALE_SERIES (default 100000) and TSDB_SCALE_MINUTES (default 30)
// size it.
func BenchmarkScaleVictoriaMetrics(b *testing.B) {
	bin := os.Getenv("TSDB_SCALE_VM")
	if bin == "" {
		b.Skip("TSDB_SCALE_VM=path/to/victoria-metrics runs this comparison")
	}
	nSeries, minutes := scaleSizeFromEnv(b)
	steps := minutes * int(time.Minute/scaleStep)
	fleet := scaleFleet(nSeries / scaleSeriesPerHost)
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-time.Duration(steps-1) * scaleStep)
	dir := b.TempDir()
	const reps = 3

	// mlectl: ingest, seal, query (as the sealed phase of the Prometheus comparison).
	db, err := Open(filepath.Join(dir, "mlectl"), Options{})
	require.NoError(b, err)
	defer db.Close()
	t0 := time.Now()
	samples := scaleIngest(b, db, fleet, steps, start.UnixMilli())
	ourIngest := time.Since(t0)
	require.NoError(b, db.Flush(context.Background()))
	require.NoError(b, db.Compact(context.Background()))
	ng := promql.NewEngine(promql.EngineOpts{MaxSamples: 500_000_000, Timeout: 10 * time.Minute, LookbackDelta: 5 * time.Minute})
	defer ng.Close()
	ours := map[string][]time.Duration{}
	for _, q := range scaleQueries {
		for _, kind := range []string{"instant", "range"} {
			for range reps {
				t0 := time.Now()
				var qry promql.Query
				if kind == "instant" {
					qry, err = ng.NewInstantQuery(context.Background(), db, nil, q.expr, end)
				} else {
					qry, err = ng.NewRangeQuery(context.Background(), db, nil, q.expr, start.Add(5*time.Minute), end, time.Minute)
				}
				require.NoError(b, err)
				res := qry.Exec(context.Background())
				require.NoError(b, res.Err)
				qry.Close()
				ours[kind+" "+q.name] = append(ours[kind+" "+q.name], time.Since(t0))
			}
		}
	}
	st := db.Stats()

	// VictoriaMetrics.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	addr := ln.Addr().String()
	ln.Close()
	vmDir := filepath.Join(dir, "vm")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-storageDataPath="+vmDir, "-httpListenAddr="+addr,
		"-retentionPeriod=100y", "-search.disableCache", "-search.latencyOffset=0s", "-loggerLevel=ERROR")
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	require.NoError(b, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "http://" + addr
	hc := &http.Client{Timeout: 5 * time.Minute}
	require.Eventually(b, func() bool {
		resp, err := hc.Get(base + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "VictoriaMetrics did not start")

	t0 = time.Now()
	vmRemoteWrite(b, hc, base+"/api/v1/write", fleet, steps, start.UnixMilli())
	vmGet(b, hc, base+"/internal/force_flush")
	vmIngest := time.Since(t0)
	vm := map[string][]time.Duration{}
	for _, q := range scaleQueries {
		for _, kind := range []string{"instant", "range"} {
			v := url.Values{"query": {q.expr}}
			path := "/api/v1/query"
			if kind == "instant" {
				v.Set("time", strconv.FormatInt(end.Unix(), 10))
			} else {
				path = "/api/v1/query_range"
				v.Set("start", strconv.FormatInt(start.Add(5*time.Minute).Unix(), 10))
				v.Set("end", strconv.FormatInt(end.Unix(), 10))
				v.Set("step", "60")
			}
			for range reps {
				t0 := time.Now()
				body := vmGet(b, hc, base+path+"?"+v.Encode())
				require.Contains(b, body, `"status":"success"`, "%s %s", kind, q.expr)
				vm[kind+" "+q.name] = append(vm[kind+" "+q.name], time.Since(t0))
			}
		}
	}
	vmHWM := procHWM(cmd.Process.Pid)

	var sb strings.Builder
	fmt.Fprintf(&sb, "\nscale vs VictoriaMetrics: %d series, %d min at 15s = %d samples (mlectl sealed; VM after force_flush, caches off)\n", nSeries, minutes, samples)
	fmt.Fprintf(&sb, "| %-34s | %14s | %14s | %8s |\n", "measure", "mlectl", "victoria", "ratio")
	row := func(name, a, p, r string) { fmt.Fprintf(&sb, "| %-34s | %14s | %14s | %8s |\n", name, a, p, r) }
	ourRate, vmRate := float64(samples)/ourIngest.Seconds(), float64(samples)/vmIngest.Seconds()
	row("ingest samples/s (VM: over HTTP)", fmt.Sprintf("%.0f", ourRate), fmt.Sprintf("%.0f", vmRate), fmt.Sprintf("%.2fx", ourRate/vmRate))
	row("disk bytes/sample", fmt.Sprintf("%.2f", st.BytesPerSample), "", "")
	row("VM process peak RSS, MB", "", mb(vmHWM), "")
	for _, q := range scaleQueries {
		for _, kind := range []string{"instant", "range"} {
			k := kind + " " + q.name
			o, p := medianDur(ours[k]), medianDur(vm[k])
			row(k+", ms", fmtMs(ours[k]), fmtMs(vm[k]), fmt.Sprintf("%.2fx", o.Seconds()/p.Seconds()))
		}
	}
	fmt.Println(sb.String())
}

// vmRemoteWrite sends the fleet the way scaleIngest appends it: 4 senders,
// requests of scaleBatch samples, protobuf + snappy.
func vmRemoteWrite(b *testing.B, hc *http.Client, u string, fleet []scaleSeries, steps int, start int64) {
	hosts := len(fleet) / scaleSeriesPerHost
	var wg sync.WaitGroup
	errs := make(chan error, scaleSenders)
	for g := range scaleSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := prompb.WriteRequest{}
			var buf, comp []byte
			send := func() error {
				var err error
				if buf, err = req.Marshal(); err != nil {
					return err
				}
				comp = snappy.Encode(comp[:0], buf)
				resp, err := hc.Post(u, "application/x-protobuf", bytes.NewReader(comp))
				if err != nil {
					return err
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					return fmt.Errorf("remote write: HTTP %d", resp.StatusCode)
				}
				req.Timeseries = req.Timeseries[:0]
				return nil
			}
			for i := range steps {
				t := start + int64(i)*scaleStep.Milliseconds()
				for h := g; h < hosts; h += scaleSenders {
					for k := h * scaleSeriesPerHost; k < (h+1)*scaleSeriesPerHost; k++ {
						s := &fleet[k]
						ts := prompb.TimeSeries{Samples: []prompb.Sample{{Timestamp: t, Value: s.value(i)}}}
						s.lset.Range(func(l labels.Label) {
							ts.Labels = append(ts.Labels, prompb.Label{Name: l.Name, Value: l.Value})
						})
						req.Timeseries = append(req.Timeseries, ts)
						if len(req.Timeseries) == scaleBatch {
							if err := send(); err != nil {
								errs <- err
								return
							}
						}
					}
				}
			}
			if len(req.Timeseries) > 0 {
				if err := send(); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

func vmGet(b *testing.B, hc *http.Client, u string) string {
	resp, err := hc.Get(u)
	require.NoError(b, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b, err)
	require.Equal(b, http.StatusOK, resp.StatusCode, "%s: %s", u, body)
	return string(body)
}

// procHWM returns process pid's peak resident set size (Linux), or 0.
func procHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
