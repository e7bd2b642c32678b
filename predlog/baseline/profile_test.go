package baseline

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/drift"
)

func TestFromFrame(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("x,city,code\n")
	for i := 1; i <= 11; i++ {
		city := []string{"Berlin", "Paris"}[i%2]
		fmt.Fprintf(&sb, "%d,%s,%d\n", i, city, i%3)
	}
	sb.WriteString(",Paris,1\n") // missing x
	frame, err := drift.ParseCSV([]byte(sb.String()))
	require.NoError(t, err)
	p, err := FromFrame("m", "v1", frame, []string{"code"}, time.Unix(0, 0))
	require.NoError(t, err)
	require.Len(t, p.Features, 3)
	x := p.Feature("x")
	assert.Equal(t, Numerical, x.Type)
	assert.Equal(t, 11, x.Count)
	assert.Equal(t, 1, x.Missing)
	assert.Equal(t, 1.0, x.Min)
	assert.Equal(t, 11.0, x.Max)
	assert.Equal(t, 6.0, x.Mean)
	assert.InDelta(t, math.Sqrt(10), x.Std, 1e-12) // population std of 1..11
	// numpy.quantile(range(1, 12), [0, .1, ..., 1]) = 1, 2, ..., 11
	assert.Equal(t, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, x.Quantiles)
	city := p.Feature("city")
	assert.Equal(t, Categorical, city.Type)
	assert.Equal(t, []Category{{Value: "Paris", Count: 7}, {Value: "Berlin", Count: 5}}, city.Categories)
	code := p.Feature("code")
	assert.Equal(t, Categorical, code.Type)
	assert.ElementsMatch(t, []Category{{Value: "1", Count: 5}, {Value: "2", Count: 4}, {Value: "0", Count: 3}}, code.Categories)

	b, err := p.Marshal()
	require.NoError(t, err)
	back, err := Unmarshal(b)
	require.NoError(t, err)
	assert.Equal(t, p, back)

	s, err := Sketch(x, drift.DefaultSketchAlpha)
	require.NoError(t, err)
	assert.Equal(t, uint64(11), s.Count())
	cs, err := Sketch(city, drift.DefaultSketchAlpha)
	require.NoError(t, err)
	assert.Equal(t, uint64(12), cs.Count())
}

func TestSampleIsOrderStatistics(t *testing.T) {
	n := 3*MaxSample + 17
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = float64((i * 7919) % n) // a permutation of 0..n-1
	}
	var f Feature
	var sum exactSum
	for _, v := range vals {
		sum.add(v)
	}
	_, err := numeric(&f, int64(n), &sum, sliceSource(vals))
	require.NoError(t, err)
	require.Len(t, f.Sample, MaxSample)
	for i, v := range f.Sample {
		// Sample i is the order statistic at rank (i+0.5)*n/MaxSample.
		assert.Equal(t, math.Floor((float64(i)+0.5)*float64(n)/MaxSample), v)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	for _, s := range []string{`{`, `{"model":"m"}`, `{"model":"m","version":"v","features":[{"name":"","type":"numerical"}]}`} {
		_, err := Unmarshal([]byte(s))
		assert.Error(t, err, s)
	}
}
