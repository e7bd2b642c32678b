package collector

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	remoteapi "github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/storage/remote"
)

// BenchmarkRemoteWriteV1 measures remote-write 1.0 ingest over real HTTP into
// the project's TSDB: the collector's handler (limits, per-series
// validation, partial acceptance) side by side with the baseline,
// Prometheus's own remote-write handler, on the same kind of store.
// Each request is a real self-scrape of Prometheus (332 series) with 10
// samples per series.
func BenchmarkRemoteWriteV1(b *testing.B) {
	base := expositionSeries(b, "testdata/prometheus_self_scrape.head.prom.txt", time.Now())
	const samplesPerSeries = 10
	handlers := map[string]func(*Server) http.Handler{
		"collector":           func(s *Server) http.Handler { return s.Handler() },
		"baseline=prometheus": func(s *Server) http.Handler { return prometheusV1Handler(s) },
	}
	for _, name := range []string{"collector", "baseline=prometheus"} {
		b.Run(name, func(b *testing.B) {
			st := openTestStore(b, b.TempDir())
			b.Cleanup(func() { _ = st.Close() })
			srv, err := New(Config{Limits: Limits{MaxFutureSkew: -1}}, st, nil)
			if err != nil {
				b.Fatal(err)
			}
			hs := httptest.NewServer(handlers[name](srv))
			b.Cleanup(hs.Close)
			// Bodies are built up front so that only the write path is timed.
			start := time.Now().Add(-time.Hour).UnixMilli()
			bodies := make([][]byte, b.N)
			for i := range bodies {
				batch := make([]prompb.TimeSeries, len(base))
				for j, s := range base {
					smp := make([]prompb.Sample, samplesPerSeries)
					for k := range smp {
						smp[k] = prompb.Sample{Timestamp: start + int64(i*samplesPerSeries+k)*100, Value: s.Samples[0].Value + float64(k)}
					}
					batch[j] = prompb.TimeSeries{Labels: s.Labels, Samples: smp}
				}
				bodies[i] = encodeV1(b, batch...)
			}
			client := hs.Client()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				req, _ := http.NewRequest(http.MethodPost, hs.URL+"/api/v1/write", bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", contentTypeV1)
				req.Header.Set("Content-Encoding", "snappy")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.StopTimer()
			samples := float64(b.N * len(base) * samplesPerSeries)
			b.ReportMetric(samples/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// prometheusV1Handler is Prometheus's remote-write receiver over the
// server's store, mounted at the same path.
func prometheusV1Handler(s *Server) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /api/v1/write", remote.NewWriteHandler(s.logger, prometheus.NewRegistry(), storeProxy{s},
		remoteapi.MessageTypes{remoteapi.WriteV1MessageType}, false, false))
	return mux
}
