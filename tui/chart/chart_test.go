package chart

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSparkline(t *testing.T) {
	vals := []float64{0, 1, 2, 3, 4, 5, 6, 7, math.NaN(), 7}
	assert.Equal(t, "▁▂▃▄▅▆▇█ █", Sparkline(vals, false))
	assert.Equal(t, "_.-~=*#@ @", Sparkline(vals, true))
	assert.Equal(t, "▁▁▁", Sparkline([]float64{5, 5, 5}, false), "a flat series sits on the floor")
	assert.Equal(t, "", Sparkline(nil, false))
}

func TestLineChart(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC)
	up := Line{Label: `{model="a"}`}
	down := Line{Label: `{model="b"}`}
	for i := 0; i <= 10; i++ {
		ts := t0.Add(time.Duration(i) * time.Minute)
		up.Points = append(up.Points, Point{T: ts, V: float64(i)})
		down.Points = append(down.Points, Point{T: ts, V: float64(10 - i)})
	}
	out := LineChart([]Line{up, down}, 40, 12)
	require.Len(t, out, 12)
	for _, l := range out {
		assert.LessOrEqual(t, len([]rune(l)), 40, l)
	}
	// Rows: 8 plot rows, the axis, the time labels, two legend lines.
	assert.True(t, strings.HasPrefix(out[0], "     10 |+"), "b starts at the top left: %q", out[0])
	assert.True(t, strings.HasSuffix(out[0], "*"), "a ends at the top right: %q", out[0])
	assert.True(t, strings.HasPrefix(out[7], "      0 |*"), "a starts at the bottom left: %q", out[7])
	assert.Equal(t, "        +-------------------------------", out[8])
	assert.Equal(t, "         11:00:00               11:10:00", out[9])
	assert.Equal(t, `         * {model="a"}`, out[10])
	assert.Equal(t, `         + {model="b"}`, out[11])

	flat := Line{Label: "p95"}
	for i := 0; i <= 10; i++ {
		// Float noise of a quantile of rates that move together.
		flat.Points = append(flat.Points, Point{T: t0.Add(time.Duration(i) * time.Minute), V: 0.428 + float64(i%2)*1e-15})
	}
	out = LineChart([]Line{flat}, 40, 7)
	require.Len(t, out, 7)
	assert.Equal(t, "  0.471 |                               ", out[0], "10% above the value, not noise")
	assert.Equal(t, "  0.385 |                               ", out[3])
	assert.Equal(t, 11, strings.Count(out[1]+out[2], "*"), "a flat line sits mid-plot: %q", out)

	assert.Nil(t, LineChart([]Line{up}, 10, 3), "too small to draw")
	assert.Nil(t, LineChart([]Line{{Points: []Point{{T: t0, V: math.NaN()}}}}, 40, 12), "nothing finite to draw")
}

// The y axis reads in the figure's unit when the chart is given one, so a
// latency chart titled "49ms" does not read 0.0487 beside it.
func TestLineChartFormatAxis(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC)
	ms := func(v float64) string { return strconv.FormatFloat(v*1000, 'f', 0, 64) + "ms" }
	line := func(lo, hi float64) []Line {
		l := Line{Label: "p95"}
		for i := 0; i <= 10; i++ {
			l.Points = append(l.Points, Point{T: t0.Add(time.Duration(i) * time.Minute), V: lo + (hi-lo)*float64(i)/10})
		}
		return []Line{l}
	}
	tests := []struct {
		name           string
		lo, hi         float64
		format         func(float64) string
		wantHi, wantLo string
	}{
		{"unit labels", 0.012, 0.237, ms, "237ms", "12ms"},
		{"no format", 0.012, 0.237, nil, "0.237", "0.012"},
		{"a range format cannot tell apart keeps numbers", 0.04851, 0.04869, ms, "0.0487", "0.0485"},
		{"labels over 7 characters keep numbers", 10, 20, func(v float64) string { return "about " + strconv.Itoa(int(v)) }, "20", "10"},
	}
	for _, tc := range tests {
		out := LineChartFormat(line(tc.lo, tc.hi), 40, 8, tc.format)
		require.Len(t, out, 8, tc.name)
		assert.Equal(t, padLeft(tc.wantHi, 7)+" |", out[0][:9], tc.name)
		assert.Equal(t, padLeft(tc.wantLo, 7)+" |", out[4][:9], tc.name)
	}
}
