package collector

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeWriteRequestRoundTrip(t *testing.T) {
	now := time.Unix(1_790_000_000, 0)
	want := expositionSeries(t, "testdata/prometheus_self_scrape.head.prom.txt", now)
	var got prompb.WriteRequest
	buf, err := DecodeWriteRequest(encodeV1(t, want...), Limits{}, nil, &got)
	require.NoError(t, err)
	require.Len(t, got.Timeseries, len(want))
	for i := range want {
		assert.Equal(t, want[i].Labels, got.Timeseries[i].Labels)
		assert.Equal(t, want[i].Samples, got.Timeseries[i].Samples)
	}
	// The scratch buffer is reused without clobbering the previous result.
	first := got.Timeseries[0].Labels[0].Value
	var again prompb.WriteRequest
	_, err = DecodeWriteRequest(encodeV1(t, series([]string{"__name__", "zzzzzzzzzzzzzzzzzzzz"})), Limits{}, buf, &again)
	require.NoError(t, err)
	assert.Equal(t, first, got.Timeseries[0].Labels[0].Value)
}

func TestDecodeWriteRequestLimitsBeforeAllocation(t *testing.T) {
	// A 64 KiB body whose snappy header announces 1 MiB (a ratio real
	// snappy reaches) must be refused from the header alone.
	var hdr [10]byte
	n := putUvarint(hdr[:], 1<<20)
	body := append(hdr[:n], make([]byte, 64<<10)...)
	var req prompb.WriteRequest
	_, err := DecodeWriteRequest(body, Limits{MaxDecodedBytes: 1 << 19}, nil, &req)
	var le *limitError
	require.True(t, errors.As(err, &le), "%v", err)
	assert.Equal(t, "max_decoded_bytes", le.field)
	assert.Equal(t, http.StatusRequestEntityTooLarge, le.status)
	assert.Contains(t, err.Error(), "1048576 bytes")

	// A 12-byte body announcing 1 GiB is not snappy at all (no snappy block
	// expands 89 million times): malformed (400), not too large (413).
	n = putUvarint(hdr[:], 1<<30)
	_, err = DecodeWriteRequest(append(hdr[:n], 0, 0), Limits{MaxDecodedBytes: 1 << 20}, nil, &req)
	require.ErrorIs(t, err, errBadPayload)
	require.False(t, errors.As(err, &le), "%v", err)

	_, err = readBody(bytes.NewReader(make([]byte, 100)), -1, 99)
	require.True(t, errors.As(err, &le))
	assert.Equal(t, "max_body_bytes", le.field)
	_, err = readBody(strings.NewReader("x"), 1000, 99)
	require.True(t, errors.As(err, &le), "Content-Length alone must refuse the body")
	b, err := readBody(bytes.NewReader(make([]byte, 99)), -1, 99)
	require.NoError(t, err)
	assert.Len(t, b, 99)
}

func putUvarint(buf []byte, x uint64) int {
	i := 0
	for x >= 0x80 {
		buf[i] = byte(x) | 0x80
		x >>= 7
		i++
	}
	buf[i] = byte(x)
	return i + 1
}

// FuzzDecodeWriteRequest checks that arbitrary bodies never panic, never
// exceed the limits, and that whatever decodes re-encodes to an equal
// request.
func FuzzDecodeWriteRequest(f *testing.F) {
	now := time.Unix(1_790_000_000, 0)
	all := expositionSeries(f, "testdata/prometheus_self_scrape.head.prom.txt", now)
	f.Add(encodeV1(f, all[:20]...))
	f.Add(encodeV1(f, all[100:101]...))
	f.Add(encodeV1(f, series([]string{"__name__", "ec2_cpu_utilization", "instance", "24ae8d"},
		nabSamples(f, "ec2_cpu_utilization_24ae8d.csv", 30, now, 5*time.Minute)...)))
	f.Add(encodeV1(f))
	f.Add([]byte{})
	f.Add(snappy.Encode(nil, []byte("\x0a\x02\x0a\x00")))
	limits := Limits{MaxDecodedBytes: 1 << 20, MaxSeriesPerRequest: 1000}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req prompb.WriteRequest
		_, err := DecodeWriteRequest(body, limits, nil, &req)
		if err != nil {
			var le *limitError
			if !errors.As(err, &le) && !errors.Is(err, errBadPayload) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if len(req.Timeseries) > limits.MaxSeriesPerRequest {
			t.Fatalf("%d series passed the limit of %d", len(req.Timeseries), limits.MaxSeriesPerRequest)
		}
		re, err := req.Marshal()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var back prompb.WriteRequest
		if _, err := DecodeWriteRequest(snappy.Encode(nil, re), limits, nil, &back); err != nil {
			t.Fatalf("decode of re-encoded request: %v", err)
		}
		if len(back.Timeseries) != len(req.Timeseries) {
			t.Fatalf("round trip changed series count: %d != %d", len(back.Timeseries), len(req.Timeseries))
		}
	})
}
