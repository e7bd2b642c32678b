package server_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/prometheus/prometheus/prompb"
)

// rwReceiver is a remote-write 1.0 endpoint on 127.0.0.1 that keeps the
// exemplars and metadata it is sent, decoded with prompb.
type rwReceiver struct {
	mu        sync.Mutex
	exemplars map[string][]prompb.Exemplar // by __name__
	metadata  map[string]prompb.MetricMetadata
	samples   map[string]int
}

func newRWReceiver(t *testing.T) (*rwReceiver, string) {
	r := &rwReceiver{exemplars: map[string][]prompb.Exemplar{}, metadata: map[string]prompb.MetricMetadata{}, samples: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/api/v1/write" {
			http.NotFound(w, req)
			return
		}
		body, err := io.ReadAll(req.Body)
		require.NoError(t, err)
		raw, err := snappy.Decode(nil, body)
		require.NoError(t, err)
		var wr prompb.WriteRequest
		require.NoError(t, wr.Unmarshal(raw))
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, ts := range wr.Timeseries {
			var name string
			for _, l := range ts.Labels {
				if l.Name == "__name__" {
					name = l.Value
				}
			}
			r.exemplars[name] = append(r.exemplars[name], ts.Exemplars...)
			r.samples[name] += len(ts.Samples)
		}
		for _, m := range wr.Metadata {
			r.metadata[m.MetricFamilyName] = m
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL
}

// Remote-write exemplars and metric metadata the collector accepts are
// forwarded from its queue: TimeSeries.exemplars with the series,
// WriteRequest.metadata by family.
func TestRemoteModeForwardsExemplarsAndMetadata(t *testing.T) {
	recv, base := newRWReceiver(t)
	c := remoteCollector(t, base+"/api/v1/write", base)
	now := time.Now().UnixMilli()
	wr := prompb.WriteRequest{
		Timeseries: []prompb.TimeSeries{
			{
				Labels:    []prompb.Label{{Name: "__name__", Value: "http_requests_total"}, {Name: "job", Value: "api"}},
				Samples:   []prompb.Sample{{Value: 7, Timestamp: now}},
				Exemplars: []prompb.Exemplar{{Labels: []prompb.Label{{Name: "trace_id", Value: "4bf92f3577b34da6"}}, Value: 1, Timestamp: now - 10}},
			},
			{
				Labels:  []prompb.Label{{Name: "__name__", Value: "latency_seconds_bucket"}, {Name: "le", Value: "0.5"}},
				Samples: []prompb.Sample{{Value: 3, Timestamp: now}},
			},
		},
		Metadata: []prompb.MetricMetadata{
			{Type: prompb.MetricMetadata_COUNTER, MetricFamilyName: "http_requests_total", Help: "Requests served.", Unit: ""},
			{Type: prompb.MetricMetadata_HISTOGRAM, MetricFamilyName: "latency_seconds", Help: "Request latency.", Unit: "seconds"},
			{Type: prompb.MetricMetadata_GAUGE, MetricFamilyName: "no_series_sent", Help: "A family with no series here."},
		},
	}
	raw, err := wr.Marshal()
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, c.URL()+"/api/v1/write", bytes.NewReader(snappy.Encode(nil, raw)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	resp, body := testutil.Send(t, req)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))

	require.Eventually(t, func() bool {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		return recv.samples["http_requests_total"] == 1 && recv.samples["latency_seconds_bucket"] == 1
	}, 20*time.Second, 20*time.Millisecond)
	recv.mu.Lock()
	defer recv.mu.Unlock()
	assert.Equal(t, []prompb.Exemplar{{Labels: []prompb.Label{{Name: "trace_id", Value: "4bf92f3577b34da6"}}, Value: 1, Timestamp: now - 10}},
		recv.exemplars["http_requests_total"])
	assert.Empty(t, recv.exemplars["latency_seconds_bucket"])
	assert.Equal(t, prompb.MetricMetadata{Type: prompb.MetricMetadata_COUNTER, MetricFamilyName: "http_requests_total", Help: "Requests served."},
		recv.metadata["http_requests_total"])
	assert.Equal(t, prompb.MetricMetadata{Type: prompb.MetricMetadata_HISTOGRAM, MetricFamilyName: "latency_seconds", Help: "Request latency.", Unit: "seconds"},
		recv.metadata["latency_seconds"], "a histogram's family, from its _bucket series")
	assert.NotContains(t, recv.metadata, "no_series_sent", "metadata travels with its family's series")
}
