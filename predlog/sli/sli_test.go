package sli

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mlectl/mlectl/predlog"
)

func TestQuantileNearestRank(t *testing.T) {
	cases := []struct {
		sample  []float64
		q, want float64
	}{
		{[]float64{7}, 0.5, 7},
		{[]float64{7}, 0.99, 7},
		{[]float64{1, 2, 3, 4}, 0.5, 2},
		{[]float64{1, 2, 3, 4, 5}, 0.5, 3},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.99, 10},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9, 9},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, Quantile(c.sample, c.q), "q%v of %v", c.q, c.sample)
	}
}

// TestFreshnessSampleIsBounded: a window keeps at most MaxSamples ages per
// feature however many records it sees, and the quantiles of a uniform
// stream stay close to the exact ones.
func TestFreshnessSampleIsBounded(t *testing.T) {
	tr := New(Options{MaxSamples: 1000, Window: time.Minute})
	const n = 20000
	recs := make([]predlog.Record, n)
	t0 := int64(1795687200000)
	for i := range recs {
		// ages 0 .. 19.999 s, uniform
		recs[i] = predlog.Record{Model: "m", Version: "v", TS: t0 + int64(i), FeatureTS: []predlog.FeatureTime{{Name: "a", TS: t0 + int64(i) - int64(i)}}}
	}
	tr.ObserveRecords(recs)
	m := tr.models[mvKey{"m", "v"}]
	assert.Len(t, m.ages["a"].v, 1000)
	tr.rotate(time.UnixMilli(t0 + n + time.Minute.Milliseconds()))
	q := m.last.fresh["a"]
	assert.InDelta(t, 10, q[0], 1, "p50 of a uniform 0..20 s")
	assert.InDelta(t, 19.8, q[1], 0.3, "p99")
}
