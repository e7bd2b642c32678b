package remotestore

import (
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sender's hand-written protobuf decodes, with prompb, into the
// request it stands for: series grouped in first-seen order, each
// series' samples and histograms in log order, zero values, negative
// timestamps, NaN stale markers and empty label values included; and
// for floats the bytes are gogo's own.
func TestSenderEncodingDecodesAsPrompb(t *testing.T) {
	stale := math.Float64frombits(0x7ff0000000000002)
	h := &histogram.Histogram{Count: 3, Sum: 1.5, Schema: 0, ZeroThreshold: 0.001, ZeroCount: 1,
		PositiveSpans: []histogram.Span{{Offset: 0, Length: 2}}, PositiveBuckets: []int64{1, 0}}
	a := labels.FromStrings("__name__", "m", "job", "a")
	b := labels.FromStrings("__name__", "m", "job", "")
	series := map[chunks.HeadSeriesRef][]byte{1: marshalLabels(a), 2: marshalLabels(b)}
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		assert.NoError(t, err)
		bodies = append(bodies, body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	tests := []struct {
		name      string
		add       func(r *round)
		want      []prompb.TimeSeries
		gogoBytes bool // the request is byte for byte gogo's
	}{
		{"floats of two series, interleaved", func(r *round) {
			r.addFloat(1, series, 10, 1)
			r.addFloat(2, series, -5, 0)
			r.addFloat(1, series, 0, stale)
		}, []prompb.TimeSeries{
			{Labels: prompb.FromLabels(a, nil), Samples: []prompb.Sample{{Timestamp: 10, Value: 1}, {Timestamp: 0, Value: stale}}},
			{Labels: prompb.FromLabels(b, nil), Samples: []prompb.Sample{{Timestamp: -5, Value: 0}}},
		}, true},
		{"negative zero keeps its sign", func(r *round) {
			r.addFloat(1, series, 9, math.Copysign(0, -1))
		}, []prompb.TimeSeries{
			{Labels: prompb.FromLabels(a, nil), Samples: []prompb.Sample{{Timestamp: 9, Value: math.Copysign(0, -1)}}},
		}, false},
		{"histograms beside floats", func(r *round) {
			r.addFloat(2, series, 1, 2)
			r.addHistogram(1, series, prompb.FromIntHistogram(20, h))
			r.addHistogram(1, series, prompb.FromFloatHistogram(21, h.ToFloat(nil)))
		}, []prompb.TimeSeries{
			{Labels: prompb.FromLabels(b, nil), Samples: []prompb.Sample{{Timestamp: 1, Value: 2}}},
			{Labels: prompb.FromLabels(a, nil), Histograms: []prompb.Histogram{prompb.FromIntHistogram(20, h), prompb.FromFloatHistogram(21, h.ToFloat(nil))}},
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bodies = nil
			var r round
			r.reset()
			tt.add(&r)
			q := &Queue{q: QueueConfig{MaxShards: 1, MaxSamplesPerSend: 100}.withDefaults(),
				opts: QueueOptions{Dir: t.TempDir(), Client: writeClient(t, srv.URL, nil), Logger: slog.New(slog.DiscardHandler)}}
			q.registerMetrics(nil)
			require.NoError(t, q.send(t.Context(), &r, position{}))
			require.Len(t, bodies, 1)
			raw, err := snappy.Decode(nil, bodies[0])
			require.NoError(t, err)
			var got prompb.WriteRequest
			require.NoError(t, got.Unmarshal(raw))
			require.Len(t, got.Timeseries, len(tt.want))
			for i, ts := range tt.want {
				assert.Equal(t, ts.Labels, got.Timeseries[i].Labels)
				require.Len(t, got.Timeseries[i].Histograms, len(ts.Histograms))
				for k := range ts.Histograms { // compared as bytes: decoding makes nil of empty spans
					want, err := ts.Histograms[k].Marshal()
					require.NoError(t, err)
					got, err := got.Timeseries[i].Histograms[k].Marshal()
					require.NoError(t, err)
					assert.Equal(t, want, got)
				}
				require.Len(t, got.Timeseries[i].Samples, len(ts.Samples))
				for k, s := range ts.Samples {
					assert.Equal(t, s.Timestamp, got.Timeseries[i].Samples[k].Timestamp)
					assert.Equal(t, math.Float64bits(s.Value), math.Float64bits(got.Timeseries[i].Samples[k].Value))
				}
			}
			if tt.gogoBytes {
				gogo, err := (&prompb.WriteRequest{Timeseries: tt.want}).Marshal()
				require.NoError(t, err)
				assert.Equal(t, gogo, raw)
			}
		})
	}
}
