package remotestore

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
)

// The sender writes remote-write 1.0 requests (prompb.WriteRequest) as
// protobuf bytes itself instead of building prompb structs and marshalling
// them: a series' labels are marshalled once per segment and copied into
// every request that carries the series, and samples go straight from the
// decoded log records into a reused buffer. The bytes are what gogo's
// prompb marshalling writes (zero values omitted), so any remote-write 1.0
// receiver decodes them as usual.

// Field tags (field number << 3 | wire type) of prompb's messages.
const (
	tagWriteRequestTimeseries = 1<<3 | 2 // WriteRequest.timeseries
	tagTimeSeriesLabels       = 1<<3 | 2 // TimeSeries.labels
	tagTimeSeriesSamples      = 2<<3 | 2 // TimeSeries.samples
	tagTimeSeriesExemplars    = 3<<3 | 2 // TimeSeries.exemplars
	tagTimeSeriesHistograms   = 4<<3 | 2 // TimeSeries.histograms
	tagWriteRequestMetadata   = 3<<3 | 2 // WriteRequest.metadata
	tagLabelName              = 1<<3 | 2 // Label.name
	tagLabelValue             = 2<<3 | 2 // Label.value
	tagSampleValue            = 1<<3 | 1 // Sample.value (fixed64)
	tagSampleTimestamp        = 2<<3 | 0 // Sample.timestamp (varint)
)

func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

// fieldLen is the size of a length-delimited field of n bytes (tag
// included, single-byte tags only).
func fieldLen(n int) int { return 1 + uvarintLen(uint64(n)) + n }

// marshalLabels is the TimeSeries.labels fields of ls, ready to copy into
// a TimeSeries.
func marshalLabels(ls labels.Labels) []byte {
	n := 0
	ls.Range(func(l labels.Label) { n += fieldLen(labelSize(l)) })
	b := make([]byte, 0, n)
	ls.Range(func(l labels.Label) {
		b = append(b, tagTimeSeriesLabels)
		b = binary.AppendUvarint(b, uint64(labelSize(l)))
		if l.Name != "" {
			b = append(b, tagLabelName)
			b = binary.AppendUvarint(b, uint64(len(l.Name)))
			b = append(b, l.Name...)
		}
		if l.Value != "" {
			b = append(b, tagLabelValue)
			b = binary.AppendUvarint(b, uint64(len(l.Value)))
			b = append(b, l.Value...)
		}
	})
	return b
}

func labelSize(l labels.Label) int {
	n := 0
	if l.Name != "" {
		n += fieldLen(len(l.Name))
	}
	if l.Value != "" {
		n += fieldLen(len(l.Value))
	}
	return n
}

// sampleSize is the size of a Sample message.
func sampleSize(t int64, v float64) int {
	n := 0
	if v != 0 || math.Signbit(v) {
		n += 1 + 8
	}
	if t != 0 {
		n += 1 + uvarintLen(uint64(t))
	}
	return n
}

func appendSample(b []byte, t int64, v float64) []byte {
	b = append(b, tagTimeSeriesSamples)
	b = binary.AppendUvarint(b, uint64(sampleSize(t, v)))
	if v != 0 || math.Signbit(v) {
		b = append(b, tagSampleValue)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	if t != 0 {
		b = append(b, tagSampleTimestamp)
		b = binary.AppendUvarint(b, uint64(t))
	}
	return b
}

// appendHistogram appends a TimeSeries.histograms field (histograms are
// rare enough to go through gogo's marshalling).
func appendHistogram(b []byte, h *prompb.Histogram) []byte {
	n := h.Size()
	b = append(b, tagTimeSeriesHistograms)
	b = binary.AppendUvarint(b, uint64(n))
	start := len(b)
	b = append(b, make([]byte, n)...)
	_, _ = h.MarshalToSizedBuffer(b[start:])
	return b
}

// sizedMessage is a gogo-protobuf message of prompb.
type sizedMessage interface {
	Size() int
	MarshalToSizedBuffer([]byte) (int, error)
}

// appendMessage appends m as the length-delimited field tag.
func appendMessage(b []byte, tag byte, m sizedMessage) []byte {
	n := m.Size()
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(n))
	b = slices.Grow(b, n)
	_, _ = m.MarshalToSizedBuffer(b[len(b) : len(b)+n]) // sized exactly: cannot fail
	return b[:len(b)+n]
}

// appendMetadata appends a WriteRequest.metadata field.
func appendMetadata(b []byte, m prompb.MetricMetadata) []byte {
	return appendMessage(b, tagWriteRequestMetadata, &m)
}
