package cloudevents

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/tsdb"
)

func querySeries(t testing.TB, db *tsdb.DB, ts time.Time) map[string]float64 {
	q, err := db.Querier(ts.UnixMilli(), ts.UnixMilli())
	require.NoError(t, err)
	defer q.Close()
	ss := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchRegexp, "__name__", "mle_cloudevents_.*"))
	out := map[string]float64{}
	var it chunkenc.Iterator
	for ss.Next() {
		s := ss.At()
		it = s.Iterator(it)
		for it.Next() == chunkenc.ValFloat {
			_, v := it.At()
			out[s.Labels().String()] = v
		}
	}
	require.NoError(t, ss.Err())
	return out
}
