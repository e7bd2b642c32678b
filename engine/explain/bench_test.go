package explain

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/mlectl/mlectl/engine/dataset"
	"github.com/mlectl/mlectl/engine/internal/enginebench"
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
	batch = enginebench.Replicate(batch, benchRows)
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
			enginebench.Measure(b, batch.Rows, workers, baseline, "contribs", func() error {
				return e.Explain(ctx, batch, out)
			})
		})
	}
}

// BenchmarkExplainRows measures contributions at 10k and 100k rows (1M with
// ENGINE_BENCH_EXPLAIN_1M=1: about a quarter of an hour per side on two
// cores) of the bike model's 2,000 input rows replicated, on every core,
// each row count beside XGBoost 1.7.4's pred_contribs on the same rows and
// thread count, run right before it (from 100k rows one timed XGBoost call
// instead of the best of three). Only the CPU backend has a TreeSHAP
// implementation: there is no opencl or cuda row.
func BenchmarkExplainRows(b *testing.B) {
	f := loadFile(b, repoModel("xgboost_bike_cnt_regression", "model.json"))
	src := readInput(b, repoModel("xgboost_bike_cnt_regression", "input.csv"), f, math.NaN(), dataset.FormatCSV, -1, 0)
	threads := runtime.GOMAXPROCS(0)
	ctx := context.Background()
	counts := []int{10_000, 100_000}
	if os.Getenv("ENGINE_BENCH_EXPLAIN_1M") != "" {
		counts = append(counts, 1_000_000)
	}
	baselines := make(map[int]map[string]float64)
	for _, rows := range counts {
		b.Run("rows="+strconv.Itoa(rows)+"/backend=cpu", func(b *testing.B) {
			baseline, ok := baselines[rows]
			if !ok {
				if rows >= 100_000 {
					b.Setenv("XGB_BENCH_REPEATS", "1")
				}
				baseline = enginebench.XGBoostBaseline(b, filepath.Join("testdata", "xgboost_contribs_bench.py"),
					[]string{repoModel("xgboost_bike_cnt_regression", "model.json"), repoModel("xgboost_bike_cnt_regression", "input.csv"), strconv.Itoa(rows)}, threads)
				baselines[rows] = baseline
			}
			batch := enginebench.Replicate(src, rows)
			out := make([]float64, batch.Rows*f.Width())
			e := NewExplainer(f)
			enginebench.Measure(b, batch.Rows, threads, baseline, "contribs", func() error {
				return e.Explain(ctx, batch, out)
			})
		})
	}
}

// xgboostContribsBaseline runs testdata/xgboost_contribs_bench.py once and
// returns its rows/s figures, or nil (with a logged reason) when
// python3-xgboost is not installed.
func xgboostContribsBaseline(b *testing.B, threads ...int) map[string]float64 {
	return enginebench.XGBoostBaseline(b, filepath.Join("testdata", "xgboost_contribs_bench.py"),
		[]string{repoModel("xgboost_bike_cnt_regression", "model.json"), repoModel("xgboost_bike_cnt_regression", "input.csv"), strconv.Itoa(benchRows)}, threads...)
}
