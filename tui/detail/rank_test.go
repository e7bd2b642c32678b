package detail

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mlectl/mlectl/client"
)

// The drift rows rank by attribution change, largest growth first, then
// by score: a feature that drifts a little but moved the predictions most
// comes before one that drifts more; features without attribution (a
// version that logs no explanations) follow, by score.
func TestRankByAttributionChange(t *testing.T) {
	nan := math.NaN()
	row := func(version, name string, score float64) Feature {
		return Feature{Version: version, Name: name, Against: "baseline", Score: score, AttrChange: nan, AttrMeanAbs: nan}
	}
	attr := func(version, name string, v float64) client.Sample {
		return sample(v, "model", "demand", "version", version, "feature", name)
	}
	for _, tc := range []struct {
		name   string
		rows   []Feature
		change client.Vector
		want   []string // version/feature in order
	}{
		{
			name:   "attribution change over score",
			rows:   []Feature{row("v12", "hum", 0.9), row("v12", "temp", 0.4), row("v12", "hour", 0.1)},
			change: client.Vector{attr("v12", "hum", 0.02), attr("v12", "temp", 31.5), attr("v12", "hour", -4)},
			want:   []string{"v12/temp", "v12/hum", "v12/hour"},
		},
		{
			name:   "without attribution: by score, after the attributed rows",
			rows:   []Feature{row("v13", "hum", 0.9), row("v12", "temp", 0.4), row("v13", "temp", 0.5)},
			change: client.Vector{attr("v12", "temp", 1)},
			want:   []string{"v12/temp", "v13/hum", "v13/temp"},
		},
		{
			name: "no attribution at all: by score as before",
			rows: []Feature{row("v12", "a", 0.1), row("v12", "b", 0.3), row("v12", "c", 0.2)},
			want: []string{"v12/b", "v12/c", "v12/a"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			AddAttributions(tc.rows, tc.change, nil)
			var got []string
			for _, f := range tc.rows {
				got = append(got, f.Version+"/"+f.Name)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
