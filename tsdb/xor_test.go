package tsdb

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/tsdb/chunks"
)

// TestXORAppenderMatchesChunkenc checks the head's XOR appender writes
// exactly the bytes chunkenc's appender writes, over timestamp jitters that
// reach every delta-of-delta bucket and values that hit every XOR case.
func TestXORAppenderMatchesChunkenc(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name   string
		jitter int64 // max timestamp jitter, ms
		value  func(i int, last float64) float64
	}{
		{"regular counter", 0, func(i int, last float64) float64 { return last + 3 }},
		{"constant", 0, func(int, float64) float64 { return 42 }},
		{"jittered gauge", 50, func(int, float64) float64 { return rng.Float64() * 100 }},
		{"14-bit dod", 5_000, func(i int, last float64) float64 { return last + float64(rng.IntN(4)) }},
		{"17-bit dod", 60_000, func(i int, _ float64) float64 { return float64(i) * 0.1 }},
		{"20-bit dod", 500_000, func(i int, _ float64) float64 { return math.Float64frombits(rng.Uint64()) }},
		{"64-bit dod", 1 << 40, func(i int, last float64) float64 { return -last + 1 }},
		{"special values", 0, func(i int, _ float64) float64 {
			return []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), math.MaxFloat64, math.SmallestNonzeroFloat64}[i%7]
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, hint := range []int{0, 16, 300} {
				ref := chunkenc.NewXORChunk()
				app, err := ref.Appender()
				require.NoError(t, err)
				ours := newXORAppender(hint)
				ts, v := int64(1_700_000_000_000), 1.0
				for i := range frozenChunkSamples {
					ts += 15_000
					if tc.jitter > 0 {
						ts += rng.Int64N(2*tc.jitter) - tc.jitter
					}
					v = tc.value(i, v)
					app.Append(0, ts, v)
					ours.reserve(i, frozenChunkSamples)
					ours.append(ts, v)
					require.Equal(t, ref.Bytes(), ours.sync(), "after sample %d (hint %d)", i, hint)
				}
			}
		})
	}
}

// TestXORAppenderGrowsOnce checks a first chunk grows its buffer once, to
// about its final size, where doubling from 128 bytes would end at 512.
func TestXORAppenderGrowsOnce(t *testing.T) {
	a := newXORAppender(0)
	grows := 0
	for i := range frozenChunkSamples {
		before := cap(a.b)
		a.reserve(i, frozenChunkSamples)
		if cap(a.b) != before {
			grows++
		}
		a.append(int64(i)*15_000, float64(i*i)) // ~2.5 bytes a sample
	}
	require.Equal(t, 1, grows)
	require.Less(t, cap(a.b), 2*len(a.b), "cap %d for %d bytes", cap(a.b), len(a.b))
	require.Less(t, cap(a.b), 512)

	next := newXORAppender(len(a.b))
	for i := range frozenChunkSamples {
		before := cap(next.b)
		next.reserve(i, frozenChunkSamples)
		require.Equal(t, before, cap(next.b), "sized from the previous chunk: no growth at sample %d", i)
		next.append(int64(i)*15_000, float64(i*i))
	}
}

// TestHeadChunkPackSkipsZstd: a full head chunk is packed with the block
// codec but never as a zstd frame, even where zstd would win (a repeating
// pattern), and reads back exactly.
func TestHeadChunkPackSkipsZstd(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pattern := make([]float64, 8)
	for i := range pattern {
		pattern[i] = math.Round(rng.Float64()*1e6) / 100
	}
	s := &memSeries{}
	var want []sample
	var ts []int64
	var vs []float64
	for i := range 2 * frozenChunkSamples {
		smp := sample{t: int64(i) * 15_000, v: pattern[i%len(pattern)]}
		s.freezeOne(smp.t, smp.v)
		want = append(want, smp)
		if i < frozenChunkSamples {
			ts, vs = append(ts, smp.t), append(vs, smp.v)
		}
	}
	_, zstdWins, err := chunks.AppendEncodedZstd(nil, ts, vs, true)
	require.NoError(t, err)
	require.True(t, zstdWins, "the test's data must be a case where zstd wins")
	var got []sample
	for i := range s.frozen {
		c := s.frozen[i]
		require.True(t, c.packed, "chunk %d", i)
		require.Zero(t, c.data[1]&1, "chunk %d is a zstd frame (flag bit 0 of the codec's header)", i)
		got = c.appendSamples(got, nil)
	}
	require.Equal(t, want, got)
}
