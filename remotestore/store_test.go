package remotestore

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/tsdb"
)

// With local_retention the embedded TSDB gets a copy of what is forwarded;
// a sample it refuses (out of order for it) is forwarded all the same, and
// the series limits count from it.
func TestStoreCommitForwardsAndCopiesToTheCache(t *testing.T) {
	r := newReceiver(t)
	q := openQueue(t, t.TempDir(), r, QueueConfig{}, 0)
	defer q.Close()
	runQueue(t, q)
	cache, err := tsdb.Open(t.TempDir(), tsdb.Options{Retention: time.Hour})
	require.NoError(t, err)
	defer cache.Close()
	st := NewStore(q, nil, cache, nil)

	ls := labels.FromStrings("__name__", "m", "job", "a")
	now := time.Now().UnixMilli()
	app := st.Appender(context.Background())
	_, err = app.Append(0, ls, now, 1)
	require.NoError(t, err)
	require.NoError(t, app.Commit())
	app2 := st.AppenderV2(context.Background())
	_, err = app2.Append(0, ls, 0, now-2*time.Hour.Milliseconds(), 2, nil, nil, storage.AOptions{}) // too old for the cache
	require.NoError(t, err)
	require.NoError(t, app2.Commit())
	waitForwarded(t, r, q, 2)
	require.Len(t, r.series(ls), 2, "both forwarded")

	querier, err := st.LimiterQueryable().Querier(math.MinInt64, math.MaxInt64)
	require.NoError(t, err)
	defer querier.Close()
	ss := querier.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", "m"))
	var n int
	for ss.Next() {
		it := ss.At().Iterator(nil)
		for it.Next() != 0 {
			n++
		}
	}
	require.NoError(t, ss.Err())
	require.Equal(t, 1, n, "the cache holds the sample inside its retention")

	// A rolled-back transaction reaches neither.
	app = st.Appender(context.Background())
	_, _ = app.Append(0, ls, now+1, 3)
	require.NoError(t, app.Rollback())
	require.NoError(t, app.Commit())
	require.Zero(t, q.Pending())
}
