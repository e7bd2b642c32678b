package explain

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/dataset"
)

// benchRows is how many rows BenchmarkExplainBike explains per iteration:
// the bike oracle's 2000 input rows replicated.
const benchRows = 2000

// BenchmarkExplainBike measures TreeSHAP throughput on the bike XGBoost
// model (200 trees) against XGBoost 1.7's own pred_contribs (Debian
// python3-xgboost, run via /usr/bin/python3, timed inside Python around
// predict) on the same rows, the baseline run right before the Go half for
// each thread count. Each sub-benchmark reports rows/s, xgboost_rows/s and
// their ratio; the single-thread one also compares rows per second of
// thread CPU time (cpu_rows/s), which stays meaningful when other processes
// load the machine.
func BenchmarkExplainBike(b *testing.B) {
	f := loadFile(b, repoModel("xgboost_bike_cnt_regression", "model.json"))
	batch := readInput(b, repoModel("xgboost_bike_cnt_regression", "input.csv"), f, math.NaN(), dataset.FormatCSV, -1, 0)
	batch = replicate(batch, benchRows)
	all := runtime.GOMAXPROCS(0)
	baselines := make(map[int]map[string]float64)
	for _, workers := range []int{1, all} {
		b.Run("threads="+strconv.Itoa(workers), func(b *testing.B) {
			baseline, ok := baselines[workers]
			if !ok {
				baseline = xgboostContribsBaseline(b, workers)
				baselines[workers] = baseline
			}
			out := make([]float64, batch.Rows*f.Width())
			e := NewExplainer(f)
			e.Workers = workers
			ctx := context.Background()
			if workers == 1 {
				// One worker explains on the calling goroutine; pin it so
				// the thread's CPU time is the explaining's CPU time.
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			b.ReportAllocs()
			cpu0, cpuOK := threadCPUTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := e.Explain(ctx, batch, out); err != nil {
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
			xgb := baseline["contribs_nthread_"+strconv.Itoa(workers)]
			b.ReportMetric(xgb, "xgboost_rows/s")
			b.ReportMetric(rowsPerSec/xgb, "x_vs_xgboost")
			if workers == 1 && cpuOK && cpu1 > cpu0 {
				cpuRate := float64(batch.Rows) * float64(b.N) / (cpu1 - cpu0).Seconds()
				xgbCPU := baseline["contribs_thread_cpu_nthread_1"]
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

// xgboostContribsBaseline runs testdata/xgboost_contribs_bench.py once and
// returns its rows/s figures, or nil (with a logged reason) when
// python3-xgboost is not installed.
func xgboostContribsBaseline(b *testing.B, threads ...int) map[string]float64 {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import xgboost").Run(); err != nil {
		b.Logf("skipping the XGBoost baseline: %s cannot import xgboost (apt-get install python3-xgboost): %v", python, err)
		return nil
	}
	args := []string{filepath.Join("testdata", "xgboost_contribs_bench.py"), repoModel("xgboost_bike_cnt_regression", "model.json"),
		repoModel("xgboost_bike_cnt_regression", "input.csv"), strconv.Itoa(benchRows)}
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
