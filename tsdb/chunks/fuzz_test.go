package chunks

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecode feeds arbitrary bytes to Decode: it must return samples or an
// ErrCorrupt-wrapped error, never panic, and whatever it returns must
// itself round-trip.
func FuzzDecode(f *testing.F) {
	for _, s := range testdataSeries(f) {
		s = s.sorted()
		for _, size := range []int{1, 3, 24, 120, 480} {
			blk, err := AppendEncoded(nil, s.ts[:size], s.vs[:size])
			require.NoError(f, err)
			f.Add(blk)
		}
	}
	f.Add(zstdEncodedBlockF(f))
	nan := math.Float64frombits(staleNaN)
	blk, err := AppendEncoded(nil, []int64{1, 2, 3, 4}, []float64{nan, math.Inf(1), math.Copysign(0, -1), 5e-324})
	require.NoError(f, err)
	f.Add(blk)

	f.Fuzz(func(t *testing.T, src []byte) {
		ts, vs, err := Decode(src, nil, nil)
		if err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			require.Empty(t, ts)
			require.Empty(t, vs)
			return
		}
		require.Len(t, vs, len(ts))
		requireRoundTrip(t, ts, vs)
		if len(ts) == 0 {
			return
		}
		// A decodable block read since one of its timestamps gives the
		// samples at or after it, whatever the layout.
		mint := ts[len(ts)/2]
		st, sv, err := DecodeSince(src, mint, nil, nil)
		require.NoError(t, err)
		var wantT []int64
		var wantV, gotV []uint64
		for i := range ts {
			if ts[i] >= mint {
				wantT = append(wantT, ts[i])
				wantV = append(wantV, math.Float64bits(vs[i]))
			}
		}
		for _, v := range sv {
			gotV = append(gotV, math.Float64bits(v))
		}
		require.Equal(t, wantT, st)
		require.Equal(t, wantV, gotV)
	})
}

// FuzzRoundTrip turns arbitrary bytes into samples (8 bytes of timestamp
// step, 8 bytes of value bits each) and requires a bit-exact round trip.
func FuzzRoundTrip(f *testing.F) {
	seed := func(steps []int64, vs []float64) []byte {
		var b []byte
		for i := range steps {
			b = binary.LittleEndian.AppendUint64(b, uint64(steps[i]))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(vs[i]))
		}
		return b
	}
	f.Add(seed([]int64{1.7e12, 15000, 15000, 15001}, []float64{0.132, 0.134, 94.79799999999999, 51.846000000000004}))
	f.Add(seed([]int64{0, 1, 1}, []float64{math.Float64frombits(staleNaN), math.Inf(-1), math.Copysign(0, -1)}))
	f.Add(seed([]int64{-5, math.MaxInt64, math.MinInt64}, []float64{math.MaxFloat64, 5e-324, 1e22}))
	// 70 samples: the newest-first layout (64+ increasing timestamps),
	// regular and spanning nearly all of int64.
	regular, wide := make([]int64, 70), make([]int64, 70)
	for i := range regular {
		regular[i], wide[i] = 15000, math.MaxInt64/69
	}
	regular[0], wide[0] = 1.7e12, math.MinInt64+5
	f.Add(seed(regular, noisy(70)))
	f.Add(seed(wide, counter(70)))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 16
		ts := make([]int64, n)
		vs := make([]float64, n)
		var cur int64
		for i := range n {
			cur += int64(binary.LittleEndian.Uint64(data[16*i:]))
			ts[i] = cur
			vs[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[16*i+8:]))
		}
		requireRoundTrip(t, ts, vs)
	})
}

// zstdValues repeats a pattern: LZ matching beats Golomb codes on it, so
// the encoder picks the zstd layout.
func zstdValues(n int) []float64 {
	vs := make([]float64, n)
	pattern := []float64{1, 5000, 2, 90000, 3, 12, 77777, 4}
	for i := range vs {
		vs[i] = pattern[i%len(pattern)]
	}
	return vs
}

func zstdEncodedBlockF(f testing.TB) []byte {
	blk, err := AppendEncoded(nil, steps(2000, 0, 15000), zstdValues(2000))
	require.NoError(f, err)
	return blk
}
