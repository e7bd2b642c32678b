package gpu

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
)

// BenchmarkScoreLightGBMBackends scores LightGBM model.txt fixtures on the
// CPU backend (all cores) and the OpenCL backend (chunks of 131,072 rows
// over two queues) side by side in one run, at 10k and 100k rows of the
// fixture's input replicated: the breast cancer DART model (10 trees) and
// the multiclass model (5 classes × 10 trees, 1,500 splits). Under POCL the OpenCL device
// is this machine's CPU. (No LightGBM predictor is installed here to
// measure beside them.)
func BenchmarkScoreLightGBMBackends(b *testing.B) {
	o := openTestDevice(b)
	o.batchRows = 1 << 17
	ctx := context.Background()
	for _, fx := range lightgbmFixtures[:2] {
		m := readLightGBM(b, fx, false)
		src := readInput(b, fx, m)
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
				b.Run(fx.name+"/rows="+strconv.Itoa(rows)+"/backend="+backend.name, func(b *testing.B) {
					require.NoError(b, backend.be.Score(ctx, m, batch, out)) // warm-up: upload, buffers
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
}
