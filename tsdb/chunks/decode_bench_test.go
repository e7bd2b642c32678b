package chunks

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"
)

// BenchmarkDecodeCounterBlock decodes one node-exporter-like block: a
// CPU-seconds counter (two decimals) scraped every 15 s for 30 minutes (120
// samples) or 2 hours (480), the block a sealed 5-minute query reads per
// series at fleet scale; "since=5m" is DecodeSince of the block's last 5
// minutes, what such a query decodes, beside the whole block.
func BenchmarkDecodeCounterBlock(b *testing.B) {
	for _, n := range []int{120, 480} {
		ts, vs := cpuCounter(n)
		blk, err := AppendEncoded(nil, ts, vs)
		if err != nil {
			b.Fatal(err)
		}
		for _, since := range []string{"whole", "5m"} {
			mint := int64(math.MinInt64)
			if since == "5m" {
				mint = ts[n-1] - 5*60*1000
			}
			b.Run(map[int]string{120: "samples=120", 480: "samples=480"}[n]+"/since="+since, func(b *testing.B) {
				dec := NewDecoder()
				var gt []int64
				var gv []float64
				b.ReportAllocs()
				b.SetBytes(int64(len(blk)))
				for b.Loop() {
					gt, gv, err = dec.DecodeSince(blk, mint, gt[:0], gv[:0])
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/block-sample")
			})
		}
	}
}

// BenchmarkDecodeLayouts decodes the same 120- and 480-sample counter
// blocks whole in the forward bit-packed layout (version 1) and newest
// first (version 2): the cost of the reversal for queries that read whole
// blocks (range queries), beside its baseline.
func BenchmarkDecodeLayouts(b *testing.B) {
	for _, n := range []int{120, 480} {
		ts, vs := cpuCounter(n)
		v2, err := AppendEncoded(nil, ts, vs)
		if err != nil || v2[0] != formatV2NewestFirst {
			b.Fatalf("newest-first block: %v", err)
		}
		v1 := encodeForwardBitPacked(ts, vs)
		for _, c := range []struct {
			name string
			blk  []byte
		}{{"forward", v1}, {"newest-first", v2}} {
			b.Run(fmt.Sprintf("samples=%d/%s", n, c.name), func(b *testing.B) {
				dec := NewDecoder()
				var gt []int64
				var gv []float64
				for b.Loop() {
					if gt, gv, err = dec.Decode(c.blk, gt[:0], gv[:0]); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/sample")
			})
		}
	}
}

// encodeForwardBitPacked writes ts, vs as a version 1 bit-packed block,
// what the encoder wrote before the newest-first layout.
func encodeForwardBitPacked(ts []int64, vs []float64) []byte {
	enc := NewEncoder()
	exp, _ := enc.chooseExponent(vs)
	body := enc.appendBitPacked(nil, ts, vs)
	flags := byte(flagBitPacked)
	if len(enc.excIdx) > 0 {
		flags |= flagExceptions
	}
	dst := []byte{formatV1, flags}
	dst = binary.AppendUvarint(dst, uint64(len(ts)))
	dst = binary.AppendVarint(dst, int64(exp))
	dst = binary.AppendVarint(dst, ts[0])
	return append(dst, body...)
}

// cpuCounter returns n samples of a CPU-seconds counter with two decimals
// scraped every 15 s.
func cpuCounter(n int) ([]int64, []float64) {
	ts, vs := make([]int64, n), make([]float64, n)
	for i := range n {
		ts[i] = 1_700_000_000_000 + int64(i)*15_000
		x := float64(i)
		vs[i] = math.Round((1234.5+3.7*15*x+40*(1-math.Cos(0.09*x)))*100) / 100
	}
	return ts, vs
}
