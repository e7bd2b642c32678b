package tsdb

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
)

// xorAppender writes a Prometheus XOR chunk (chunkenc.EncXOR), byte for
// byte what chunkenc's appender writes, so chunkenc's iterator reads it,
// but into a buffer the head sizes itself. chunkenc's appender grows its
// buffer by append's doubling from 128 bytes (128, 256, 512 for a typical
// 120-sample chunk of ~300 bytes); at 100k series, all cutting their
// chunks at the same scrape, that doubling is most of ingest's garbage and
// up to half of every open chunk's memory is headroom. Here the buffer
// starts at the series' previous chunk's size and, when it runs short,
// grows once to what the samples so far predict for a full chunk.
//
// The 2-byte sample count at the front of b is written by sync, not by
// every append: at 100k series each sample lands in a different chunk, and
// the count's cache line is rarely the one the bit stream's tail is on, so
// rewriting it per sample cost a cache miss per sample. Whoever reads b
// calls sync first (memSeries.syncOpen does, under the series lock).
type xorAppender struct {
	b        []byte  // 2-byte sample count (as of the last sync), then the bit stream
	n        uint16  // samples appended
	free     uint8   // unused low bits of b's last byte
	leading  uint8   // of the last value XOR; 0xff before the first
	trailing uint8   // of the last value XOR
	t        int64   // last timestamp
	v        float64 // last value
	tDelta   uint64  // last timestamp delta
}

const (
	// xorSampleMaxBytes bounds the bytes one sample adds: the second
	// sample's 10-byte uvarint delta and 2+5+6+64 value bits, or a later
	// sample's 4+64 timestamp bits and 77 value bits.
	xorSampleMaxBytes = 20
	// xorFirstChunkBytes is a series' first chunk's buffer (chunkenc's too).
	xorFirstChunkBytes = 128
)

// newXORAppender starts an empty chunk in a buffer of about sizeHint bytes
// (the previous chunk's final size; 0 when there is none).
func newXORAppender(sizeHint int) *xorAppender {
	a := &xorAppender{}
	a.start(sizeHint)
	return a
}

// start begins an empty chunk in a fresh buffer of about sizeHint bytes,
// as newXORAppender does, reusing a's memory (a series keeps its appender
// inline).
func (a *xorAppender) start(sizeHint int) {
	want := xorFirstChunkBytes
	if sizeHint > 0 {
		want = sizeHint + sizeHint/16 + xorSampleMaxBytes
	}
	*a = xorAppender{leading: 0xff}
	a.b = append(slices.Grow([]byte(nil), want), 0, 0)
}

// sync writes the sample count into b's header and returns b, a complete
// chunkenc.EncXOR chunk. It writes only when the count changed, so
// concurrent readers of a chunk nobody appends to never see a write.
func (a *xorAppender) sync() []byte {
	if binary.BigEndian.Uint16(a.b) != a.n {
		binary.BigEndian.PutUint16(a.b, a.n)
	}
	return a.b
}

// reserve makes room for one more sample of a chunk that already holds n
// samples and is expected to end at total: when the buffer runs short it
// grows once to the size the bytes per sample so far predict for total
// samples (plus an eighth), not by doubling.
func (a *xorAppender) reserve(n, total int) {
	if cap(a.b)-len(a.b) >= xorSampleMaxBytes {
		return
	}
	want := len(a.b) + xorSampleMaxBytes
	if n > 0 && total > n {
		rest := (len(a.b) - 2) * (total - n) / n
		want = max(want, len(a.b)+rest+rest/8+xorSampleMaxBytes)
	}
	a.b = append(slices.Grow([]byte(nil), want), a.b...)
}

// append adds a sample newer than the last; the caller reserved room.
func (a *xorAppender) append(t int64, v float64) {
	var tDelta uint64
	switch a.n {
	case 0:
		var buf [binary.MaxVarintLen64]byte
		for _, c := range buf[:binary.PutVarint(buf[:], t)] {
			a.writeBits(uint64(c), 8)
		}
		a.writeBits(math.Float64bits(v), 64)
	case 1:
		tDelta = uint64(t - a.t)
		var buf [binary.MaxVarintLen64]byte
		for _, c := range buf[:binary.PutUvarint(buf[:], tDelta)] {
			a.writeBits(uint64(c), 8)
		}
		a.writeValue(v)
	default:
		tDelta = uint64(t - a.t)
		dod := int64(tDelta - a.tDelta)
		switch {
		case dod == 0:
			a.writeBits(0, 1)
		case xorBitRange(dod, 14):
			a.writeBits(0b10, 2)
			a.writeBits(uint64(dod), 14)
		case xorBitRange(dod, 17):
			a.writeBits(0b110, 3)
			a.writeBits(uint64(dod), 17)
		case xorBitRange(dod, 20):
			a.writeBits(0b1110, 4)
			a.writeBits(uint64(dod), 20)
		default:
			a.writeBits(0b1111, 4)
			a.writeBits(uint64(dod), 64)
		}
		a.writeValue(v)
	}
	a.t, a.v, a.tDelta = t, v, tDelta
	a.n++
}

// xorBitRange reports whether x fits the nbits bucket of XOR's
// delta-of-delta encoding (chunkenc's bitRange).
func xorBitRange(x int64, nbits uint8) bool {
	return -((1<<(nbits-1))-1) <= x && x <= 1<<(nbits-1)
}

// writeValue XORs v against the last value as chunkenc's xorWrite does.
func (a *xorAppender) writeValue(v float64) {
	delta := math.Float64bits(v) ^ math.Float64bits(a.v)
	if delta == 0 {
		a.writeBits(0, 1)
		return
	}
	leading := uint8(bits.LeadingZeros64(delta))
	trailing := uint8(bits.TrailingZeros64(delta))
	if leading >= 32 {
		leading = 31
	}
	if a.leading != 0xff && leading >= a.leading && trailing >= a.trailing {
		a.writeBits(0b10, 2)
		a.writeBits(delta>>a.trailing, 64-int(a.leading)-int(a.trailing))
		return
	}
	a.leading, a.trailing = leading, trailing
	a.writeBits(0b11, 2)
	a.writeBits(uint64(leading), 5)
	sigbits := 64 - leading - trailing // 64 is written as 0, as chunkenc does
	a.writeBits(uint64(sigbits), 6)
	a.writeBits(delta>>trailing, int(sigbits))
}

// writeBits writes the low nbits (1 to 64) of u, most significant first.
func (a *xorAppender) writeBits(u uint64, nbits int) {
	u <<= 64 - uint(nbits)
	if a.free > 0 {
		free := int(a.free)
		a.b[len(a.b)-1] |= byte(u >> uint(64-free))
		if nbits < free {
			a.free = uint8(free - nbits)
			return
		}
		u <<= uint(free)
		nbits -= free
		a.free = 0
	}
	for nbits >= 8 {
		a.b = append(a.b, byte(u>>56))
		u <<= 8
		nbits -= 8
	}
	if nbits > 0 {
		a.b = append(a.b, byte(u>>56))
		a.free = uint8(8 - nbits)
	}
}
