package collector

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/prompb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteLimits(t *testing.T) {
	now := time.Now()
	ok := func(name string) prompb.TimeSeries {
		return series([]string{"__name__", name, "job", "api"}, prompb.Sample{Timestamp: now.UnixMilli(), Value: 1})
	}
	smp := prompb.Sample{Timestamp: now.UnixMilli(), Value: 1}
	manyLabels := []string{"__name__", "wide"}
	for i := range 5 {
		manyLabels = append(manyLabels, "l"+string(rune('a'+i)), "v")
	}
	tests := []struct {
		name        string
		limits      Limits
		contentType string
		encoding    string
		body        func(t *testing.T) []byte
		wantCode    int
		wantMsg     []string
		// wantKept is a metric name that must be queryable afterwards.
		wantKept string
	}{
		{
			name:   "body over max_body_bytes",
			limits: Limits{MaxBodyBytes: 64},
			body: func(t *testing.T) []byte {
				return encodeV1(t, expositionSeries(t, "testdata/prometheus_self_scrape.head.prom.txt", now)...)
			},
			wantCode: http.StatusRequestEntityTooLarge,
			wantMsg:  []string{"max_body_bytes", "64 bytes"},
		},
		{
			name:   "decoded size over max_decoded_bytes",
			limits: Limits{MaxDecodedBytes: 1024},
			body: func(t *testing.T) []byte {
				return encodeV1(t, expositionSeries(t, "testdata/prometheus_self_scrape.head.prom.txt", now)...)
			},
			wantCode: http.StatusRequestEntityTooLarge,
			wantMsg:  []string{"max_decoded_bytes", "1024 bytes"},
		},
		{
			name:     "too many series",
			limits:   Limits{MaxSeriesPerRequest: 2},
			body:     func(t *testing.T) []byte { return encodeV1(t, ok("a"), ok("b"), ok("c")) },
			wantCode: http.StatusRequestEntityTooLarge,
			wantMsg:  []string{"max_series_per_request", "3 series"},
		},
		{
			name:     "too many labels",
			limits:   Limits{MaxLabelsPerSeries: 4},
			body:     func(t *testing.T) []byte { return encodeV1(t, series(manyLabels, smp), ok("kept_a")) },
			wantCode: http.StatusBadRequest,
			wantMsg:  []string{"too_many_labels", "max_labels_per_series=4", `__name__="wide"`, "accepted 1 samples from 1 series"},
			wantKept: "kept_a",
		},
		{
			name:   "label name too long",
			limits: Limits{MaxLabelNameLength: 8},
			body: func(t *testing.T) []byte {
				return encodeV1(t, series([]string{"__name__", "m", "averyverylongname", "x"}, smp), ok("kept_b"))
			},
			wantCode: http.StatusBadRequest,
			wantMsg:  []string{"label_name_too_long", "max_label_name_length=8", `"averyverylongname"`},
			wantKept: "kept_b",
		},
		{
			name:   "label value too long",
			limits: Limits{MaxLabelValueLength: 10},
			body: func(t *testing.T) []byte {
				return encodeV1(t, series([]string{"__name__", "m", "path", strings.Repeat("x", 11)}, smp), ok("kept_c"))
			},
			wantCode: http.StatusBadRequest,
			wantMsg:  []string{"label_value_too_long", `label "path"`, "11 bytes", "max_label_value_length=10"},
			wantKept: "kept_c",
		},
		{
			name:     "missing metric name",
			body:     func(t *testing.T) []byte { return encodeV1(t, series([]string{"job", "x"}, smp), ok("kept_d")) },
			wantCode: http.StatusBadRequest,
			wantMsg:  []string{"missing_metric_name", `{job="x"}`},
			wantKept: "kept_d",
		},
		{
			name: "invalid utf-8 value",
			body: func(t *testing.T) []byte {
				return encodeV1(t, series([]string{"__name__", "m", "job", "\xff\xfe"}, smp), ok("kept_e"))
			},
			wantCode: http.StatusBadRequest,
			wantMsg:  []string{"invalid_label_value", `label "job"`, "UTF-8"},
			wantKept: "kept_e",
		},
		{
			name:   "unsorted labels when required sorted",
			limits: Limits{RequireSortedLabels: true},
			body: func(t *testing.T) []byte {
				return encodeV1(t, series([]string{"job", "x", "__name__", "m"}, smp), ok("kept_f"))
			},
			wantCode: http.StatusBadRequest,
			wantMsg:  []string{"labels_not_sorted", `"__name__" after "job"`, "require_sorted_labels"},
			wantKept: "kept_f",
		},
		{
			name:     "unsorted labels are sorted by default",
			body:     func(t *testing.T) []byte { return encodeV1(t, series([]string{"job", "x", "__name__", "kept_j"}, smp)) },
			wantCode: http.StatusNoContent, // as Prometheus's receiver: no body
			wantKept: "kept_j",
		},
		{
			name: "duplicate label name in unsorted series",
			body: func(t *testing.T) []byte {
				return encodeV1(t, series([]string{"job", "a", "__name__", "m", "job", "b"}, smp), ok("kept_k"))
			},
			wantCode: http.StatusBadRequest,
			wantMsg:  []string{"duplicate_label_name", `"job" appears twice`},
			wantKept: "kept_k",
		},
		{
			name: "duplicate label name",
			body: func(t *testing.T) []byte {
				return encodeV1(t, series([]string{"__name__", "m", "job", "a", "job", "b"}, smp), ok("kept_g"))
			},
			wantCode: http.StatusBadRequest,
			wantMsg:  []string{"duplicate_label_name", `"job" appears twice`},
			wantKept: "kept_g",
		},
		{
			name:   "per-metric series limit",
			limits: Limits{MaxSeriesPerMetric: 2},
			body: func(t *testing.T) []byte {
				return encodeV1(t,
					series([]string{"__name__", "req", "id", "1"}, smp),
					series([]string{"__name__", "req", "id", "2"}, smp),
					series([]string{"__name__", "req", "id", "3"}, smp),
					ok("kept_h"))
			},
			wantCode: http.StatusTooManyRequests,
			wantMsg:  []string{"per_metric_series_limit", `metric "req"`, "max_series_per_metric=2", `id="3"`, "accepted 3 samples from 3 series"},
			wantKept: "kept_h",
		},
		{
			name: "sample too far in the future",
			body: func(t *testing.T) []byte {
				return encodeV1(t, series([]string{"__name__", "m"}, prompb.Sample{Timestamp: now.Add(time.Hour).UnixMilli(), Value: 1}), ok("kept_i"))
			},
			wantCode: http.StatusBadRequest,
			wantMsg:  []string{"too_far_in_future", "max_future_skew=10m0s", `__name__="m"`},
			wantKept: "kept_i",
		},
		{
			name:     "not snappy",
			body:     func(*testing.T) []byte { return []byte("\xff\xff\xff\xff\xff\xff plain text") },
			wantCode: http.StatusBadRequest,
			wantMsg:  []string{"snappy"},
		},
		{
			name:     "not protobuf",
			body:     func(*testing.T) []byte { return snappyEncode([]byte("\x0a\xff\xff\xff\x0f")) },
			wantCode: http.StatusBadRequest,
			wantMsg:  []string{"protobuf"},
		},
		{
			name:        "unsupported content type",
			contentType: "application/json",
			body:        func(t *testing.T) []byte { return encodeV1(t, ok("a")) },
			wantCode:    http.StatusUnsupportedMediaType,
			wantMsg:     []string{"Content-Type", "application/json"},
		},
		{
			name:        "unknown proto message",
			contentType: "application/x-protobuf;proto=io.prometheus.write.v3.Request",
			body:        func(t *testing.T) []byte { return encodeV1(t, ok("a")) },
			wantCode:    http.StatusUnsupportedMediaType,
			wantMsg:     []string{"io.prometheus.write.v3.Request"},
		},
		{
			name:     "unsupported encoding",
			encoding: "gzip",
			body:     func(t *testing.T) []byte { return encodeV1(t, ok("a")) },
			wantCode: http.StatusUnsupportedMediaType,
			wantMsg:  []string{"Content-Encoding", "gzip"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, Config{Limits: tc.limits})
			req, err := http.NewRequest(http.MethodPost, ts.url+"/api/v1/write", bytes.NewReader(tc.body(t)))
			require.NoError(t, err)
			req.Header.Set("Content-Type", contentTypeV1)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			req.Header.Set("Content-Encoding", "snappy")
			if tc.encoding != "" {
				req.Header.Set("Content-Encoding", tc.encoding)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body := readAll(t, resp)
			assert.Equal(t, tc.wantCode, resp.StatusCode, body)
			mustContainAll(t, body, tc.wantMsg...)
			if tc.wantKept != "" {
				v := queryVector(t, ts.url, tc.wantKept, now)
				require.Len(t, v.Result, 1, "valid series %s of a partly bad request must be kept", tc.wantKept)
			}
		})
	}
}

