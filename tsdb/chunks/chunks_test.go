package chunks

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// staleNaN is Prometheus' stale marker (value.StaleNaN).
const staleNaN = 0x7ff0000000000002

// requireRoundTrip encodes, decodes and compares bit for bit; it also
// checks that Decode appends after existing content.
func requireRoundTrip(t testing.TB, ts []int64, vs []float64) []byte {
	t.Helper()
	blk, err := AppendEncoded([]byte{0xAA}, ts, vs)
	require.NoError(t, err)
	require.Equal(t, byte(0xAA), blk[0], "AppendEncoded must keep dst")
	blk = blk[1:]
	n, err := NumSamples(blk)
	require.NoError(t, err)
	require.Equal(t, len(ts), n)

	gotT, gotV, err := Decode(blk, []int64{-7}, []float64{-7})
	require.NoError(t, err)
	require.Len(t, gotT, len(ts)+1)
	require.Len(t, gotV, len(vs)+1)
	require.Equal(t, int64(-7), gotT[0])
	for i := range ts {
		if gotT[i+1] != ts[i] || math.Float64bits(gotV[i+1]) != math.Float64bits(vs[i]) {
			require.Failf(t, "sample differs", "sample %d: got (%d, %#x) want (%d, %#x)",
				i, gotT[i+1], math.Float64bits(gotV[i+1]), ts[i], math.Float64bits(vs[i]))
		}
	}
	return blk
}

func steps(n int, start, step int64) []int64 {
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = start + int64(i)*step
	}
	return ts
}

func TestRoundTripEdgeCases(t *testing.T) {
	nan := math.Float64frombits(staleNaN)
	cases := []struct {
		name string
		ts   []int64
		vs   []float64
	}{
		{"empty", nil, nil},
		{"one sample", []int64{1700000000000}, []float64{0.132}},
		{"two samples", []int64{1, 2}, []float64{1, 2}},
		{"stale marker and NaNs", steps(6, 0, 15000), []float64{1.5, nan, 2.5, math.NaN(), math.Float64frombits(0xfff8000000000001), 3}},
		{"infinities", steps(4, 0, 1000), []float64{math.Inf(1), 1, math.Inf(-1), 2}},
		{"negative zero", steps(4, 0, 1000), []float64{math.Copysign(0, -1), 0, math.Copysign(0, -1), 1e-3}},
		{"denormals", steps(4, 0, 1000), []float64{5e-324, math.SmallestNonzeroFloat64 * 3, -2.2250738585072e-308, 0}},
		{"extremes", steps(5, 0, 1000), []float64{math.MaxFloat64, -math.MaxFloat64, 1e300, 1e-300, 9007199254740993}},
		{"all NaN", steps(130, 0, 1000), repeat(nan, 130)},
		{"constant", steps(500, 0, 15000), repeat(42, 500)},
		{"negative timestamps", steps(50, -1e12, 30000), linear(50, -3.25, 0.5)},
		{"huge timestamp gaps", []int64{math.MinInt64, -1, 0, math.MaxInt64 - 1, math.MaxInt64}, []float64{1, 2, 3, 4, 5}},
		{"irregular timestamps", []int64{0, 1, 1000, 1001, 90000, 90001, 1 << 40}, []float64{1, 2, 3, 4, 5, 6, 7}},
		{"counter", steps(720, 1.7e12, 15000), counter(720)},
		{"float noise", steps(200, 0, 300000), noisy(200)},
		{"large integers", steps(100, 0, 60000), linear(100, 1<<52, 1<<40)},
		{"tiny magnitudes", steps(100, 0, 1), linear(100, 1e-15, 3e-17)},
		{"mixed magnitudes", steps(8, 0, 1), []float64{1e20, 1e-20, 123456.789, -0.001, 7, 1e22, 1e23, -1e-5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireRoundTrip(t, tc.ts, tc.vs)
		})
	}
}

func repeat(v float64, n int) []float64 {
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = v
	}
	return vs
}

func linear(n int, start, step float64) []float64 {
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = start + float64(i)*step
	}
	return vs
}

func counter(n int) []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	vs := make([]float64, n)
	c := 0.0
	for i := range vs {
		c += float64(r.IntN(50))
		if i == n/2 {
			c = 0 // counter reset
		}
		vs[i] = c
	}
	return vs
}

// noisy yields 3-decimal values after float arithmetic, like NAB's
// 94.79799999999999, so some need a non-zero ULP correction.
func noisy(n int) []float64 {
	r := rand.New(rand.NewPCG(3, 4))
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = float64(r.IntN(100000))/1000 + 0.1 + 0.2 - 0.3
	}
	return vs
}

