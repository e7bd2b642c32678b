package tsdb

import (
	"bytes"
	"math"
	"testing"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/require"
)

func seedWALRecords() [][]byte {
	var recs [][]byte
	r := appendWALSeries(nil, 7, labels.FromStrings("__name__", "x", "file", "realKnownCause/nyc_taxi.csv"))
	r = appendWALSample(r, 7, &sample{t: 1_404_165_600_000, v: 10844})
	r = appendWALSample(r, 7, &sample{t: 1_404_167_400_000, st: 1_404_165_600_000, v: math.NaN()})
	recs = append(recs, r)
	recs = append(recs, appendWALSample(nil, 3, &sample{t: -5, h: testHistogram(4)}))
	fh := testHistogram(2).ToFloat(nil)
	fh.CustomValues = nil
	recs = append(recs, appendWALSample(nil, 3, &sample{t: 9, fh: fh}))
	nhcb := &histogram.Histogram{Schema: histogram.CustomBucketsSchema, Count: 3, Sum: 2,
		PositiveSpans: []histogram.Span{{Length: 2}}, PositiveBuckets: []int64{1, 1}, CustomValues: []float64{0.5, 1}}
	recs = append(recs, appendWALSample(nil, 4, &sample{t: 1, h: nhcb}))
	return recs
}

func reencodeWAL(t *testing.T, payload []byte) ([]byte, error) {
	var out []byte
	sb := labels.NewScratchBuilder(4)
	err := decodeWALRecord(payload, &sb, func(e *walEntry) error {
		if e.typ == walSeries {
			out = appendWALSeries(out, e.ref, e.lset)
		} else {
			out = appendWALSample(out, e.ref, &e.smp)
		}
		return nil
	})
	return out, err
}

// FuzzWALRecord checks that the WAL record decoder never panics and that
// whatever it accepts re-encodes stably.
func FuzzWALRecord(f *testing.F) {
	for _, r := range seedWALRecords() {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		once, err := reencodeWAL(t, payload)
		if err != nil {
			require.ErrorIs(t, err, errCorrupt)
			return
		}
		twice, err := reencodeWAL(t, once)
		require.NoError(t, err)
		require.True(t, bytes.Equal(once, twice))
	})
}

// FuzzWALFrame feeds arbitrary segment bytes to replay.
func FuzzWALFrame(f *testing.F) {
	var seg []byte
	for _, r := range seedWALRecords() {
		buf := append(make([]byte, walFrameHeader), r...)
		frameWALRecord(buf)
		seg = append(seg, buf...)
	}
	f.Add(seg)
	f.Add(seg[:len(seg)-3])
	f.Fuzz(func(t *testing.T, data []byte) {
		sb := labels.NewScratchBuilder(4)
		n := 0
		good, err := replayFrames(bytes.NewReader(data), int64(len(data)), &sb, func(*walEntry) error { n++; return nil })
		if err != nil {
			require.ErrorIs(t, err, errCorrupt)
		}
		require.LessOrEqual(t, good, int64(len(data)))
		// The valid prefix (what replay truncates to) replays cleanly with the same entries.
		m := 0
		good2, err := replayFrames(bytes.NewReader(data[:good]), good, &sb, func(*walEntry) error { m++; return nil })
		require.NoError(t, err)
		require.Equal(t, good, good2)
		require.LessOrEqual(t, m, n)
	})
}

// FuzzDecodeBlock checks the block decoder on arbitrary input.
func FuzzDecodeBlock(f *testing.F) {
	seed := func(s []sample) {
		b, _, _, err := appendBlock(nil, s, nil, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seed([]sample{{t: 1, v: 1}, {t: 2, v: 2.5}, {t: 60_000, v: math.Inf(1)}})
	seed([]sample{{t: 1, st: -3, v: 1}, {t: 5, v: 2}})
	seed([]sample{{t: 1, h: testHistogram(1)}, {t: 2, h: testHistogram(2)}})
	seed([]sample{{t: 1, fh: testHistogram(1).ToFloat(nil)}})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, _, _, err := decodeBlock(nil, data, nil, nil)
		if err != nil {
			require.ErrorIs(t, err, errCorrupt)
			return
		}
		for i := 1; i < len(got); i++ {
			if got[i].kind() != got[0].kind() {
				t.Fatalf("mixed kinds in one block")
			}
		}
	})
}

// FuzzDecodeLabels checks the series-index label decoder.
func FuzzDecodeLabels(f *testing.F) {
	f.Add(appendLabels(nil, labels.FromStrings("__name__", "x", "a", "b")))
	f.Add(appendLabels(nil, labels.EmptyLabels()))
	f.Fuzz(func(t *testing.T, data []byte) {
		ls, err := decodeLabels(data)
		if err != nil {
			require.ErrorIs(t, err, errCorrupt)
			return
		}
		again, err := decodeLabels(appendLabels(nil, ls))
		require.NoError(t, err)
		require.True(t, labels.Equal(ls, again))
	})
}

// FuzzBlockKey checks the block key parser.
func FuzzBlockKey(f *testing.F) {
	f.Add(appendBlockKey(nil, 9, blockMeta{minT: 1000, maxT: 2000, seq: 3, day: 0, count: 2}))
	f.Add(appendBlockKey(nil, 1, blockMeta{minT: -dayMillis, maxT: -1, seq: 1, day: -1, count: 1}))
	f.Fuzz(func(t *testing.T, k []byte) {
		ref, m, err := parseBlockKey(k)
		if err != nil {
			require.ErrorIs(t, err, errCorrupt)
			return
		}
		require.Equal(t, k, appendBlockKey(nil, ref, m))
	})
}
