package tsdb

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/require"
)

// A series of plain floats in time order is read through the iterator's
// column mode (no per-sample structs); anything needing a merge takes the
// general path. Both must return the same samples, trimmed to the range,
// and one iterator reused across series of both kinds must not mix them.
func TestQueryFloatColumns(t *testing.T) {
	const step = int64(15_000)
	base := fixedNow.UnixMilli()
	at := func(i int) int64 { return base + int64(i)*step }
	floats := labels.FromStrings("__name__", "f")
	hist := labels.FromStrings("__name__", "h")

	tests := []struct {
		name string
		// setup appends to db; it returns the expected samples of "f".
		setup      func(t *testing.T, db *DB) []point
		wantColumn bool
	}{
		{
			name: "head: packed chunks, open chunk, slice",
			setup: func(t *testing.T, db *DB) []point {
				return appendCounter(t, db, floats, 0, 300, at)
			},
			wantColumn: true,
		},
		{
			name: "sealed blocks then head chunks",
			setup: func(t *testing.T, db *DB) []point {
				want := appendCounter(t, db, floats, 0, 200, at)
				require.NoError(t, db.Flush(context.Background()))
				return append(want, appendCounter(t, db, floats, 200, 330, at)...)
			},
			wantColumn: true,
		},
		{
			name: "head sample older than a sealed block: merged",
			setup: func(t *testing.T, db *DB) []point {
				want := appendCounter(t, db, floats, 0, 200, at)
				require.NoError(t, db.Flush(context.Background()))
				app := db.Appender(context.Background())
				_, err := app.Append(0, floats, at(150)+1, 42)
				require.NoError(t, err)
				require.NoError(t, app.Commit())
				want = append(want[:151:151], append([]point{{T: at(150) + 1, V: 42}}, want[151:]...)...)
				return want
			},
			wantColumn: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTestDB(t, t.TempDir(), Options{OutOfOrderWindow: time.Hour})
			defer db.Close()
			want := tt.setup(t, db)
			app := db.Appender(context.Background())
			for i := range 5 {
				_, err := app.AppendHistogram(0, hist, at(i), testHistogram(i), nil)
				require.NoError(t, err)
			}
			require.NoError(t, app.Commit())

			last := want[len(want)-1].T
			for _, r := range []struct{ mint, maxt int64 }{
				{base, last},                 // everything
				{at(100) + 1, at(250) - 1},   // trimmed both ends
				{last - 5*60_000, last},      // an instant query's window
				{last + 1, last + 10*60_000}, // nothing
			} {
				var wantIn []point
				for _, p := range want {
					if p.T >= r.mint && p.T <= r.maxt {
						wantIn = append(wantIn, p)
					}
				}
				// Twice: the first read of a sealed block fills the cache.
				for range 2 {
					q, err := db.Querier(r.mint, r.maxt)
					require.NoError(t, err)
					ss := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchRegexp, "__name__", "f|h"))
					var it chunkenc.Iterator
					var got []point
					for ss.Next() {
						s := ss.At()
						it = s.Iterator(it)
						if s.Labels().Get("__name__") == "h" {
							n := 0
							for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
								require.Equal(t, chunkenc.ValHistogram, vt)
								n++
							}
							require.False(t, it.(*sampleIterator).floats)
							continue
						}
						for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
							require.Equal(t, chunkenc.ValFloat, vt)
							ts, v := it.At()
							require.Equal(t, ts, it.AtT())
							got = append(got, point{T: ts, V: v})
						}
					}
					require.NoError(t, ss.Err())
					require.Equal(t, wantIn, got, "[%d, %d]", r.mint, r.maxt)
				}
			}

			// Seek over the column (and the general path alike).
			q, err := db.Querier(base, last)
			require.NoError(t, err)
			ss := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", "f"))
			require.True(t, ss.Next())
			it := ss.At().Iterator(nil)
			require.Equal(t, tt.wantColumn, it.(*sampleIterator).floats)
			require.Equal(t, chunkenc.ValFloat, it.Seek(at(120)-1))
			ts, v := it.At()
			require.Equal(t, want[120], point{T: ts, V: v})
			require.Equal(t, chunkenc.ValFloat, it.Seek(at(10)), "Seek never goes back")
			require.Equal(t, at(120), it.AtT())
			require.Equal(t, chunkenc.ValNone, it.Seek(last+1))
			require.Equal(t, chunkenc.ValNone, it.Next())
		})
	}
}

// appendCounter appends samples [from, to) of a counter to ls in one commit
// per scrape, as remote write sends them; it returns them as points.
func appendCounter(t *testing.T, db *DB, ls labels.Labels, from, to int, at func(int) int64) []point {
	t.Helper()
	var out []point
	for i := from; i < to; i++ {
		app := db.Appender(context.Background())
		v := float64(i)*1.25 + 0.01
		_, err := app.Append(0, ls, at(i), v)
		require.NoError(t, err)
		require.NoError(t, app.Commit())
		out = append(out, point{T: at(i), V: v})
	}
	return out
}

var _ storage.Appendable = (*DB)(nil)
