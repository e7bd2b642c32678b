package enginebench

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
)

// Python is the interpreter that has Debian's python3-xgboost.
const Python = "/usr/bin/python3"

// Replicate repeats src's rows into a batch of rows rows.
func Replicate(src engine.Batch, rows int) engine.Batch {
	dst := engine.NewBatch(rows, src.Cols)
	for off := 0; off < len(dst.Values); off += len(src.Values) {
		copy(dst.Values[off:], src.Values)
	}
	return dst
}

// XGBoostBaseline runs the Python benchmark script with args and then one
// argument per thread count, and returns the numbers of the JSON object it
// prints, or nil (with a logged reason) when python3-xgboost is not
// installed.
func XGBoostBaseline(b *testing.B, script string, args []string, threads ...int) map[string]float64 {
	if err := exec.Command(Python, "-c", "import xgboost").Run(); err != nil {
		b.Logf("skipping the XGBoost baseline: %s cannot import xgboost (apt-get install python3-xgboost): %v", Python, err)
		return nil
	}
	args = append([]string{script}, args...)
	for _, n := range threads {
		args = append(args, strconv.Itoa(n))
	}
	var stderr bytes.Buffer
	cmd := exec.Command(Python, args...)
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

// Measure runs fn b.N times over a batch of rows rows and reports rows/s.
// With one worker, fn runs on the calling goroutine, so it is pinned to its
// OS thread and the thread's CPU time is fn's CPU time. When baseline is
// not nil it also reports baseline[prefix+"_nthread_<workers>"] and the
// ratio to it, and with one worker the same comparison in thread CPU time
// (against prefix+"_thread_cpu_nthread_1"), which other processes on a
// shared machine do not distort.
func Measure(b *testing.B, rows, workers int, baseline map[string]float64, prefix string, fn func() error) {
	if workers == 1 {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	b.ReportAllocs()
	cpu0, cpuOK := ThreadCPUTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := fn(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu1, _ := ThreadCPUTime()
	rowsPerSec := float64(rows) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rowsPerSec, "rows/s")
	b.ReportMetric(0, "ns/op")
	if baseline == nil {
		return
	}
	xgb := baseline[prefix+"_nthread_"+strconv.Itoa(workers)]
	b.ReportMetric(xgb, "xgboost_rows/s")
	b.ReportMetric(rowsPerSec/xgb, "x_vs_xgboost")
	if workers == 1 && cpuOK && cpu1 > cpu0 {
		cpuRate := float64(rows) * float64(b.N) / (cpu1 - cpu0).Seconds()
		xgbCPU := baseline[prefix+"_thread_cpu_nthread_1"]
		b.ReportMetric(cpuRate, "cpu_rows/s")
		b.ReportMetric(xgbCPU, "xgboost_cpu_rows/s")
		b.ReportMetric(cpuRate/xgbCPU, "x_vs_xgboost_cpu")
	}
}
