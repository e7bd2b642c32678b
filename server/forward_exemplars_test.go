package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// rwReceiver is a remote-write 1.0 endpoint on 127.0.0.1 that keeps the
// exemplars and metadata it is sent, decoded with prompb.
type rwReceiver struct {
	mu        sync.Mutex
	exemplars map[string][]prompb.Exemplar // by __name__
	metadata  map[string]prompb.MetricMetadata
	samples   map[string]int    // samples and histograms, by __name__
	series    map[string]string // the labels each __name__ came with
}

func newRWReceiver(t *testing.T) (*rwReceiver, string) {
	r := &rwReceiver{exemplars: map[string][]prompb.Exemplar{}, metadata: map[string]prompb.MetricMetadata{}, samples: map[string]int{}, series: map[string]string{}}
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
			r.samples[name] += len(ts.Samples) + len(ts.Histograms)
			sb := labels.NewScratchBuilder(len(ts.Labels))
			r.series[name] = ts.ToLabels(&sb, nil).String()
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
// forwarded from its queue: TimeSeries.exemplars with the series (those
// sent in a TimeSeries of their own too, as Prometheus's 1.0 sender sends
// them), WriteRequest.metadata by family.
func TestRemoteModeForwardsExemplarsAndMetadata(t *testing.T) {
	recv, base := newRWReceiver(t)
	c := remoteCollector(t, base+"/api/v1/write", base)
	now := time.Now().UnixMilli()
	wr := prompb.WriteRequest{
		Timeseries: []prompb.TimeSeries{
			{
				Labels:    []prompb.Label{{Name: "__name__", Value: "jobs_total"}, {Name: "job", Value: "batch"}},
				Exemplars: []prompb.Exemplar{{Labels: []prompb.Label{{Name: "trace_id", Value: "7e0b4a4b3c2d1e0f"}}, Value: 4, Timestamp: now - 20}},
			},
			{
				Labels:    []prompb.Label{{Name: "__name__", Value: "http_requests_total"}, {Name: "job", Value: "api"}},
				Samples:   []prompb.Sample{{Value: 7, Timestamp: now}},
				Exemplars: []prompb.Exemplar{{Labels: []prompb.Label{{Name: "trace_id", Value: "4bf92f3577b34da6"}}, Value: 1, Timestamp: now - 10}},
			},
			{
				Labels:  []prompb.Label{{Name: "__name__", Value: "latency_seconds_bucket"}, {Name: "le", Value: "0.5"}},
				Samples: []prompb.Sample{{Value: 3, Timestamp: now}},
			},
			{
				Labels:  []prompb.Label{{Name: "__name__", Value: "jobs_total"}, {Name: "job", Value: "batch"}},
				Samples: []prompb.Sample{{Value: 12, Timestamp: now}},
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
		return recv.samples["http_requests_total"] == 1 && recv.samples["latency_seconds_bucket"] == 1 && recv.samples["jobs_total"] == 1
	}, 20*time.Second, 20*time.Millisecond)
	recv.mu.Lock()
	defer recv.mu.Unlock()
	assert.Equal(t, []prompb.Exemplar{{Labels: []prompb.Label{{Name: "trace_id", Value: "4bf92f3577b34da6"}}, Value: 1, Timestamp: now - 10}},
		recv.exemplars["http_requests_total"])
	assert.Empty(t, recv.exemplars["latency_seconds_bucket"])
	assert.Equal(t, `{__name__="jobs_total", job="batch"}`, recv.series["jobs_total"])
	assert.Equal(t, []prompb.Exemplar{{Labels: []prompb.Label{{Name: "trace_id", Value: "7e0b4a4b3c2d1e0f"}}, Value: 4, Timestamp: now - 20}},
		recv.exemplars["jobs_total"], "sent apart from its series' samples")
	assert.Equal(t, prompb.MetricMetadata{Type: prompb.MetricMetadata_COUNTER, MetricFamilyName: "http_requests_total", Help: "Requests served."},
		recv.metadata["http_requests_total"])
	assert.Equal(t, prompb.MetricMetadata{Type: prompb.MetricMetadata_HISTOGRAM, MetricFamilyName: "latency_seconds", Help: "Request latency.", Unit: "seconds"},
		recv.metadata["latency_seconds"], "a histogram's family, from its _bucket series")
	assert.NotContains(t, recv.metadata, "no_series_sent", "metadata travels with its family's series")
}

// postRW2 posts req as a remote-write 2.0 request (snappy protobuf).
func postRW2(t *testing.T, base string, req *writev2.Request) (*http.Response, []byte) {
	t.Helper()
	raw, err := req.Marshal()
	require.NoError(t, err)
	hreq, err := http.NewRequest(http.MethodPost, base+"/api/v1/write", bytes.NewReader(snappy.Encode(nil, raw)))
	require.NoError(t, err)
	hreq.Header.Set("Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request")
	hreq.Header.Set("Content-Encoding", "snappy")
	hreq.Header.Set("X-Prometheus-Remote-Write-Version", "2.0.0")
	return testutil.Send(t, hreq)
}

// Remote-write 2.0 exemplars, their labels resolved through the request's
// symbol table, are forwarded from the queue with their series as 1.0's
// are: a float series', a native histogram's, and those sent in a
// TimeSeries of their own before their series' samples, as Prometheus's
// own 2.0 sender sends them (prometheus/prometheus#17857).
func TestRemoteModeForwardsRW2Exemplars(t *testing.T) {
	recv, base := newRWReceiver(t)
	c := remoteCollector(t, base+"/api/v1/write", base)
	now := time.Now().UnixMilli()
	st := writev2.NewSymbolTable()
	refs := func(kv ...string) []uint32 { return st.SymbolizeLabels(labels.FromStrings(kv...), nil) }
	h := &histogram.Histogram{Count: 3, Sum: 1.5, PositiveSpans: []histogram.Span{{Offset: 0, Length: 2}}, PositiveBuckets: []int64{1, 1}}
	req := writev2.Request{Timeseries: []writev2.TimeSeries{
		{
			LabelsRefs: refs("__name__", "rw2_jobs_total", "job", "batch"),
			Exemplars:  []writev2.Exemplar{{LabelsRefs: refs("trace_id", "7e0b4a4b3c2d1e0f"), Value: 4, Timestamp: now - 20}},
		},
		{
			LabelsRefs: refs("__name__", "rw2_requests_total", "job", "api"),
			Samples:    []writev2.Sample{{Value: 6, Timestamp: now - 1000}, {Value: 7, Timestamp: now}},
			Exemplars: []writev2.Exemplar{
				{LabelsRefs: refs("trace_id", "4bf92f3577b34da6", "span_id", "00f067aa0ba902b7"), Value: 1, Timestamp: now - 10},
				{LabelsRefs: refs("trace_id", "a3ce929d0e0e4736"), Value: 2.5}, // no timestamp: its series' first sample's
			},
		},
		{
			LabelsRefs: refs("__name__", "rw2_latency_seconds", "job", "api"),
			Histograms: []writev2.Histogram{writev2.FromIntHistogram(0, now, h)},
			Exemplars:  []writev2.Exemplar{{LabelsRefs: refs("trace_id", "5c1e0e4736a3ce92"), Value: 0.42, Timestamp: now - 5}},
		},
		{LabelsRefs: refs("__name__", "rw2_queue_depth"), Samples: []writev2.Sample{{Value: 3, Timestamp: now}}},
		{LabelsRefs: refs("__name__", "rw2_jobs_total", "job", "batch"), Samples: []writev2.Sample{{Value: 12, Timestamp: now}}},
	}}
	req.Symbols = st.Symbols()
	resp, body := postRW2(t, c.URL(), &req)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
	assert.Equal(t, "4", resp.Header.Get("X-Prometheus-Remote-Write-Exemplars-Written"))

	require.Eventually(t, func() bool {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		return recv.samples["rw2_requests_total"] == 2 && recv.samples["rw2_latency_seconds"] == 1 && recv.samples["rw2_queue_depth"] == 1 &&
			recv.samples["rw2_jobs_total"] == 1
	}, 20*time.Second, 20*time.Millisecond)
	recv.mu.Lock()
	defer recv.mu.Unlock()
	assert.Equal(t, `{__name__="rw2_requests_total", job="api"}`, recv.series["rw2_requests_total"])
	assert.Equal(t, []prompb.Exemplar{
		{Labels: []prompb.Label{{Name: "trace_id", Value: "a3ce929d0e0e4736"}}, Value: 2.5, Timestamp: now - 1000},
		{Labels: []prompb.Label{{Name: "span_id", Value: "00f067aa0ba902b7"}, {Name: "trace_id", Value: "4bf92f3577b34da6"}}, Value: 1, Timestamp: now - 10},
	}, recv.exemplars["rw2_requests_total"])
	assert.Equal(t, []prompb.Exemplar{{Labels: []prompb.Label{{Name: "trace_id", Value: "5c1e0e4736a3ce92"}}, Value: 0.42, Timestamp: now - 5}},
		recv.exemplars["rw2_latency_seconds"])
	assert.Empty(t, recv.exemplars["rw2_queue_depth"])
	assert.Equal(t, `{__name__="rw2_jobs_total", job="batch"}`, recv.series["rw2_jobs_total"])
	assert.Equal(t, []prompb.Exemplar{{Labels: []prompb.Label{{Name: "trace_id", Value: "7e0b4a4b3c2d1e0f"}}, Value: 4, Timestamp: now - 20}},
		recv.exemplars["rw2_jobs_total"], "sent apart from its series' samples")
}

// A 2.0 TimeSeries with exemplars alone whose series has no sample in the
// request is refused as Prometheus's receiver refuses it (the spec wants
// a sample or histogram in every TimeSeries); the rest is written.
func TestRemoteModeRW2LoneExemplarWithoutItsSeries(t *testing.T) {
	recv, base := newRWReceiver(t)
	c := remoteCollector(t, base+"/api/v1/write", base)
	now := time.Now().UnixMilli()
	st := writev2.NewSymbolTable()
	refs := func(kv ...string) []uint32 { return st.SymbolizeLabels(labels.FromStrings(kv...), nil) }
	req := writev2.Request{Timeseries: []writev2.TimeSeries{
		{LabelsRefs: refs("__name__", "rw2_lone_total"), Exemplars: []writev2.Exemplar{{LabelsRefs: refs("trace_id", "1"), Value: 1, Timestamp: now}}},
		{LabelsRefs: refs("__name__", "rw2_lone_other"), Samples: []writev2.Sample{{Value: 2, Timestamp: now}}},
	}}
	req.Symbols = st.Symbols()
	resp, body := postRW2(t, c.URL(), &req)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
	assert.Contains(t, string(body), `TimeSeries must contain at least one sample or histogram for series {__name__="rw2_lone_total"}`)
	assert.Equal(t, "1", resp.Header.Get("X-Prometheus-Remote-Write-Samples-Written"))
	require.Eventually(t, func() bool {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		return recv.samples["rw2_lone_other"] == 1
	}, 20*time.Second, 20*time.Millisecond)
	recv.mu.Lock()
	defer recv.mu.Unlock()
	assert.Empty(t, recv.exemplars["rw2_lone_total"])
}

// A bad remote-write 2.0 exemplar is refused with a 400 naming its field;
// the rest of the request — its series' samples, the other exemplars, the
// other series — is written and forwarded, as Prometheus's 2.0 receiver
// writes the rest of a request with an unparsable exemplar.
func TestRemoteModeRW2BadExemplars(t *testing.T) {
	recv, base := newRWReceiver(t)
	c := remoteCollector(t, base+"/api/v1/write", base)
	cases := []struct {
		name     string
		bad      func(st *writev2.SymbolsTable) []uint32
		wantBody []string
	}{
		{"label ref outside the symbol table",
			func(st *writev2.SymbolsTable) []uint32 { return []uint32{st.Symbolize("trace_id"), 999} },
			[]string{"invalid_exemplar: ", "exemplars[0].labels_refs [", " 999]", "symbols"}},
		{"odd number of label refs",
			func(st *writev2.SymbolsTable) []uint32 { return []uint32{st.Symbolize("trace_id")} },
			[]string{"invalid_exemplar: ", "exemplars[0].labels_refs", "name/value pairs"}},
		{"labels over 128 characters",
			func(st *writev2.SymbolsTable) []uint32 {
				return st.SymbolizeLabels(labels.FromStrings("trace_id", strings.Repeat("f", 121)), nil)
			},
			[]string{"exemplar_labels_too_long: ", "exemplars[0].labels_refs", "129 characters", "128"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name, other := fmt.Sprintf("rw2_bad_exemplar_%d_total", i), fmt.Sprintf("rw2_bad_exemplar_%d_other", i)
			now := time.Now().UnixMilli()
			st := writev2.NewSymbolTable()
			refs := func(kv ...string) []uint32 { return st.SymbolizeLabels(labels.FromStrings(kv...), nil) }
			req := writev2.Request{Timeseries: []writev2.TimeSeries{
				{
					LabelsRefs: refs("__name__", name),
					Samples:    []writev2.Sample{{Value: 1, Timestamp: now}},
					Exemplars: []writev2.Exemplar{
						{LabelsRefs: tc.bad(&st), Value: 5, Timestamp: now - 2},
						{LabelsRefs: refs("trace_id", "0af7651916cd43dd"), Value: 9, Timestamp: now - 1},
					},
				},
				{LabelsRefs: refs("__name__", other), Samples: []writev2.Sample{{Value: 2, Timestamp: now}}},
			}}
			req.Symbols = st.Symbols()
			resp, body := postRW2(t, c.URL(), &req)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
			for _, want := range tc.wantBody {
				assert.Contains(t, string(body), want)
			}
			assert.Contains(t, string(body), "rejected 1 exemplars")
			assert.Equal(t, "2", resp.Header.Get("X-Prometheus-Remote-Write-Samples-Written"))
			assert.Equal(t, "1", resp.Header.Get("X-Prometheus-Remote-Write-Exemplars-Written"))

			require.Eventually(t, func() bool {
				recv.mu.Lock()
				defer recv.mu.Unlock()
				return recv.samples[name] == 1 && recv.samples[other] == 1
			}, 20*time.Second, 20*time.Millisecond)
			recv.mu.Lock()
			defer recv.mu.Unlock()
			assert.Equal(t, []prompb.Exemplar{{Labels: []prompb.Label{{Name: "trace_id", Value: "0af7651916cd43dd"}}, Value: 9, Timestamp: now - 1}},
				recv.exemplars[name], "the good exemplar of the series, not the bad one")
		})
	}
}
