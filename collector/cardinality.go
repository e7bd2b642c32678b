package collector

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// seriesLimiter enforces MaxSeriesPerMetric and MaxSeries. It remembers the
// hashes of the series of each metric name it has seen; the first time a
// metric name is seen, its existing series are loaded from the store so that
// a restart does not reset the count. Series removed by retention stay
// counted until the process restarts.
type seriesLimiter struct {
	limit     int // per metric; negative: off
	maxSeries int // all metrics together; negative: off

	mu      sync.Mutex
	metrics map[string]map[uint64]struct{}
	total   int // series in metrics
}

func newSeriesLimiter(limit, maxSeries int) *seriesLimiter {
	return &seriesLimiter{limit: limit, maxSeries: maxSeries, metrics: map[string]map[uint64]struct{}{}}
}

// Verdicts of admit.
const (
	admitOK = iota
	overMetricLimit
	overSeriesLimit
)

// admit says whether series hash of metric name may be written (admitted,
// overMetricLimit or overSeriesLimit), and whether it is new (so that the
// caller can forget it if its write fails). count is the metric's series
// (overMetricLimit) or all series (overSeriesLimit). stored, when not nil,
// reports how many series the store holds, which also counts the metrics
// not written since the restart. A store error while loading existing
// series is returned as is.
func (l *seriesLimiter) admit(ctx context.Context, q storage.Queryable, name string, hash uint64, stored func() int) (verdict int, isNew bool, count int, err error) {
	if l.limit < 0 && l.maxSeries < 0 {
		return admitOK, false, 0, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	set, seen := l.metrics[name]
	if !seen {
		// Loading under the lock keeps concurrent first writers of a metric
		// from each admitting up to the limit; it happens once per name.
		if set, err = loadSeriesHashes(ctx, q, name); err != nil {
			return admitOK, false, 0, err
		}
		l.metrics[name] = set
		l.total += len(set)
	}
	if _, ok := set[hash]; ok {
		return admitOK, false, len(set), nil
	}
	if l.limit >= 0 && len(set) >= l.limit {
		return overMetricLimit, false, len(set), nil
	}
	if l.maxSeries >= 0 {
		all := l.total
		if stored != nil {
			all = max(all, stored())
		}
		if all >= l.maxSeries {
			return overSeriesLimit, false, all, nil
		}
	}
	set[hash] = struct{}{}
	l.total++
	return admitOK, true, len(set), nil
}

// forget undoes admit for series whose write did not reach the store.
func (l *seriesLimiter) forget(name string, hash uint64) {
	if l.limit < 0 && l.maxSeries < 0 {
		return
	}
	l.mu.Lock()
	if set := l.metrics[name]; set != nil {
		if _, ok := set[hash]; ok {
			delete(set, hash)
			l.total--
		}
	}
	l.mu.Unlock()
}

func loadSeriesHashes(ctx context.Context, q storage.Queryable, name string) (map[uint64]struct{}, error) {
	set := map[uint64]struct{}{}
	querier, err := q.Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		return nil, fmt.Errorf("count existing series of %q: %w", name, err)
	}
	defer querier.Close()
	hints := &storage.SelectHints{Start: math.MinInt64, End: math.MaxInt64, Func: "series"}
	ss := querier.Select(ctx, false, hints, labels.MustNewMatcher(labels.MatchEqual, labels.MetricName, name))
	for ss.Next() {
		set[ss.At().Labels().Hash()] = struct{}{}
	}
	if err := ss.Err(); err != nil {
		return nil, fmt.Errorf("count existing series of %q: %w", name, err)
	}
	return set, nil
}
