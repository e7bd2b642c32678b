package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
)

// benchRows is how many rows BenchmarkScoreBike scores per iteration: the
// bike oracle's 2000 input rows replicated.
const benchRows = 100_000

// BenchmarkScoreBike measures CPU scoring throughput of the bike XGBoost
// model against XGBoost 1.7's own predictor (Debian python3-xgboost, run via
// /usr/bin/python3, timed inside Python around predict) on the same rows.
// Each sub-benchmark reports rows/s, xgboost_rows/s (inplace_predict, the
// faster of XGBoost's two paths here) and their ratio; the single-thread one
// also compares rows per second of thread CPU time (cpu_rows/s), which stays
// meaningful when other processes load the machine.
func BenchmarkScoreBike(b *testing.B) {
	m, batch := loadBike(b)
	batch = replicate(batch, benchRows)
	all := runtime.GOMAXPROCS(0)
	// The baseline for each thread count runs right before the Go half for
	// the same count (once, though b.Run calls the body for several b.N),
	// so both see the machine in the same state.
	baselines := make(map[int]map[string]float64)

	for _, workers := range []int{1, all} {
		b.Run("threads="+strconv.Itoa(workers), func(b *testing.B) {
			baseline, ok := baselines[workers]
			if !ok {
				baseline = xgboostBaseline(b, workers)
				baselines[workers] = baseline
			}
			out := make([]float64, batch.Rows*m.NumOutputs())
			backend := engine.CPU{Workers: workers}
			ctx := context.Background()
			if workers == 1 {
				// One worker scores on the calling goroutine; pin it so the
				// thread's CPU time is the scoring's CPU time.
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			b.ReportAllocs()
			cpu0, cpuOK := threadCPUTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := backend.Score(ctx, m, batch, out); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cpu1, _ := threadCPUTime()
			rowsPerSec := float64(batch.Rows) * float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rowsPerSec, "rows/s")
			b.ReportMetric(0, "ns/op")
			if baseline == nil {
				return
			}
			xgb := baseline["inplace_nthread_"+strconv.Itoa(workers)]
			b.ReportMetric(xgb, "xgboost_rows/s")
			b.ReportMetric(baseline["dmatrix_nthread_"+strconv.Itoa(workers)], "xgboost_dmatrix_rows/s")
			b.ReportMetric(rowsPerSec/xgb, "x_vs_xgboost")
			if workers == 1 && cpuOK && cpu1 > cpu0 {
				// The same comparison in thread CPU time, which other
				// processes on a shared machine do not distort.
				cpuRate := float64(batch.Rows) * float64(b.N) / (cpu1 - cpu0).Seconds()
				xgbCPU := baseline["inplace_thread_cpu_nthread_1"]
				b.ReportMetric(cpuRate, "cpu_rows/s")
				b.ReportMetric(xgbCPU, "xgboost_cpu_rows/s")
				b.ReportMetric(cpuRate/xgbCPU, "x_vs_xgboost_cpu")
			}
		})
	}
}

func replicate(src engine.Batch, rows int) engine.Batch {
	dst := engine.NewBatch(rows, src.Cols)
	for off := 0; off < len(dst.Values); off += len(src.Values) {
		copy(dst.Values[off:], src.Values)
	}
	return dst
}

// xgboostBaseline runs testdata/xgboost_predict_bench.py once and returns
// its rows/s figures, or nil (with a logged reason) when python3-xgboost is
// not installed.
func xgboostBaseline(b *testing.B, threads ...int) map[string]float64 {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import xgboost").Run(); err != nil {
		b.Logf("skipping the XGBoost baseline: %s cannot import xgboost (apt-get install python3-xgboost): %v", python, err)
		return nil
	}
	args := []string{filepath.Join("testdata", "xgboost_predict_bench.py"), bikeFile("model.json"), bikeFile("input.csv"), strconv.Itoa(benchRows)}
	for _, n := range threads {
		args = append(args, strconv.Itoa(n))
	}
	var stderr bytes.Buffer
	cmd := exec.Command(python, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(b, err, "xgboost baseline: %s", stderr.String())
	var res map[string]any
	require.NoError(b, json.Unmarshal(out, &res))
	nums := make(map[string]float64)
	for k, v := range res {
		if f, ok := v.(float64); ok {
			nums[k] = f
		}
	}
	b.Logf("xgboost baseline: %s", bytes.TrimSpace(out))
	return nums
}

func bikeFile(name string) string {
	return filepath.Join("..", "testdata", "models", "xgboost_bike_cnt_regression", name)
}
