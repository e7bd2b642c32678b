package chunks

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/require"
)

// xorChunkSamples is Prometheus' default samples per XOR chunk.
const xorChunkSamples = 120

// encodeXOR returns Prometheus XOR chunks of xorChunkSamples samples.
func encodeXOR(tb testing.TB, s series) [][]byte {
	var out [][]byte
	for lo := 0; lo < len(s.ts); lo += xorChunkSamples {
		hi := min(lo+xorChunkSamples, len(s.ts))
		c := chunkenc.NewXORChunk()
		app, err := c.Appender()
		require.NoError(tb, err)
		for i := lo; i < hi; i++ {
			app.Append(0, s.ts[i], s.vs[i])
		}
		out = append(out, c.Bytes())
	}
	return out
}

func encodeOurs(tb testing.TB, enc *Encoder, s series, blockSamples int, buf []byte) ([]byte, []int) {
	var ends []int
	buf = buf[:0]
	for lo := 0; lo < len(s.ts); lo += blockSamples {
		hi := min(lo+blockSamples, len(s.ts))
		var err error
		buf, err = enc.AppendEncoded(buf, s.ts[lo:hi], s.vs[lo:hi])
		require.NoError(tb, err)
		ends = append(ends, len(buf))
	}
	return buf, ends
}

// BenchmarkBytesPerSample compares this codec at several block sizes with
// Prometheus XOR chunks of 120 samples on every NAB series (sorted and
// de-duplicated, as the engine seals them). Size metrics are per sample;
// speed metrics are samples per second for encode and decode of both.
func BenchmarkBytesPerSample(b *testing.B) {
	all := sharedSeries(b)
	for i := range all {
		all[i] = all[i].sorted()
	}
	total := 0
	xorBytes := 0
	xorPerFile := make([]int, len(all))
	for i, s := range all {
		total += len(s.ts)
		for _, c := range encodeXOR(b, s) {
			xorPerFile[i] += len(c)
		}
		xorBytes += xorPerFile[i]
	}
	xorBPS := float64(xorBytes) / float64(total)

	b.Run("xor120", func(b *testing.B) {
		var encDur, decDur time.Duration
		for b.Loop() {
			start := time.Now()
			chunks := make([][][]byte, len(all))
			for i, s := range all {
				chunks[i] = encodeXOR(b, s)
			}
			encDur += time.Since(start)
			start = time.Now()
			var sink float64
			var it chunkenc.Iterator
			for _, cs := range chunks {
				for _, c := range cs {
					xc, err := chunkenc.FromData(chunkenc.EncXOR, c)
					require.NoError(b, err)
					it = xc.Iterator(it)
					for it.Next() != chunkenc.ValNone {
						_, v := it.At()
						sink += v
					}
				}
			}
			decDur += time.Since(start)
			_ = sink
		}
		b.ReportMetric(xorBPS, "xor_B/sample")
		b.ReportMetric(float64(total*b.N)/encDur.Seconds(), "enc_samples/s")
		b.ReportMetric(float64(total*b.N)/decDur.Seconds(), "dec_samples/s")
	})

	// The per-file table is printed once per run, before the sub-benchmark
	// result lines, so it does not break their format.
	blockSizes := []int{24, 120, 720, 2880}
	var table strings.Builder
	fmt.Fprintf(&table, "%-58s %7s %8s", "bytes/sample (ratio to XOR120)", "samples", "xor120")
	for _, bs := range blockSizes {
		fmt.Fprintf(&table, " %15s", fmt.Sprintf("ours%d", bs))
	}
	table.WriteString("\n")
	type encodedSet struct {
		bufs   [][]byte
		bounds [][]int
		bytes  int
	}
	sets := make([]encodedSet, len(blockSizes))
	enc := NewEncoder()
	for j, bs := range blockSizes {
		sets[j].bufs = make([][]byte, len(all))
		sets[j].bounds = make([][]int, len(all))
		for i, s := range all {
			buf, ends := encodeOurs(b, enc, s, bs, nil)
			sets[j].bufs[i], sets[j].bounds[i] = buf, ends
			sets[j].bytes += len(buf)
		}
	}
	for i, s := range all {
		n := float64(len(s.ts))
		fmt.Fprintf(&table, "%-58s %7d %8.3f", s.name, len(s.ts), float64(xorPerFile[i])/n)
		for j := range blockSizes {
			l := float64(len(sets[j].bufs[i]))
			fmt.Fprintf(&table, " %15s", fmt.Sprintf("%.3f (%.2f)", l/n, l/float64(xorPerFile[i])))
		}
		table.WriteString("\n")
	}
	fmt.Fprintf(&table, "%-58s %7d %8.3f", "ALL", total, xorBPS)
	for j := range blockSizes {
		l := float64(sets[j].bytes)
		fmt.Fprintf(&table, " %15s", fmt.Sprintf("%.3f (%.2f)", l/float64(total), l/float64(xorBytes)))
	}
	fmt.Println(table.String())

	for j, blockSamples := range blockSizes {
		set := sets[j]
		b.Run(fmt.Sprintf("ours%d", blockSamples), func(b *testing.B) {
			enc, dec := NewEncoder(), NewDecoder()
			ts := make([]int64, 0, blockSamples)
			vs := make([]float64, 0, blockSamples)
			var encDur, decDur time.Duration
			var scratch []byte
			for b.Loop() {
				start := time.Now()
				for _, s := range all {
					scratch, _ = encodeOurs(b, enc, s, blockSamples, scratch)
				}
				encDur += time.Since(start)
				start = time.Now()
				for i, buf := range set.bufs {
					lo := 0
					for _, hi := range set.bounds[i] {
						var err error
						ts, vs, err = dec.Decode(buf[lo:hi], ts[:0], vs[:0])
						if err != nil {
							b.Fatal(err)
						}
						lo = hi
					}
				}
				decDur += time.Since(start)
			}
			ours := float64(set.bytes) / float64(total)
			b.ReportMetric(ours, "ours_B/sample")
			b.ReportMetric(xorBPS, "xor_B/sample")
			b.ReportMetric(ours/xorBPS, "ratio")
			b.ReportMetric(float64(total*b.N)/encDur.Seconds(), "enc_samples/s")
			b.ReportMetric(float64(total*b.N)/decDur.Seconds(), "dec_samples/s")
		})
	}
}
