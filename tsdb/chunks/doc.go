// Package chunks owns the on-disk encoding of a sealed block of float
// samples of one series: AppendEncoded writes a block, Decode reads it back
// bit for bit.
//
// # Why not Prometheus XOR chunks
//
// XOR (Gorilla) coding compares the raw bits of consecutive float64 values.
// Real metrics are mostly short decimals (0.132, 51.846, 10844) whose
// binary fractions never end, so every change of value costs 20 to 60 bits.
// On the 24 NAB series XOR spends 5.7 bytes per sample. This format works on
// the decimal value instead and stores well under half of that (see
// BenchmarkBytesPerSample for the current figures next to XOR).
//
// # Values: decimal mantissa, ULP correction, exceptions
//
// A block picks one decimal exponent e and stores every value v as an
// integer mantissa m = round(v / 10^e). The decoder rebuilds r = m / 10^-e
// (or m * 10^e) with a single IEEE division or multiplication of two exact
// operands (|m| < 2^53, 10^|e| <= 10^22), which is correctly rounded and so
// gives the same bits on every architecture; no a*b+c appears, so fused
// multiply-add cannot change results. For a value parsed from a short
// decimal string, r is exactly v. Values produced by float arithmetic
// (94.79799999999999, one ULP below 94.798) differ from r by a few ULPs;
// the difference of their bit patterns is stored as a correction, which is
// zero for almost every value and then costs next to nothing. That keeps
// the format lossless for every finite value without giving up the decimal
// view. Values with no usable mantissa - NaN payloads such as Prometheus'
// stale marker, ±Inf, magnitudes beyond 2^53·10^e, or corrections over 2^20
// ULPs (-0 among them) - are exceptions stored as raw bits; the mantissa
// stream repeats the previous mantissa there so the predictors stay quiet.
//
// The encoder tries exponents from one significant digit for the largest
// magnitude down to sixteen, estimating the size of each, and stops at the
// first exponent that needs no correction: more digits only grow the
// mantissas. Choosing e per block, not per series, lets a series change
// precision over time at the cost of one byte per block.
//
// # Streams and entropy coding
//
// Timestamps are stored as the first timestamp, the first delta and then
// delta-of-deltas: a regular scrape interval makes them all zero. Wrapping
// int64 arithmetic keeps any timestamp sequence lossless, although only
// increasing ones compress well. Mantissas are predicted from the previous
// value (random walks), the previous slope (counters) or the first value
// (noise around a level, where deltas would double the variance); the
// encoder keeps whichever codes smallest.
//
// Two layouts exist because neither wins everywhere, and the encoder keeps
// the smaller:
//
//   - bit-packed: each stream of zigzagged integers is coded as all-zero,
//     Rice(k), Exp-Golomb(k) or sparse (gaps and values of the non-zero
//     entries), with k chosen per stream. A stream parameter costs 8 bits,
//     where zstd must ship a Huffman table per frame, so this layout wins on
//     small blocks and on noisy values, which are most blocks.
//   - varint+zstd: the same streams as varints in one zstd frame. LZ
//     matching wins on repeating patterns (periodic values, long constant
//     stretches interrupted by spikes).
//
// # Newest first
//
// A query's window usually sits at the end of a block: an instant query or
// an alerting rule reads the last 5 minutes of a block that holds hours,
// and a stream of variable-length codes can only be read from its start.
// So a bit-packed block of at least 64 samples with increasing timestamps
// is written newest first (format version 2, newest.go), and DecodeSince
// reads the codes of the samples at or after its bound and stops: a
// 5-minute window of a 480-sample block decodes about 21 samples, not 480.
// The timestamp stream is read whole (it is all-zero, one 2-bit field, for
// a regular scrape interval); the value streams' bit lengths are written
// ahead of them where a later stream must be found, which costs 2-3 bytes
// in blocks that have corrections or exceptions and nothing otherwise.
// A zstd frame decodes whole, so against a newest-first body zstd has to
// save more than a tenth of the block to be chosen. Version 1 blocks
// (written before, and blocks under 64 samples) decode as they always did.
//
// # Robustness
//
// The first byte is a format version so the encoding can evolve; unknown
// versions and flags are rejected. Decode treats its input as untrusted:
// the sample count is capped by MaxBlockSamples, the zstd payload size is
// declared in the header, checked against the count and enforced by the
// decompressor, every stream read is bounds-checked, and any inconsistency
// is an error wrapping ErrCorrupt, never a panic. Decode appends to the
// caller's slices and leaves them unchanged on error.
//
// # Concurrency and memory
//
// An Encoder or Decoder holds scratch buffers and zstd state for reuse and
// must not be shared between goroutines; owning one per worker avoids any
// allocation in steady state. AppendEncoded and Decode borrow one from a
// sync.Pool, which is the package's only shared state: a cache with no
// observable effect.
package chunks
