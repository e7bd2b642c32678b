package gpu

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
)

// openQueues opens an OpenCL device (POCL counts) whose chunks alternate
// over queues queues, or skips without a platform.
func openQueues(t *testing.T, queues, batchRows int) *OpenCL {
	t.Helper()
	o, err := OpenOpenCL(Options{AllowCPU: true, BatchRows: batchRows, Queues: queues})
	if err != nil {
		if errors.Is(err, ErrNoDevice) || errors.Is(err, apiErr) {
			t.Skipf("no OpenCL platform here (install ocl-icd-libopencl1 and pocl-opencl-icd): %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// replicate repeats b's rows until the batch has rows rows, poisoning some
// cells with NaN and ±Inf so that every path of the kernel is taken.
func replicate(b engine.Batch, rows int) engine.Batch {
	out := engine.NewBatch(rows, b.Cols)
	for off := 0; off < len(out.Values); off += len(b.Values) {
		copy(out.Values[off:], b.Values)
	}
	for i := 11; i < len(out.Values); i += 61 {
		out.Values[i] = [3]float64{math.NaN(), math.Inf(1), math.Inf(-1)}[i%3]
	}
	return out
}

// TestOpenCLPipelineParity: a batch of many chunks (an odd chunk size, so
// the last one is partial) scored through the pipelined path (two queues)
// gives the CPU evaluator's margins leaf for leaf (float32 sums bit-equal),
// and exactly the predictions of the one-queue path, call after call on the
// same device buffers, and for a smaller batch after a larger one.
func TestOpenCLPipelineParity(t *testing.T) {
	const chunk = 97
	pipelined := openQueues(t, 2, chunk)
	serial := openQueues(t, 1, chunk)
	require.True(t, pipelined.Pipelined())
	require.False(t, serial.Pipelined())
	ctx := context.Background()
	cases := []struct {
		model, input string
		rows         int
	}{
		{"testdata/models/xgboost_bike_cnt_regression/model.json", "testdata/models/xgboost_bike_cnt_regression/input.csv", 60*chunk + 13},
		{"testdata/models/xgboost_bike_multiclass/model.json", "testdata/models/xgboost_bike_multiclass/input.csv", 40*chunk + 5},
		{"testdata/models/xgboost_bike_categorical/model.json", "testdata/models/xgboost_bike_categorical/input.csv", 40*chunk + 96},
		{"engine/model/testdata/dart_poisson/model.ubj", "engine/model/testdata/dart_poisson/input.csv", 30*chunk + 1},
	}
	for _, tc := range cases {
		t.Run(tc.model, func(t *testing.T) {
			m, src := loadParity(t, tc.model, tc.input, true)
			for _, rows := range []int{tc.rows, tc.rows / 3} { // a smaller batch after a larger one
				b := replicate(src, rows)
				cpu := make([]float64, b.Rows*m.NumOutputs())
				require.NoError(t, engine.CPU{}.Score(ctx, m, b, cpu))
				for call := 0; call < 2; call++ {
					margins, err := pipelined.Margins(m, b)
					require.NoError(t, err)
					require.Len(t, margins, len(cpu))
					for i := range cpu {
						require.Equal(t, math.Float32bits(float32(cpu[i])), math.Float32bits(margins[i]),
							"call %d, row %d (chunk %d): cpu %v, pipelined %v", call, i/m.NumOutputs(), i/m.NumOutputs()/chunk, cpu[i], margins[i])
					}
				}
			}

			mt, srct := loadParity(t, tc.model, tc.input, false)
			b := replicate(srct, tc.rows)
			want := make([]float64, b.Rows*mt.NumOutputs())
			require.NoError(t, serial.Score(ctx, mt, b, want))
			cpu := make([]float64, len(want))
			require.NoError(t, engine.CPU{}.Score(ctx, mt, b, cpu))
			got := make([]float64, len(want))
			for call := 0; call < 2; call++ {
				clear(got)
				require.NoError(t, pipelined.Score(ctx, mt, b, got))
				for i := range want {
					require.Equal(t, math.Float64bits(want[i]), math.Float64bits(got[i]), "call %d, row %d: one queue %v, pipelined %v", call, i/mt.NumOutputs(), want[i], got[i])
					require.LessOrEqual(t, math.Abs(got[i]-cpu[i]), 1e-6*math.Abs(cpu[i]), "row %d", i/mt.NumOutputs())
				}
			}
		})
	}
}

// TestOpenCLDeviceErrorMidBatch: a kernel launch that fails in the middle
// of a batch (CL_OUT_OF_RESOURCES on its 5th chunk, with the chunks before
// it still in flight on both queues) fails that batch only: Fallback scores
// it on the CPU and counts it (the collector's mle_engine_fallbacks_total),
// and the next batch runs on the device again with the results it gave
// before the error.
func TestOpenCLDeviceErrorMidBatch(t *testing.T) {
	const chunk = 97
	o := openQueues(t, 2, chunk)
	m, src := loadParity(t, "testdata/models/xgboost_bike_binary_missing/model.json", "testdata/models/xgboost_bike_binary_missing/input.csv", false)
	b := replicate(src, 20*chunk+31)
	ctx := context.Background()
	counted := 0
	fb := &Fallback{Primary: o, Secondary: engine.CPU{}, Name: BackendOpenCL, OnFallback: func() { counted++ }}

	cpu := make([]float64, b.Rows*m.NumOutputs())
	require.NoError(t, engine.CPU{}.Score(ctx, m, b, cpu))
	before := make([]float64, len(cpu))
	require.NoError(t, fb.Score(ctx, m, b, before))
	require.Zero(t, counted)

	launches := 0
	o.dev.launchFault = func() clInt {
		if launches++; launches == 5 {
			return -5 // CL_OUT_OF_RESOURCES
		}
		return clSuccess
	}
	err := o.Score(ctx, m, b, make([]float64, len(cpu)))
	require.ErrorContains(t, err, "clEnqueueNDRangeKernel failed with status -5")
	launches = 0
	during := make([]float64, len(cpu))
	require.NoError(t, fb.Score(ctx, m, b, during), "the fallback scores the failed batch")
	require.Equal(t, 1, counted)
	require.Equal(t, cpu, during, "the CPU scored the batch the device failed")

	o.dev.launchFault = nil
	after := make([]float64, len(cpu))
	require.NoError(t, fb.Score(ctx, m, b, after))
	require.Equal(t, 1, counted, "the device runs again after the error")
	require.Equal(t, before, after)
	for i := range cpu {
		require.LessOrEqual(t, math.Abs(after[i]-cpu[i]), 1e-6*math.Abs(cpu[i]), "row %d", i)
	}
}