func TestWritePartialAcceptanceKeepsValidSeries(t *testing.T) {
	ts := newTestServer(t, Config{Limits: Limits{MaxLabelValueLength: 32}})
	end := time.Now().Truncate(time.Minute)
	cpu := nabSamples(t, "ec2_cpu_utilization_24ae8d.csv", 100, end, 15*time.Second)
	taxi := nabSamples(t, "nyc_taxi.csv", 50, end, 15*time.Second)
	r := postWrite(t, ts.url, contentTypeV1, encodeV1(t,
		series([]string{"__name__", "ec2_cpu_utilization", "instance", "24ae8d"}, cpu...),
		series([]string{"__name__", "bad", "instance", strings.Repeat("z", 40)}, cpu[:7]...),
		series([]string{"__name__", "nyc_taxi_trips"}, taxi...),
	))
	require.Equal(t, http.StatusBadRequest, r.code, r.body)
	mustContainAll(t, r.body, "accepted 150 samples from 2 series", "rejected 7 samples (1 whole series)", "label_value_too_long", `label "instance"`)
	assert.Equal(t, "150", r.hdr.Get("X-Mlectl-Samples-Accepted"))
	assert.Equal(t, "7", r.hdr.Get("X-Mlectl-Samples-Rejected"))
	assert.Empty(t, r.hdr.Get("X-Prometheus-Remote-Write-Samples-Written"), "1.0 responses carry no 2.0 stats headers")

	// Everything accepted reads back sample for sample.
	rng := apiGet(t, ts.url, "/api/v1/query_range", map[string][]string{
		"query": {"ec2_cpu_utilization"},
		"start": {end.Add(-time.Duration(len(cpu)-1) * 15 * time.Second).Format(time.RFC3339)},
		"end":   {end.Format(time.RFC3339)},
		"step":  {"15s"},
	})
	require.Equal(t, "success", rng.Status, rng.Error)
	m := decodeMatrix(t, rng.Data)
	require.Len(t, m, 1)
	require.Len(t, m[0].Values, len(cpu))
	for i, p := range m[0].Values {
		assert.Equal(t, formatFloat(cpu[i].Value), p[1])
	}
	assert.Len(t, queryVector(t, ts.url, "nyc_taxi_trips", end).Result, 1)
	assert.Empty(t, queryVector(t, ts.url, "bad", end).Result)

	// The rejections are counted by reason.
	metrics := getText(t, ts.url+"/metrics")
	mustContainAll(t, metrics,
		`mlectl_collector_samples_rejected_total{reason="label_value_too_long"} 7`,
		`mlectl_collector_samples_ingested_total{protocol="1.0"} 150`)
}

