package engine_test

import (
	"context"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/internal/enginebench"
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
	batch = enginebench.Replicate(batch, benchRows)
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
			enginebench.Measure(b, batch.Rows, workers, baseline, "inplace", func() error {
				return backend.Score(ctx, m, batch, out)
			})
			if baseline != nil {
				b.ReportMetric(baseline["dmatrix_nthread_"+strconv.Itoa(workers)], "xgboost_dmatrix_rows/s")
			}
		})
	}
}

// xgboostBaseline runs testdata/xgboost_predict_bench.py once and returns
// its rows/s figures, or nil (with a logged reason) when python3-xgboost is
// not installed.
func xgboostBaseline(b *testing.B, threads ...int) map[string]float64 {
	return enginebench.XGBoostBaseline(b, filepath.Join("testdata", "xgboost_predict_bench.py"),
		[]string{bikeFile("model.json"), bikeFile("input.csv"), strconv.Itoa(benchRows)}, threads...)
}

func bikeFile(name string) string {
	return filepath.Join("..", "testdata", "models", "xgboost_bike_cnt_regression", name)
}
