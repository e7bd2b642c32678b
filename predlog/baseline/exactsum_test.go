package baseline

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// bigSum is the exact sum of vals rounded once, through math/big.
func bigSum(vals []float64) float64 {
	acc := new(big.Float).SetPrec(4096)
	for _, v := range vals {
		acc.Add(acc, new(big.Float).SetPrec(4096).SetFloat64(v))
	}
	f, _ := acc.Float64()
	return f
}

func TestExactSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	mixed := make([]float64, 5000)
	for i := range mixed {
		mixed[i] = (rng.Float64() - 0.5) * math.Ldexp(1, rng.IntN(200)-100)
	}
	tests := []struct {
		name string
		vals []float64
		want float64
	}{
		{"empty", nil, 0},
		{"one", []float64{1.5}, 1.5},
		{"naive order loses the 1", []float64{1e100, 1, -1e100}, 1},
		{"0.1 ten times", []float64{.1, .1, .1, .1, .1, .1, .1, .1, .1, .1}, bigSum([]float64{.1, .1, .1, .1, .1, .1, .1, .1, .1, .1})},
		{"subnormals", []float64{math.SmallestNonzeroFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64 * 3}, -math.SmallestNonzeroFloat64},
		{"largest twice overflows", []float64{math.MaxFloat64, math.MaxFloat64}, math.Inf(1)},
		{"largest and back", []float64{math.MaxFloat64, math.MaxFloat64, -math.MaxFloat64}, math.MaxFloat64},
		{"negative", []float64{-2.5, -0.25}, -2.75},
		{"mixed magnitudes", mixed, bigSum(mixed)},
		{"inf", []float64{1, math.Inf(1)}, math.Inf(1)},
		{"-inf", []float64{1, math.Inf(-1)}, math.Inf(-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s exactSum
			for _, v := range tt.vals {
				s.add(v)
			}
			assert.Equal(t, tt.want, s.Float64())
			// Order does not matter, nor splitting into merged parts.
			var r, a, b exactSum
			for i := len(tt.vals) - 1; i >= 0; i-- {
				r.add(tt.vals[i])
				if i%2 == 0 {
					a.add(tt.vals[i])
				} else {
					b.add(tt.vals[i])
				}
			}
			a.merge(&b)
			assert.Equal(t, tt.want, r.Float64())
			assert.Equal(t, tt.want, a.Float64())
		})
	}
	var nan exactSum
	nan.add(math.Inf(1))
	nan.add(math.Inf(-1))
	assert.True(t, math.IsNaN(nan.Float64()))
}

// TestExactSumRenormalizes: past 2^30 additions the carries are folded so
// no limb overflows; simulated by starting the counter just below.
func TestExactSumRenormalizes(t *testing.T) {
	var s exactSum
	s.adds = exactSumRenormE - 10
	for range 100 {
		s.add(math.MaxFloat64 / 1e10)
	}
	assert.Equal(t, bigSum(func() []float64 {
		v := make([]float64, 100)
		for i := range v {
			v[i] = math.MaxFloat64 / 1e10
		}
		return v
	}()), s.Float64())
}
