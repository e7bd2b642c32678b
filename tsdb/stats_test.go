package tsdb

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/index"
	"github.com/stretchr/testify/require"
)

// TestStatsCardinalityMatchesPrometheus compares the top-N lists with
// Prometheus's head statistics (what /api/v1/status/tsdb serves) on the
// same series. Counts are distinct so the order is unambiguous.
func TestStatsCardinalityMatchesPrometheus(t *testing.T) {
	db := openTestDB(t, t.TempDir(), Options{})
	defer db.Close()
	head := prometheusHead(t)
	app := db.Appender(context.Background())
	happ := head.Appender(context.Background())
	add := func(ls labels.Labels) {
		_, err := app.Append(0, ls, 1000, 1)
		require.NoError(t, err)
		_, err = happ.Append(0, ls, 1000, 1)
		require.NoError(t, err)
	}
	// metric m<k> has k+1 series; label l<j> appears on the first j series.
	for k := range 6 {
		for i := 0; i <= k; i++ {
			b := labels.NewScratchBuilder(8)
			b.Add("__name__", fmt.Sprintf("m%d", k))
			b.Add("inst", fmt.Sprintf("i%03d", i*7+k))
			if i < 3 {
				b.Add("zone", fmt.Sprintf("z%d", i))
			}
			b.Sort()
			add(b.Labels())
		}
	}
	require.NoError(t, app.Commit())
	require.NoError(t, happ.Commit())

	const limit = 4
	got := db.StatsN(limit)
	want := head.Stats(labels.MetricName, limit).IndexPostingStats
	conv := func(s []index.Stat) []Stat {
		out := make([]Stat, len(s))
		for i, x := range s {
			out[i] = Stat{Name: x.Name, Value: x.Count}
		}
		return out
	}
	require.Equal(t, conv(want.CardinalityMetricsStats), got.SeriesCountByMetricName)
	require.Equal(t, conv(want.CardinalityLabelStats), got.LabelValueCountByLabelName)
	require.Equal(t, conv(want.LabelValueStats), got.MemoryInBytesByLabelName)
	// Pairs tie (zone=z0 and __name__=m5 both have 6 series): compare counts.
	values := func(s []Stat) []uint64 {
		var out []uint64
		for _, x := range s {
			out = append(out, x.Value)
		}
		return out
	}
	require.Equal(t, values(conv(want.LabelValuePairsStats)), values(got.SeriesCountByLabelValuePair))
	require.Equal(t, want.NumLabelPairs, got.LabelPairs)
	require.Equal(t, 21, got.Series)
	require.Equal(t, int64(21), got.HeadSamples)
	require.Equal(t, 21, got.HeadSeries)
}
