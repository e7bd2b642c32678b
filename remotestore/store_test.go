package remotestore

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
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

// AppendExemplars (how Prometheus's remote-write 2.0 handler hands over a
// series' exemplars, after its samples) puts them in the queue's log with
// the series' first sample of the append: they survive a restart before
// the store took them and reach it with the series; an exemplar without a
// timestamp takes that sample's.
func TestStoreAppendExemplarsForwardsFromTheLog(t *testing.T) {
	dir := t.TempDir()
	r := newReceiver(t)
	q := openQueue(t, dir, r, QueueConfig{}, 0)
	st := NewStore(q, nil, nil, nil)
	ls := labels.FromStrings("__name__", "requests_total", "job", "api")
	other := labels.FromStrings("__name__", "queue_depth")
	now := time.Now().UnixMilli()

	app := st.AppenderV2(context.Background())
	exApp, ok := app.(storage.ExemplarAppenderV2)
	require.True(t, ok, "Prometheus's 2.0 handler needs storage.ExemplarAppenderV2")
	ref, err := app.Append(0, ls, 0, now-1000, 6, nil, nil, storage.AOptions{})
	require.NoError(t, err)
	ref, err = app.Append(ref, ls, 0, now, 7, nil, nil, storage.AOptions{})
	require.NoError(t, err)
	exs := []exemplar.Exemplar{
		{Labels: labels.FromStrings("trace_id", "a3ce929d0e0e4736"), Value: 2.5},
		{Labels: labels.FromStrings("trace_id", "4bf92f3577b34da6"), Value: 1, Ts: now - 10, HasTs: true},
	}
	_, err = exApp.AppendExemplars(ref, ls, exs)
	require.NoError(t, err)
	exs[0].Value = -1 // the caller's slice is its own again
	_, err = exApp.AppendExemplars(0, other, exs)
	require.ErrorIs(t, err, storage.ErrNotFound, "no sample of the series in this append")
	_, err = app.Append(0, other, 0, now, 3, nil, nil, storage.AOptions{})
	require.NoError(t, err)
	require.NoError(t, app.Commit())

	// Rolled back: neither the sample nor its exemplar is forwarded.
	app = st.AppenderV2(context.Background())
	ref, err = app.Append(0, ls, 0, now+1, 8, nil, nil, storage.AOptions{})
	require.NoError(t, err)
	_, err = app.(storage.ExemplarAppenderV2).AppendExemplars(ref, ls, []exemplar.Exemplar{{Labels: labels.FromStrings("trace_id", "rolled-back"), Value: 9, Ts: now + 1, HasTs: true}})
	require.NoError(t, err)
	require.NoError(t, app.Rollback())

	// The sender starts only after a restart: what it sends comes from the log.
	require.NoError(t, q.Close())
	q = openQueue(t, dir, r, QueueConfig{}, 0)
	defer q.Close()
	runQueue(t, q)
	waitForwarded(t, r, q, 3)
	require.Equal(t, []prompb.Exemplar{
		{Labels: []prompb.Label{{Name: "trace_id", Value: "a3ce929d0e0e4736"}}, Value: 2.5, Timestamp: now - 1000},
		{Labels: []prompb.Label{{Name: "trace_id", Value: "4bf92f3577b34da6"}}, Value: 1, Timestamp: now - 10},
	}, r.exemplars(ls))
	require.Empty(t, r.exemplars(other))
	require.Len(t, r.series(other), 1)
}
