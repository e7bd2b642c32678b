package gpu

import (
	"context"
	"strconv"
	"testing"

	"github.com/mlectl/mlectl/engine"
)

// BenchmarkScoreBikeBackends scores the bike regression model (200 trees,
// depth 6) on the CPU backend (all cores) and the OpenCL backend side by
// side in one run, at 10k and 100k rows (the oracle's 2000 rows
// replicated), and reports rows/s for each. Under POCL the OpenCL device is
// this machine's CPU, so the comparison measures the kernel and transfers,
// not a GPU; on a GPU machine the same benchmark measures the GPU.
func BenchmarkScoreBikeBackends(b *testing.B) {
	o := openTestDevice(b)
	b.Logf("OpenCL device: %s (GPU: %v)", o.Device(), o.IsGPU())
	o.batchRows = 1 << 17
	m, src := loadBench(b)
	ctx := context.Background()
	for _, rows := range []int{10_000, 100_000} {
		batch := engine.NewBatch(rows, src.Cols)
		for off := 0; off < len(batch.Values); off += len(src.Values) {
			copy(batch.Values[off:], src.Values)
		}
		out := make([]float64, rows*m.NumOutputs())
		for _, backend := range []struct {
			name string
			be   engine.Backend
		}{{"cpu", engine.CPU{}}, {"opencl", o}} {
			b.Run("rows="+strconv.Itoa(rows)+"/backend="+backend.name, func(b *testing.B) {
				if err := backend.be.Score(ctx, m, batch, out); err != nil { // warm-up: upload, buffers
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := backend.be.Score(ctx, m, batch, out); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
