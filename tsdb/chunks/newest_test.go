package chunks

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jittered returns timestamps at a 15 s cadence with up to ±50 ms of
// jitter, as remote write from scrapers without timestamp alignment
// sends: the delta-of-delta stream is not all-zero.
func jittered(n int) []int64 {
	r := rand.New(rand.NewPCG(5, 6))
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = 1.7e12 + int64(i)*15000 + int64(r.IntN(101)) - 50
	}
	return ts
}

// gapped returns a regular cadence with a few long gaps (a restarted
// target): a sparse delta-of-delta stream.
func gapped(n int) []int64 {
	ts := make([]int64, n)
	t := int64(1.7e12)
	for i := range ts {
		ts[i] = t
		t += 15000
		if i%97 == 50 {
			t += 600000
		}
	}
	return ts
}

// spiky is a level with rare spikes at random times: a sparse mantissa
// stream (periodic spikes would be zstd's).
func spiky(n int) []float64 {
	r := rand.New(rand.NewPCG(7, 8))
	vs := repeat(42, n)
	for i := range vs {
		if r.IntN(60) == 0 {
			vs[i] = 42 + float64(r.IntN(1000))/8
		}
	}
	return vs
}

// bytesCounter is a byte counter with a varying rate: increments spread
// like a network interface's, geometric rather than uniform.
func bytesCounter(n int) []float64 {
	r := rand.New(rand.NewPCG(9, 10))
	vs := make([]float64, n)
	c := 1e9
	for i := range vs {
		c += math.Round(r.ExpFloat64() * 40000)
		vs[i] = c
	}
	return vs
}

func withStale(vs []float64, idx ...int) []float64 {
	vs = append([]float64(nil), vs...)
	for j, i := range idx {
		if i < len(vs) {
			if j%2 == 0 {
				vs[i] = math.Float64frombits(staleNaN)
			} else {
				vs[i] = math.Inf(-1)
			}
		}
	}
	return vs
}

// newestFirstCases covers every stream kind of the newest-first layout and
// each combination of the optional bit lengths (corrections, exceptions).
func newestFirstCases(n int) []struct {
	name string
	ts   []int64
	vs   []float64
} {
	return []struct {
		name string
		ts   []int64
		vs   []float64
	}{
		{"regular counter", steps(n, 1.7e12, 15000), bytesCounter(n)},
		{"regular linear", steps(n, 1.7e12, 15000), linear(n, 3, 0.25)},
		{"jittered noisy (corrections)", jittered(n), noisy(n)},
		{"gapped spiky (sparse streams)", gapped(n), spiky(n)},
		{"counter with stale markers (exceptions)", steps(n, 1.7e12, 15000), withStale(bytesCounter(n), 1, n/2, n-1)},
		{"noisy with exceptions and corrections", jittered(n), withStale(noisy(n), 0, 7, n-3)},
		{"spiky with exceptions", gapped(n), withStale(spiky(n), 2, n-2)},
	}
}

// TestDecodeSinceMatchesFilteredInput: for every layout case and size,
// DecodeSince at bounds before, on, between and after the samples returns
// exactly the input samples at or after the bound, bit for bit, appended
// after existing content — and blocks of 64+ increasing samples are in the
// newest-first layout unless zstd won.
func TestDecodeSinceMatchesFilteredInput(t *testing.T) {
	checkedNewestFirst := 0
	for _, n := range []int{3, 63, 64, 65, 120, 481, 2048} {
		for _, tc := range newestFirstCases(n) {
			blk := requireRoundTrip(t, tc.ts, tc.vs)
			if n >= minNewestFirstSamples && blk[1]&flagZstd == 0 {
				require.Equal(t, byte(formatV2NewestFirst), blk[0], "%s n=%d", tc.name, n)
				checkedNewestFirst++
			} else {
				require.Equal(t, byte(formatV1), blk[0], "%s n=%d", tc.name, n)
			}
			bounds := []int64{math.MinInt64, tc.ts[0] - 1, tc.ts[n-1], tc.ts[n-1] + 1, math.MaxInt64}
			for _, i := range []int{0, 1, n / 3, n / 2, n - 21, n - 2} {
				if i >= 0 && i < n {
					bounds = append(bounds, tc.ts[i], tc.ts[i]+1, tc.ts[i]-1)
				}
			}
			for _, mint := range bounds {
				gotT, gotV, err := DecodeSince(blk, mint, []int64{-7}, []float64{-7})
				require.NoError(t, err, "%s n=%d mint=%d", tc.name, n, mint)
				require.Equal(t, int64(-7), gotT[0])
				var wantT []int64
				var wantV []uint64
				for i := range tc.ts {
					if tc.ts[i] >= mint {
						wantT = append(wantT, tc.ts[i])
						wantV = append(wantV, math.Float64bits(tc.vs[i]))
					}
				}
				gotBits := make([]uint64, 0, len(gotV)-1)
				for _, v := range gotV[1:] {
					gotBits = append(gotBits, math.Float64bits(v))
				}
				require.Equal(t, wantT, nilIfEmpty(gotT[1:]), "%s n=%d mint=%d", tc.name, n, mint)
				require.Equal(t, wantV, nilIfEmptyU(gotBits), "%s n=%d mint=%d", tc.name, n, mint)
			}
		}
	}
	require.Equal(t, 5*7, checkedNewestFirst)
}

