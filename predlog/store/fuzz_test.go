package store

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeBlock feeds arbitrary bytes to the block decoder (header and
// columns, as read back from badger): it must return an error or records,
// never panic or allocate without bound.
func FuzzDecodeBlock(f *testing.F) {
	var e blockEncoder
	for _, n := range []int{1, 7, 40} {
		hdr, err := e.encode(nil, testRecords(n, "m", "v", 1795687200000))
		require.NoError(f, err)
		f.Add(append(hdr, e.payload...))
	}
	hdr, err := e.encode(nil, withExtras(testRecords(12, "m", "v", 1795687200000)))
	require.NoError(f, err)
	f.Add(append(hdr, e.payload...))
	f.Add([]byte{blockFormat, 0, 0})
	f.Add([]byte{blockFormatExtras, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, rest, err := decodeHeader(b)
		if err != nil {
			return
		}
		if h.n*max(1, len(h.features)+len(h.explanations)+len(h.featureTS)) > 1<<20 {
			return // a real block never claims this much; the decoder checks counts against its streams
		}
		recs, err := decodeBlock("m", "v", h, 0, rest)
		if err == nil {
			require.Len(t, recs, h.n)
		}
	})
}
