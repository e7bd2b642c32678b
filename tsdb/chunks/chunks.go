package chunks

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrCorrupt is returned (wrapped) for any block that cannot be decoded.
var ErrCorrupt = errors.New("corrupt sample block")

// AppendEncoded encodes the float samples (ts strictly increasing) as one
// sealed block appended to dst and returns the extended slice.
//
// PLACEHOLDER implementation (plain varints); the real decimal+zstd codec
// replaces it with the same signatures.
func AppendEncoded(dst []byte, ts []int64, vs []float64) ([]byte, error) {
	if len(ts) != len(vs) {
		return dst, fmt.Errorf("encode block: %d timestamps but %d values", len(ts), len(vs))
	}
	dst = binary.AppendUvarint(dst, uint64(len(ts)))
	prev := int64(0)
	for i, t := range ts {
		dst = binary.AppendVarint(dst, t-prev)
		prev = t
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(vs[i]))
	}
	return dst, nil
}

// Decode appends the samples of block src to ts and vs and returns them.
func Decode(src []byte, ts []int64, vs []float64) ([]int64, []float64, error) {
	n, k := binary.Uvarint(src)
	if k <= 0 || n > uint64(len(src)) {
		return ts, vs, fmt.Errorf("%w: bad sample count", ErrCorrupt)
	}
	src = src[k:]
	prev := int64(0)
	for i := uint64(0); i < n; i++ {
		d, k := binary.Varint(src)
		if k <= 0 || len(src[k:]) < 8 {
			return ts, vs, fmt.Errorf("%w: truncated at sample %d", ErrCorrupt, i)
		}
		prev += d
		ts = append(ts, prev)
		vs = append(vs, math.Float64frombits(binary.LittleEndian.Uint64(src[k:])))
		src = src[k+8:]
	}
	return ts, vs, nil
}