func nilIfEmpty(s []int64) []int64 {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nilIfEmptyU(s []uint64) []uint64 {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestDecodeSinceSkipsOlderCodes: damage in the codes of a block's oldest
// samples (the last bytes of a newest-first body) breaks a whole decode but
// not DecodeSince of the newest 5 minutes, which never reads them — the
// point of the layout.
func TestDecodeSinceSkipsOlderCodes(t *testing.T) {
	ts, vs := steps(480, 1.7e12, 15000), bytesCounter(480)
	blk := requireRoundTrip(t, ts, vs)
	require.Equal(t, byte(formatV2NewestFirst), blk[0])
	damaged := append([]byte(nil), blk...)
	damaged = damaged[:len(damaged)-8] // the oldest samples' mantissa codes
	_, _, err := Decode(damaged, nil, nil)
	require.ErrorIs(t, err, ErrCorrupt)

	mint := ts[479] - 5*60*1000
	gotT, gotV, err := DecodeSince(damaged, mint, nil, nil)
	require.NoError(t, err)
	require.Equal(t, ts[459:], gotT)
	require.Equal(t, vs[459:], gotV)
}

// TestDecodeReadsVersion1Blocks: blocks written before the newest-first
// layout existed (testdata/v1_blocks.json, written by the previous encoder)
// decode bit for bit, whole and since a bound.
func TestDecodeReadsVersion1Blocks(t *testing.T) {
	raw, err := os.ReadFile("testdata/v1_blocks.json")
	require.NoError(t, err)
	var blocks []struct {
		Name  string   `json:"name"`
		TS    []int64  `json:"ts"`
		VBits []uint64 `json:"value_bits"`
		Block string   `json:"block_hex"`
	}
	require.NoError(t, json.Unmarshal(raw, &blocks))
	require.Len(t, blocks, 5)
	for _, b := range blocks {
		t.Run(b.Name, func(t *testing.T) {
			blk, err := hex.DecodeString(b.Block)
			require.NoError(t, err)
			require.Equal(t, byte(formatV1), blk[0])
			ts, vs, err := Decode(blk, nil, nil)
			require.NoError(t, err)
			require.Equal(t, b.TS, ts)
			for i := range vs {
				require.Equal(t, b.VBits[i], math.Float64bits(vs[i]), "sample %d", i)
			}
			mint := b.TS[len(b.TS)-20]
			ts, vs, err = DecodeSince(blk, mint, nil, nil)
			require.NoError(t, err)
			require.Equal(t, b.TS[len(b.TS)-20:], ts)
			require.Len(t, vs, 20)
		})
	}
}

// TestNewestFirstDamagedBlocks: every strict prefix of a newest-first
// block fails a whole decode, and any single-byte change either fails or
// decodes to as many samples; DecodeSince on damaged blocks never panics
// and returns at most the block's samples.
func TestNewestFirstDamagedBlocks(t *testing.T) {
	for _, tc := range newestFirstCases(130) {
		t.Run(tc.name, func(t *testing.T) {
			blk := requireRoundTrip(t, tc.ts, tc.vs)
			require.Equal(t, byte(formatV2NewestFirst), blk[0])
			for cut := 0; cut < len(blk); cut++ {
				_, _, err := Decode(blk[:cut], nil, nil)
				require.ErrorIs(t, err, ErrCorrupt, "prefix of %d bytes", cut)
			}
			damaged := make([]byte, len(blk))
			mint := tc.ts[100]
			for i := range blk {
				for _, x := range []byte{0x01, 0x80, 0xff} {
					copy(damaged, blk)
					damaged[i] ^= x
					ts, vs, err := Decode(damaged, nil, nil)
					if err == nil {
						require.Len(t, vs, len(ts))
						if i >= 4 { // version, flags, count come first
							require.Len(t, ts, 130, "byte %d ^ %#x", i, x)
						}
					} else {
						require.ErrorIs(t, err, ErrCorrupt)
					}
					ts, vs, err = DecodeSince(damaged, mint, nil, nil)
					if err != nil {
						require.ErrorIs(t, err, ErrCorrupt)
						continue
					}
					require.Len(t, vs, len(ts))
					assert.LessOrEqual(t, len(ts), 130)
				}
			}
		})
	}
}
