package testutil

import (
	"context"
	"math"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/require"
)

// LastValues reads every series named name from q and returns the value of
// its newest sample, keyed by the series' labels without __name__ in
// Prometheus's text form ({model="fraud", status="ok"}).
func LastValues(t testing.TB, q storage.Queryable, name string) map[string]float64 {
	t.Helper()
	querier, err := q.Querier(math.MinInt64, math.MaxInt64)
	require.NoError(t, err)
	defer querier.Close()
	set := querier.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchEqual, labels.MetricName, name))
	out := map[string]float64{}
	for set.Next() {
		s := set.At()
		it := s.Iterator(nil)
		var v float64
		for it.Next() != 0 {
			_, v = it.At()
		}
		require.NoError(t, it.Err())
		out[s.Labels().DropMetricName().String()] = v
	}
	require.NoError(t, set.Err())
	return out
}