func TestRoundTripRandomFloats(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 7))
	gens := map[string]func() float64{
		"random bits":     func() float64 { return math.Float64frombits(r.Uint64()) },
		"uniform":         func() float64 { return r.Float64() },
		"normal scaled":   func() float64 { return r.NormFloat64() * 1e6 },
		"2 decimals":      func() float64 { return float64(r.IntN(1e6)) / 100 },
		"sum of decimals": func() float64 { return float64(r.IntN(1000))/10 + float64(r.IntN(1000))/1000 },
	}
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			for iter := 0; iter < 30; iter++ {
				n := r.IntN(300)
				ts := make([]int64, n)
				vs := make([]float64, n)
				tcur := r.Int64N(1 << 42)
				for i := range ts {
					tcur += 1 + r.Int64N(60000)
					ts[i] = tcur
					vs[i] = gen()
				}
				requireRoundTrip(t, ts, vs)
			}
		})
	}
}

func TestRoundTripTestdataNAB(t *testing.T) {
	for _, s := range testdataSeries(t) {
		t.Run(s.name, func(t *testing.T) { roundTripBlocks(t, s) })
	}
}

func TestRoundTripSharedNAB(t *testing.T) {
	all := sharedSeries(t)
	require.Len(t, all, 24, "shared NAB data should hold 24 series")
	for _, s := range all {
		t.Run(s.name, func(t *testing.T) { roundTripBlocks(t, s) })
	}
}

// roundTripBlocks checks file order (duplicates, out-of-order included)
// and the sorted series at the block sizes the benchmark measures.
func roundTripBlocks(t *testing.T, s series) {
	requireRoundTrip(t, s.ts, s.vs)
	sorted := s.sorted()
	for _, size := range []int{7, 24, 120, 720, 2880} {
		for lo := 0; lo < len(sorted.ts); lo += size {
			hi := min(lo+size, len(sorted.ts))
			requireRoundTrip(t, sorted.ts[lo:hi], sorted.vs[lo:hi])
		}
	}
}

// TestCompressionBeatsXOR guards the format's reason to exist on the
// bundled NAB excerpts: at most half of Prometheus XOR's bytes.
func TestCompressionBeatsXOR(t *testing.T) {
	ours, xor, samples := 0, 0, 0
	enc := NewEncoder()
	for _, s := range testdataSeries(t) {
		s = s.sorted()
		buf, _ := encodeOurs(t, enc, s, 120, nil)
		ours += len(buf)
		for _, c := range encodeXOR(t, s) {
			xor += len(c)
		}
		samples += len(s.ts)
	}
	ratio := float64(ours) / float64(xor)
	t.Logf("120-sample blocks: ours %.3f B/sample, XOR %.3f B/sample, ratio %.3f",
		float64(ours)/float64(samples), float64(xor)/float64(samples), ratio)
	assert.LessOrEqual(t, ratio, 0.5)
}

func TestEncodeRejectsBadInput(t *testing.T) {
	_, err := AppendEncoded(nil, []int64{1, 2}, []float64{1})
	require.ErrorContains(t, err, "2 timestamps but 1 values")
	big := make([]int64, MaxBlockSamples+1)
	_, err = AppendEncoded(nil, big, make([]float64, len(big)))
	require.ErrorContains(t, err, "exceed the block limit")
}

func TestDecodeCorrupt(t *testing.T) {
	good := requireRoundTrip(t, steps(120, 1.7e12, 15000), noisy(120))
	zstdBlock := zstdEncodedBlock(t)
	require.NotZero(t, zstdBlock[1]&flagZstd, "fixture must exercise the zstd layout")
	require.NotZero(t, good[1]&flagBitPacked, "fixture must exercise the bit-packed layout")

	mutate := func(b []byte, f func([]byte) []byte) []byte {
		return f(append([]byte(nil), b...))
	}
	cases := []struct {
		name string
		src  []byte
	}{
		{"nil", nil},
		{"header only", good[:2]},
		{"unknown version", mutate(good, func(b []byte) []byte { b[0] = 9; return b })},
		{"unknown flag", mutate(good, func(b []byte) []byte { b[1] |= 0x80; return b })},
		{"mixed layouts", mutate(good, func(b []byte) []byte { b[1] |= flagZstd; return b })},
		{"count too large", append([]byte{formatV1, 0}, binary.AppendUvarint(nil, MaxBlockSamples+1)...)},
		{"empty block with trailer", []byte{formatV1, 0, 0, 1}},
		{"truncated bit-packed", good[:len(good)/2]},
		{"trailing bytes bit-packed", append(append([]byte(nil), good...), 0, 0)},
		{"truncated zstd", zstdBlock[:len(zstdBlock)-5]},
		{"zstd bit flip", mutate(zstdBlock, func(b []byte) []byte { b[len(b)-3] ^= 0xff; return b })},
		{"exponent out of range", mutate(good, func(b []byte) []byte { b[3] = 0x7e; return b })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts, vs, err := Decode(tc.src, []int64{5}, []float64{5})
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Equal(t, []int64{5}, ts, "failed decode must not leave partial samples")
			assert.Equal(t, []float64{5}, vs)
		})
	}
}