func TestWriteAllGoodIs2xx(t *testing.T) {
	ts := newTestServer(t, Config{})
	now := time.Now()
	all := expositionSeries(t, "testdata/prometheus_self_scrape.head.prom.txt", now)
	r := postWrite(t, ts.url, contentTypeV1, encodeV1(t, all...))
	require.Equal(t, http.StatusNoContent, r.code, r.body)
	assert.Empty(t, r.body)
	assert.Equal(t, "332", r.hdr.Get("X-Mlectl-Samples-Accepted"))
	assert.Equal(t, "0", r.hdr.Get("X-Mlectl-Samples-Rejected"))
	v := queryVector(t, ts.url, `count({__name__=~".+"})`, now)
	require.Len(t, v.Result, 1)
	assert.Equal(t, "332", v.Result[0].Value[1])
}

func TestWriteStorageSampleErrorsNameSeriesAfterCommittingGoodOnes(t *testing.T) {
	ts := newTestServer(t, Config{})
	now := time.Now().Truncate(time.Second)
	first := postWrite(t, ts.url, contentTypeV1, encodeV1(t,
		series([]string{"__name__", "temp", "room", "a"}, prompb.Sample{Timestamp: now.UnixMilli(), Value: 20})))
	require.Equal(t, http.StatusNoContent, first.code, first.body)

	// Three hours back is outside the storage's out-of-order window.
	old := now.Add(-3 * time.Hour).UnixMilli()
	r := postWrite(t, ts.url, contentTypeV1, encodeV1(t,
		series([]string{"__name__", "temp", "room", "a"}, prompb.Sample{Timestamp: old, Value: 1}, prompb.Sample{Timestamp: old + 1000, Value: 2}),
		series([]string{"__name__", "temp", "room", "b"}, prompb.Sample{Timestamp: now.UnixMilli(), Value: 21}),
	))
	require.Equal(t, http.StatusBadRequest, r.code, r.body)
	mustContainAll(t, r.body, `room="a"`, "accepted 1 samples from 1 series", "rejected 2 samples", "(and 1 more samples)")
	assert.True(t, strings.Contains(r.body, "too_old:") || strings.Contains(r.body, "out_of_order:") || strings.Contains(r.body, "out_of_bounds:"), r.body)
	v := queryVector(t, ts.url, `temp{room="b"}`, now)
	require.Len(t, v.Result, 1)
	assert.Equal(t, "21", v.Result[0].Value[1])

	// A series refused for two reasons counts once as a whole series.
	mixed := postWrite(t, ts.url, contentTypeV1, encodeV1(t,
		series([]string{"__name__", "temp", "room", "a"},
			prompb.Sample{Timestamp: old, Value: 1}, prompb.Sample{Timestamp: now.Add(time.Hour).UnixMilli(), Value: 2})))
	require.Equal(t, http.StatusBadRequest, mixed.code, mixed.body)
	mustContainAll(t, mixed.body, "accepted 0 samples from 0 series; rejected 2 samples (1 whole series)", "too_far_in_future:")
}

