package chunks

import (
	"math"
	"testing"
)

// BenchmarkDecodeCounterBlock decodes one node-exporter-like block: a
// CPU-seconds counter (two decimals) scraped every 15 s for 30 minutes, the
// block a sealed 5-minute query reads per series at fleet scale.
func BenchmarkDecodeCounterBlock(b *testing.B) {
	for _, n := range []int{120, 480} {
		ts, vs := make([]int64, n), make([]float64, n)
		for i := range n {
			ts[i] = 1_700_000_000_000 + int64(i)*15_000
			x := float64(i)
			vs[i] = math.Round((1234.5+3.7*15*x+40*(1-math.Cos(0.09*x)))*100) / 100
		}
		blk, err := AppendEncoded(nil, ts, vs)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(map[int]string{120: "samples=120", 480: "samples=480"}[n], func(b *testing.B) {
			dec := NewDecoder()
			var gt []int64
			var gv []float64
			b.ReportAllocs()
			b.SetBytes(int64(len(blk)))
			for b.Loop() {
				gt, gv, err = dec.Decode(blk, gt[:0], gv[:0])
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/sample")
		})
	}
}