// zstdEncodedBlock returns a block that the encoder stores with zstd.
func zstdEncodedBlock(t *testing.T) []byte {
	blk := zstdEncodedBlockF(t)
	tsOut, vsOut, err := Decode(blk, nil, nil)
	require.NoError(t, err)
	requireRoundTrip(t, tsOut, vsOut)
	return blk
}

// TestSteadyStateAllocs pins the ownership contract in doc.go: a reused
// Encoder/Decoder with room in dst, ts and vs allocates nothing.
func TestSteadyStateAllocs(t *testing.T) {
	enc, dec := NewEncoder(), NewDecoder()
	for _, tc := range []struct {
		name   string
		vs     []float64
		layout byte
	}{
		{"bit-packed", noisy(720), flagBitPacked},
		{"zstd", zstdValues(720), flagZstd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := steps(len(tc.vs), 1.7e12, 15000)
			dst := make([]byte, 0, 64<<10)
			outT := make([]int64, 0, len(ts))
			outV := make([]float64, 0, len(ts))
			var err error
			allocs := testing.AllocsPerRun(20, func() {
				dst, err = enc.AppendEncoded(dst[:0], ts, tc.vs)
				if err == nil {
					outT, outV, err = dec.Decode(dst, outT[:0], outV[:0])
				}
			})
			require.NoError(t, err)
			require.Len(t, outV, len(ts))
			require.NotZero(t, dst[1]&tc.layout, "fixture must exercise the %s layout", tc.name)
			assert.Zero(t, allocs)
		})
	}
}

// TestDecodeDamagedBlocks: every strict prefix of a block is an error, and
// every single-byte change either fails with ErrCorrupt or decodes to the
// same number of samples; nothing panics.
func TestDecodeDamagedBlocks(t *testing.T) {
	nan := math.Float64frombits(staleNaN)
	withExceptions := noisy(50)
	withExceptions[7], withExceptions[30] = nan, math.Inf(-1)
	blocks := map[string][]byte{
		"bit-packed":            requireRoundTrip(t, steps(120, 1.7e12, 15000), noisy(120)),
		"bit-packed exceptions": requireRoundTrip(t, steps(50, 0, 1000), withExceptions),
		"zstd":                  zstdEncodedBlock(t),
		"one sample":            requireRoundTrip(t, []int64{5}, []float64{0.25}),
	}
	for name, blk := range blocks {
		t.Run(name, func(t *testing.T) {
			for cut := 0; cut < len(blk); cut++ {
				_, _, err := Decode(blk[:cut], nil, nil)
				require.ErrorIs(t, err, ErrCorrupt, "prefix of %d bytes", cut)
			}
			n, err := NumSamples(blk)
			require.NoError(t, err)
			damaged := make([]byte, len(blk))
			for i := range blk {
				for _, x := range []byte{0x01, 0x80, 0xff} {
					copy(damaged, blk)
					damaged[i] ^= x
					ts, vs, err := Decode(damaged, nil, nil)
					if err != nil {
						require.ErrorIs(t, err, ErrCorrupt)
						continue
					}
					require.Len(t, vs, len(ts))
					if i >= 2+uvarintLen(uint64(n)) { // version, flags, count come first
						require.Len(t, ts, n, "byte %d ^ %#x", i, x)
					}
				}
			}
		})
	}
}

// TestAppendEncodedZstdTrial: with the trial on, AppendEncodedZstd writes
// what AppendEncoded writes; with it off, the same bytes wherever zstd
// does not win, and a block without zstd (still round-tripping) where it
// does; usedZstd says which layout came out.
func TestAppendEncodedZstdTrial(t *testing.T) {
	tests := []struct {
		name     string
		vs       []float64
		zstdWins bool
	}{
		{"noisy", noisy(720), false},
		{"counter", counter(120), false},
		{"zstd-friendly", zstdValues(720), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := steps(len(tc.vs), 1.7e12, 15000)
			want, err := AppendEncoded(nil, ts, tc.vs)
			require.NoError(t, err)
			require.Equal(t, tc.zstdWins, want[1]&flagZstd != 0, "fixture")

			got, used, err := AppendEncodedZstd(nil, ts, tc.vs, true)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			assert.Equal(t, tc.zstdWins, used)

			got, used, err = AppendEncodedZstd(nil, ts, tc.vs, false)
			require.NoError(t, err)
			assert.False(t, used)
			assert.Zero(t, got[1]&flagZstd)
			if !tc.zstdWins {
				assert.Equal(t, want, got)
			}
			tsOut, vsOut, err := Decode(got, nil, nil)
			require.NoError(t, err)
			assert.Equal(t, ts, tsOut)
			assert.Equal(t, math.Float64bits(tc.vs[len(tc.vs)-1]), math.Float64bits(vsOut[len(vsOut)-1]))
		})
	}
}