func TestSeriesLimitCountsSeriesAlreadyStored(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	st := openTestStore(t, dir)
	app := st.Appender(t.Context())
	for _, id := range []string{"1", "2"} {
		_, err := app.Append(0, labelsOf("__name__", "req", "id", id), now.UnixMilli(), 1)
		require.NoError(t, err)
	}
	require.NoError(t, app.Commit())
	t.Cleanup(func() { _ = st.Close() })

	srv, err := New(Config{Limits: Limits{MaxSeriesPerMetric: 2}}, st, nil)
	require.NoError(t, err)
	hs := newHTTPServer(t, srv)
	smp := prompb.Sample{Timestamp: now.UnixMilli() + 1000, Value: 2}
	r := postWrite(t, hs, contentTypeV1, encodeV1(t,
		series([]string{"__name__", "req", "id", "2"}, smp),
		series([]string{"__name__", "req", "id", "3"}, smp)))
	require.Equal(t, http.StatusTooManyRequests, r.code, r.body)
	mustContainAll(t, r.body, `already has 2 series`, `id="3"`, "accepted 1 samples from 1 series")
}

func TestRemoteWriteV2AppliesLimitsAndKeepsValidSeries(t *testing.T) {
	ts := newTestServer(t, Config{Limits: Limits{MaxLabelValueLength: 16}})
	now := time.Now().Truncate(time.Second)
	smp := prompb.Sample{Timestamp: now.UnixMilli(), Value: 42}

	good := postWrite(t, ts.url, contentTypeV2, encodeV2(t, series([]string{"__name__", "v2_metric", "job", "a"}, smp)))
	require.Equal(t, http.StatusNoContent, good.code, good.body)
	assert.Equal(t, "1", good.hdr.Get("X-Prometheus-Remote-Write-Samples-Written"))

	mixed := postWrite(t, ts.url, contentTypeV2, encodeV2(t,
		series([]string{"__name__", "v2_metric", "job", "b"}, smp),
		series([]string{"__name__", "v2_metric", "job", strings.Repeat("q", 17)}, smp),
		series([]string{"job", "nameless"}, smp)))
	require.Equal(t, http.StatusBadRequest, mixed.code, mixed.body)
	mustContainAll(t, mixed.body, "label_value_too_long", "max_label_value_length=16", "missing_metric_name", "accepted 1 samples from 1 series")
	v := queryVector(t, ts.url, "v2_metric", now)
	require.Len(t, v.Result, 2)

	tooMany := newTestServer(t, Config{Limits: Limits{MaxSeriesPerRequest: 1}})
	r := postWrite(t, tooMany.url, contentTypeV2, encodeV2(t,
		series([]string{"__name__", "a"}, smp), series([]string{"__name__", "b"}, smp)))
	require.Equal(t, http.StatusRequestEntityTooLarge, r.code, r.body)
	mustContainAll(t, r.body, "max_series_per_request")
}

