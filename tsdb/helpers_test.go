package tsdb

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/require"
)

// point is a query result sample, comparable with require.Equal.
type point struct {
	T  int64
	V  float64
	H  *histogram.Histogram
	FH *histogram.FloatHistogram
}

func openTestDB(t testing.TB, dir string, opts Options) *DB {
	t.Helper()
	db, err := Open(dir, opts)
	require.NoError(t, err)
	return db
}

// queryAll returns series (by String() of labels) -> points in [mint, maxt].
func queryAll(t testing.TB, db *DB, mint, maxt int64, ms ...*labels.Matcher) map[string][]point {
	t.Helper()
	if len(ms) == 0 {
		ms = []*labels.Matcher{labels.MustNewMatcher(labels.MatchRegexp, "__name__", ".+")}
	}
	q, err := db.Querier(mint, maxt)
	require.NoError(t, err)
	defer q.Close()
	ss := q.Select(context.Background(), true, nil, ms...)
	out := map[string][]point{}
	var it chunkenc.Iterator
	for ss.Next() {
		s := ss.At()
		it = s.Iterator(it)
		var pts []point
		for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
			switch vt {
			case chunkenc.ValFloat:
				ts, v := it.At()
				pts = append(pts, point{T: ts, V: v})
			case chunkenc.ValHistogram:
				ts, h := it.AtHistogram(nil)
				h.CounterResetHint = histogram.UnknownCounterReset
				pts = append(pts, point{T: ts, H: h})
			case chunkenc.ValFloatHistogram:
				ts, fh := it.AtFloatHistogram(nil)
				fh.CounterResetHint = histogram.UnknownCounterReset
				pts = append(pts, point{T: ts, FH: fh})
			}
		}
		require.NoError(t, it.Err())
		out[s.Labels().String()] = pts
	}
	require.NoError(t, ss.Err())
	return out
}

func floatPoints(ts []int64, f func(int64) float64) []point {
	out := make([]point, len(ts))
	for i, t := range ts {
		out[i] = point{T: t, V: f(t)}
	}
	return out
}

func rangeTS(start, step int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = start + int64(i)*step
	}
	return out
}

func testHistogram(i int) *histogram.Histogram {
	return &histogram.Histogram{
		Count: uint64(3*i + 6), ZeroCount: 2, ZeroThreshold: 0.001, Sum: float64(i) * 1.5, Schema: 1,
		PositiveSpans:   []histogram.Span{{Offset: 0, Length: 2}, {Offset: 1, Length: 1}},
		PositiveBuckets: []int64{int64(i), 1, -1},
		NegativeSpans:   []histogram.Span{{Offset: 2, Length: 1}},
		NegativeBuckets: []int64{3},
	}
}

var fixedNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func nowFunc(p *time.Time) func() time.Time { return func() time.Time { return *p } }

var _ = math.Inf

func sstBytes(t testing.TB, dir string) int64 {
	t.Helper()
	ms, err := filepath.Glob(filepath.Join(dir, "badger", "*.sst"))
	require.NoError(t, err)
	var n int64
	for _, m := range ms {
		fi, err := os.Stat(m)
		require.NoError(t, err)
		n += fi.Size()
	}
	return n
}
