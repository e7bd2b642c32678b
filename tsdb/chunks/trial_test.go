package chunks

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAppendWithZstdTrialMatchesAppendEncoded: from a block encoded
// without the zstd trial, AppendWithZstdTrial writes exactly what
// AppendEncoded writes for the same samples, over value shapes that reach
// every layout (varint, bit-packed, zstd; corrections and exceptions) and
// the NAB excerpts at the head's and the seal's block sizes.
func TestAppendWithZstdTrialMatchesAppendEncoded(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	type block struct {
		ts []int64
		vs []float64
	}
	var blocks []block
	gens := []func(i int) float64{
		func(int) float64 { return float64(r.IntN(1e6)) / 100 },
		func(int) float64 { return math.Float64frombits(r.Uint64()) },
		func(int) float64 { return float64(r.IntN(1000))/10 + float64(r.IntN(1000))/1000 },
		func(i int) float64 { return math.Round((1000+2.5*float64(i)+3*math.Sin(float64(i)/5))*100) / 100 },
		func(i int) float64 { return []float64{1, 5000, 2, 90000, 3, 12, 77777, 4}[i%8] },
		func(i int) float64 { return []float64{0.1, math.NaN(), 7.25, math.Inf(1), 7.25}[i%5] },
		func(i int) float64 { return float64(i/10) * 0.3 },
	}
	for _, gen := range gens {
		for _, n := range []int{1, 63, 64, 120, 333, 2048} {
			ts := steps(n, 1.7e12+r.Int64N(1e6), 15000)
			vs := make([]float64, n)
			for i := range vs {
				vs[i] = gen(i)
			}
			blocks = append(blocks, block{ts, vs})
		}
	}
	for _, s := range testdataSeries(t) {
		sorted := s.sorted()
		for _, size := range []int{120, 2048} {
			for lo := 0; lo < len(sorted.ts); lo += size {
				hi := min(lo+size, len(sorted.ts))
				blocks = append(blocks, block{sorted.ts[lo:hi], sorted.vs[lo:hi]})
			}
		}
	}
	layouts := map[string]int{}
	for i, b := range blocks {
		want, err := AppendEncoded(nil, b.ts, b.vs)
		require.NoError(t, err)
		plain, _, err := AppendEncodedZstd(nil, b.ts, b.vs, false)
		require.NoError(t, err)
		got, used, err := AppendWithZstdTrial([]byte{9}, plain, b.ts, b.vs)
		require.NoError(t, err)
		require.Equal(t, want, got[1:], "block %d (%d samples)", i, len(b.ts))
		require.Equal(t, want[1]&flagZstd != 0, used, "block %d", i)
		switch {
		case want[1]&flagZstd != 0:
			layouts["zstd"]++
		case want[1]&flagBitPacked != 0:
			layouts["bit-packed"]++
		default:
			layouts["varint"]++
		}
	}
	for _, l := range []string{"zstd", "bit-packed", "varint"} {
		require.NotZero(t, layouts[l], "no %s block among the cases: %v", l, layouts)
	}
	t.Logf("layouts: %v", layouts)

	_, _, err := AppendWithZstdTrial(nil, []byte{formatV1, 0, 5}, steps(4, 0, 1), make([]float64, 4))
	require.ErrorIs(t, err, ErrCorrupt, "a block of another sample count")
}
