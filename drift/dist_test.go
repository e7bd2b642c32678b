package drift

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

// naiveDist is the reference: sort, then run-length encode.
func naiveDist(values []float64) dist {
	s := slices.Clone(values)
	slices.Sort(s)
	var d dist
	for i, v := range s {
		if i > 0 && v == s[i-1] {
			d.cum[len(d.cum)-1]++
			continue
		}
		d.vals = append(d.vals, v)
		d.cum = append(d.cum, i+1)
	}
	return d
}

func TestDriftDistBuilderPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		name     string
		distinct int
		n        int
	}{
		{"hashed few", 7, 10000},
		{"hashed at limit", maxHashedDistinct, 50000},
		{"radix over limit", maxHashedDistinct + 1, 50000},
		{"radix all distinct", 0, 30000},
		{"small", 5, 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			values := make([]float64, c.n)
			for i := range values {
				if c.distinct == 0 {
					values[i] = rng.NormFloat64()
				} else {
					values[i] = float64(i%c.distinct) - float64(c.distinct)/2
				}
			}
			values[0], values[1] = math.Copysign(0, -1), 0
			in := slices.Clone(values)
			var b distBuilder
			var d dist
			b.build(&d, values)
			assert.Equal(t, in, values, "input modified")
			want := naiveDist(values)
			assert.Equal(t, want.cum, d.cum)
			assert.Equal(t, len(want.vals), len(d.vals))
			for i := range want.vals {
				assert.True(t, want.vals[i] == d.vals[i], "value %d: %v != %v", i, want.vals[i], d.vals[i])
			}
			x := want.vals[len(want.vals)/2]
			assert.Equal(t, countIf(values, func(v float64) bool { return v < x }), d.below(x))
			assert.Equal(t, countIf(values, func(v float64) bool { return v <= x }), d.atMost(x))
			assert.Equal(t, c.n, d.n())
		})
	}
}

func countIf(v []float64, f func(float64) bool) int {
	n := 0
	for _, x := range v {
		if f(x) {
			n++
		}
	}
	return n
}