func TestNotReadyUntilStoreAttached(t *testing.T) {
	srv, err := New(Config{}, nil, nil)
	require.NoError(t, err)
	base := newHTTPServer(t, srv)

	resp, err := http.Get(base + "/-/ready")
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, readAll(t, resp))
	q := apiGet(t, base, "/api/v1/query", map[string][]string{"query": {"1"}})
	assert.Equal(t, http.StatusServiceUnavailable, q.code)
	assert.Equal(t, "unavailable", q.ErrorType)
	w := postWrite(t, base, contentTypeV1, encodeV1(t, series([]string{"__name__", "m"}, prompb.Sample{Timestamp: 1, Value: 1})))
	assert.Equal(t, http.StatusServiceUnavailable, w.code)
	resp, err = http.Get(base + "/-/healthy")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode, readAll(t, resp))

	st := openTestStore(t, t.TempDir())
	t.Cleanup(func() { _ = st.Close() })
	srv.Attach(st)
	resp, err = http.Get(base + "/-/ready")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode, readAll(t, resp))
	q = apiGet(t, base, "/api/v1/query", map[string][]string{"query": {"1"}})
	assert.Equal(t, "success", q.Status)
}

func TestWriteNativeHistograms(t *testing.T) {
	ts := newTestServer(t, Config{})
	now := time.Now().Truncate(time.Second)
	h := &histogram.Histogram{
		Count: 12, ZeroCount: 2, ZeroThreshold: 0.001, Sum: 18.4, Schema: 1,
		PositiveSpans:   []histogram.Span{{Offset: 0, Length: 2}, {Offset: 1, Length: 2}},
		PositiveBuckets: []int64{1, 1, -1, 0},
		NegativeSpans:   []histogram.Span{{Offset: 0, Length: 2}},
		NegativeBuckets: []int64{2, 1},
	}
	require.NoError(t, h.Validate())
	s := series([]string{"__name__", "rpc_latency_seconds", "job", "api"})
	s.Histograms = []prompb.Histogram{prompb.FromIntHistogram(now.UnixMilli(), h)}
	bad := series([]string{"__name__", "broken_hist"})
	broken := h.Copy()
	broken.Count = 1 // fewer observations than its buckets hold
	bad.Histograms = []prompb.Histogram{prompb.FromIntHistogram(now.UnixMilli(), broken)}
	r := postWrite(t, ts.url, contentTypeV1, encodeV1(t, s, bad))
	require.Equal(t, http.StatusBadRequest, r.code, r.body)
	mustContainAll(t, r.body, "accepted 1 samples from 1 series", "invalid_histogram", "broken_hist")

	for q, want := range map[string]string{
		"histogram_count(rpc_latency_seconds)": "12",
		"histogram_sum(rpc_latency_seconds)":   "18.4",
	} {
		v := queryVector(t, ts.url, q, now)
		require.Len(t, v.Result, 1, q)
		assert.Equal(t, want, v.Result[0].Value[1], q)
	}
}
