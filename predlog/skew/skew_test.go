package skew

import (
	"context"
	"math"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/drift"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/baseline"
	"github.com/mlectl/mlectl/tsdb"
)

// exactKS is the two-sample Kolmogorov-Smirnov statistic by definition.
func exactKS(a, b []float64) float64 {
	a, b = append([]float64(nil), a...), append([]float64(nil), b...)
	sort.Float64s(a)
	sort.Float64s(b)
	var d float64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x := math.Min(a[i], b[j])
		for i < len(a) && a[i] == x {
			i++
		}
		for j < len(b) && b[j] == x {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

// TestSkewAgainstBaselineOnBikeSharing uses the bike-sharing days: the
// baseline is season 1 (winter), serving traffic is season 3 (summer). The
// streamed KS statistic must agree with the exact one within drift's
// stated bound (0.01), and warm weather must read as drift.
func TestSkewAgainstBaselineOnBikeSharing(t *testing.T) {
	frame, err := drift.ReadCSVFile(filepath.Join("testdata", "day.csv"))
	require.NoError(t, err)
	season := frame.Column("season").Values
	split := func(col string, s float64) []float64 {
		var out []float64
		for i, v := range frame.Column(col).Values {
			if season[i] == s {
				out = append(out, v)
			}
		}
		return out
	}
	cols := []string{"temp", "hum", "windspeed"}
	ref := &drift.Frame{}
	for _, c := range cols {
		vals := split(c, 1)
		ref.Columns = append(ref.Columns, &drift.Column{Name: c, DType: drift.DTypeFloat, Values: vals})
		ref.Rows = len(vals)
	}
	p, err := baseline.FromFrame("bikes", "v1", ref, nil, time.Unix(0, 0))
	require.NoError(t, err)

	tr := New(Options{})
	require.NoError(t, tr.SetBaseline(p))
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	cur := map[string][]float64{}
	for _, c := range cols {
		cur[c] = split(c, 3)
	}
	var recs []predlog.Record
	for i := range cur["temp"] {
		r := predlog.Record{Model: "bikes", Version: "v1", Role: "production", Status: "ok", TS: t0.UnixMilli() + int64(i)}
		for _, c := range cols {
			r.Features = append(r.Features, predlog.Feature{Name: c, Value: predlog.Float(cur[c][i])})
		}
		r.Features = append(r.Features, predlog.Feature{Name: "weather", Value: predlog.String([]string{"clear", "mist"}[i%2])})
		r.Prediction = predlog.Prediction{Value: predlog.Float(float64(i % 10))}
		recs = append(recs, r)
	}
	tr.ObserveRecords(recs)

	db, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	defer db.Close()
	// Before the window has run its course nothing is scored.
	require.NoError(t, tr.AppendTo(context.Background(), db, t0.Add(time.Minute)))
	at := t0.Add(DefaultWindow)
	require.NoError(t, tr.AppendTo(context.Background(), db, at))

	got := readSeries(t, db, at)
	for _, c := range cols {
		require.Contains(t, got, `mle_feature_drift_score{against="baseline", feature="`+c+`", method="ks", model="bikes", version="v1"}`)
		ks := got[`mle_feature_drift_score{against="baseline", feature="`+c+`", method="ks", model="bikes", version="v1"}`]
		assert.InDelta(t, exactKS(ref.Column(c).Values, cur[c]), ks, 0.01, c)
	}
	assert.Equal(t, 1.0, got[`mle_feature_drifted{against="baseline", feature="temp", model="bikes", version="v1"}`], "summer vs winter temperatures")
	share, ok := got[`mle_dataset_drift_share{against="baseline", model="bikes", version="v1"}`]
	require.True(t, ok)
	assert.GreaterOrEqual(t, share, 1.0/3)
	_, hasWeather := got[`mle_feature_drift_score{against="baseline", feature="weather", method="jensen_shannon", model="bikes", version="v1"}`]
	assert.False(t, hasWeather, "no baseline for weather: no skew score")

	// The next window repeats the same traffic: against the previous 24h
	// (the first window) nothing drifted.
	for i := range recs {
		recs[i].TS += DefaultWindow.Milliseconds()
	}
	tr.ObserveRecords(recs)
	at2 := at.Add(DefaultWindow)
	require.NoError(t, tr.AppendTo(context.Background(), db, at2))
	got = readSeries(t, db, at2)
	for _, k := range []string{
		`mle_feature_drift_score{against="previous_24h", feature="temp", method="ks", model="bikes", version="v1"}`,
		`mle_feature_drift_score{against="previous_24h", feature="weather", method="jensen_shannon", model="bikes", version="v1"}`,
		`mle_dataset_drift_share{against="previous_24h", model="bikes", version="v1"}`,
		`mle_prediction_drift_score{against="previous_24h", method="wasserstein_normed", model="bikes", version="v1"}`,
	} {
		require.Contains(t, got, k)
	}
	// The estimate is the midpoint of an interval that holds the exact 0;
	// with 188 values a bucket holding two distinct ones is 1% of mass.
	assert.InDelta(t, 0, got[`mle_feature_drift_score{against="previous_24h", feature="temp", method="ks", model="bikes", version="v1"}`], 0.05)
	assert.InDelta(t, 0, got[`mle_feature_drift_score{against="previous_24h", feature="weather", method="jensen_shannon", model="bikes", version="v1"}`], 1e-12)
	assert.Equal(t, 0.0, got[`mle_dataset_drift_share{against="previous_24h", model="bikes", version="v1"}`])
	assert.InDelta(t, 0, got[`mle_prediction_drift_score{against="previous_24h", method="wasserstein_normed", model="bikes", version="v1"}`], 0.05)
}

func readSeries(t *testing.T, db *tsdb.DB, at time.Time) map[string]float64 {
	t.Helper()
	q, err := db.Querier(at.UnixMilli(), at.UnixMilli())
	require.NoError(t, err)
	defer q.Close()
	ss := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchRegexp, "__name__", "mle_.+"))
	out := map[string]float64{}
	var it chunkenc.Iterator
	for ss.Next() {
		it = ss.At().Iterator(it)
		for it.Next() == chunkenc.ValFloat {
			_, v := it.At()
			ls := ss.At().Labels()
			out[ls.Get("__name__")+ls.DropMetricName().String()] = v
		}
	}
	require.NoError(t, ss.Err())
	return out
}

// TestMinHistory: a version that just started serving is compared with the
// previous 24 hours only once they hold MinHistory times a window's
// samples; before, a one-window history would double the noise.
func TestMinHistory(t *testing.T) {
	tr := New(Options{Window: time.Minute, MinHistory: 4})
	db, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	defer db.Close()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	key := `mle_dataset_drift_share{against="previous_24h", model="bikes", version="v11"}`
	for w := 0; w < 6; w++ {
		var recs []predlog.Record
		start := t0.Add(time.Duration(w) * time.Minute)
		for i := range 100 {
			recs = append(recs, predlog.Record{Model: "bikes", Version: "v11", Role: "production", Status: "ok", TS: start.UnixMilli() + int64(i),
				Features: []predlog.Feature{{Name: "temp", Value: predlog.Float(float64(i % 10))}}})
		}
		tr.ObserveRecords(recs)
		at := start.Add(time.Minute)
		require.NoError(t, tr.AppendTo(context.Background(), db, at))
		_, scored := readSeries(t, db, at)[key]
		// Window w is compared once the w windows before it hold 4 windows' samples.
		assert.Equal(t, w >= 4, scored, "window %d", w)
	}
}
