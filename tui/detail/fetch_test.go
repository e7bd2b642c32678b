package detail

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/predlog/baseline"
)

func sample(v float64, kv ...string) client.Sample {
	m := client.Metric{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return client.Sample{Metric: m, Point: client.Point{V: v}}
}

func TestFeatures(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	f := func(name, method string, v float64) client.Sample {
		return sample(v, "version", "v1", "feature", name, "method", method, "against", "previous_24h")
	}
	scores := client.Vector{
		f("amount", "ks", 0.2), f("amount", "wasserstein_normed", 0.3),
		f("country", "psi", 0.2), f("country", "jensen_shannon", 0.15),
		f("odd", "ks", 0.5), f("odd", "psi", 0.1),
	}
	flags := client.Vector{
		sample(1, "version", "v1", "feature", "amount", "against", "previous_24h"),
		sample(0, "version", "v1", "feature", "country", "against", "previous_24h"),
	}
	hist := client.Matrix{{
		Metric: client.Metric{"version": "v1", "feature": "amount", "method": "wasserstein_normed", "against": "previous_24h"},
		Points: []client.Point{{T: at.Add(-time.Hour), V: 0.1}, {T: at.Add(-30 * time.Minute), V: 0.2}, {T: at, V: 0.3}},
	}, {
		// Another method's history is not the row's.
		Metric: client.Metric{"version": "v1", "feature": "amount", "method": "ks", "against": "previous_24h"},
		Points: []client.Point{{T: at, V: 0.9}},
	}}

	got := Features(scores, flags, hist, at)
	require.Len(t, got, 3)
	tests := []struct {
		name, method string
		score        float64
		threshold    float64 // NaN: no threshold applies
		drifted      int
		others       map[string]float64
	}{
		{"odd", "ks", 0.5, math.NaN(), -1, map[string]float64{"psi": 0.1}},
		{"amount", "wasserstein_normed", 0.3, 0.1, 1, map[string]float64{"ks": 0.2}},
		{"country", "jensen_shannon", 0.15, 0.1, 0, map[string]float64{"psi": 0.2}},
	}
	for i, tc := range tests {
		g := got[i]
		assert.Equal(t, tc.name, g.Name, "sorted by the shown score, highest first")
		assert.Equal(t, tc.method, g.Method, tc.name)
		assert.Equal(t, tc.score, g.Score, tc.name)
		if math.IsNaN(tc.threshold) {
			assert.True(t, math.IsNaN(g.Threshold), "%s: no default method, so no threshold is claimed", tc.name)
		} else {
			assert.Equal(t, tc.threshold, g.Threshold, tc.name)
		}
		assert.Equal(t, tc.drifted, g.Drifted, tc.name)
		assert.Equal(t, tc.others, g.Others, tc.name)
	}
	h := got[1].History
	require.Len(t, h, 13, "one slot per 5 minutes over the hour, both ends included")
	assert.Equal(t, 0.1, h[0])
	assert.Equal(t, 0.2, h[6])
	assert.Equal(t, 0.3, h[12])
	assert.True(t, math.IsNaN(h[3]), "no point, no value")
	assert.Nil(t, got[0].History)
}

func TestPanelsEscapeTheModelName(t *testing.T) {
	for _, p := range Panels(`we"ird\model`) {
		assert.Contains(t, p.Query, `model="we\"ird\\model"`, p.Title)
	}
}

func TestPreferredQualityMetric(t *testing.T) {
	series := func(names ...string) client.Matrix {
		var m client.Matrix
		for _, n := range names {
			m = append(m, client.Series{Metric: client.Metric{"__name__": "mle_model_" + n, "version": "v1"}})
		}
		return m
	}
	tests := []struct {
		have []string
		want string
	}{
		{[]string{"mae", "rmse"}, "rmse"},
		{[]string{"accuracy", "roc_auc", "f1"}, "roc_auc"},
		{[]string{"mae"}, "mae"},
	}
	for _, tc := range tests {
		got := preferred(series(tc.have...), qualityMetrics)
		require.Len(t, got, 1, "%v", tc.have)
		assert.Equal(t, "mle_model_"+tc.want, got[0].Metric["__name__"])
	}
	assert.Len(t, preferred(series("other", "else"), qualityMetrics), 2, "nothing preferred: everything stays")
}

func TestDescribeBaseline(t *testing.T) {
	cat := &baseline.Feature{Name: "merchant", Type: baseline.Categorical, Categories: []baseline.Category{
		{Value: "grocery", Count: 400}, {Value: "travel", Count: 100}, {Value: "fuel", Count: 300},
		{Value: "online", Count: 140}, {Value: "other", Count: 60}}}
	assert.Equal(t, "grocery 40% · fuel 30% · online 14% · travel 10% · +1 more", describeBaseline(cat, false),
		"most frequent first, four at most")

	// 10 values at 0 and 10 at 1..10: the first of 20 bins holds 10, the
	// last holds the single 10.
	sample := make([]float64, 0, 20)
	for range 10 {
		sample = append(sample, 0)
	}
	for i := 1; i <= 10; i++ {
		sample = append(sample, float64(i))
	}
	num := &baseline.Feature{Name: "x", Type: baseline.Numerical, Count: 20, Sample: sample}
	got := describeBaseline(num, true)
	hist, rest, _ := strings.Cut(got, " ")
	require.Len(t, hist, histogramBins)
	assert.Equal(t, byte('@'), hist[0], "the fullest bin is the highest level")
	assert.Equal(t, byte('_'), hist[1], "empty bins sit on the floor")
	assert.Equal(t, "0..10.0 · median 1.00 · 20 rows", rest)
	assert.Equal(t, "no sample in the profile", describeBaseline(&baseline.Feature{Type: baseline.Numerical}, false))
}
