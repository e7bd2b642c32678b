package gpu

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine/dataset"
	"github.com/mlectl/mlectl/engine/explain"
	"github.com/mlectl/mlectl/engine/internal/enginebench"
)

// BenchmarkExplainBackends measures TreeSHAP contributions (rows/s) on the
// CPU (engine/explain, every core) and the OpenCL kernel side by side, with
// XGBoost 1.7.4's pred_contribs (same rows, same thread count, run right
// before each row count) as the baseline: the bike model (200 trees) at
// 10k and 100k rows (1M with ENGINE_BENCH_EXPLAIN_1M=1) and the large
// model (1,000 trees of depth 8, testdata/large_model.py) at 1k rows (10k
// with ENGINE_BENCH_EXPLAIN_LARGE=1, 100k and 1M with
// ENGINE_BENCH_EXPLAIN_LARGE=all: TreeSHAP on it runs at tens of rows per
// second on two cores; =none leaves it out). ENGINE_BENCH_EXPLAIN_ROWS=10000,100000 replaces
// the bike model's row counts. Rows are each model's 2,000 input rows
// replicated. Under POCL the OpenCL device is this machine's CPU, so the
// opencl rows measure the kernel, not a GPU; on a CUDA GPU a cuda row is
// added.
func BenchmarkExplainBackends(b *testing.B) {
	o := openTestDevice(b)
	ox := NewOpenCLExplainer(o, ExplainOptions{})
	defer ox.Close()
	b.Logf("OpenCL device: %s (GPU: %v, %s)", o.Device(), o.IsGPU(), ox.Precision())
	backends := []struct {
		name string
		e    Explainer
	}{{"cpu", CPUExplainer{}}, {"opencl", ox}}
	if c, err := OpenCUDA(0); err != nil {
		b.Logf("no cuda rows: %v", err)
	} else {
		defer c.Close()
		cx, err := NewCUDAExplainer(c)
		require.NoError(b, err)
		defer cx.Close()
		b.Logf("CUDA device: %s", c.Device())
		backends = append(backends, struct {
			name string
			e    Explainer
		}{"cuda", cx})
	}

	bikeRows := []int{10_000, 100_000}
	if os.Getenv("ENGINE_BENCH_EXPLAIN_1M") != "" {
		bikeRows = append(bikeRows, 1_000_000)
	}
	if s := os.Getenv("ENGINE_BENCH_EXPLAIN_ROWS"); s != "" {
		bikeRows = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			require.NoError(b, err, "ENGINE_BENCH_EXPLAIN_ROWS")
			bikeRows = append(bikeRows, n)
		}
	}
	cases := []struct {
		name, dir string
		rows      []int
	}{{"bike", repoPath("testdata/models/xgboost_bike_cnt_regression"), bikeRows}}
	largeRows := []int{1_000}
	switch os.Getenv("ENGINE_BENCH_EXPLAIN_LARGE") {
	case "":
	case "none":
		largeRows = nil
	case "all":
		largeRows = []int{10_000, 100_000, 1_000_000}
	default:
		largeRows = []int{10_000}
	}
	if len(largeRows) == 0 {
		b.Log("the large model is left out (ENGINE_BENCH_EXPLAIN_LARGE=none)")
	} else if dir := largeModel(b); dir != "" {
		cases = append(cases, struct {
			name, dir string
			rows      []int
		}{"large-1000x8", dir, largeRows})
	}

	ctx := context.Background()
	threads := runtime.GOMAXPROCS(0)
	for _, c := range cases {
		modelPath, inputPath := filepath.Join(c.dir, "model.json"), filepath.Join(c.dir, "input.csv")
		data, err := os.ReadFile(modelPath)
		require.NoError(b, err)
		f, err := explain.Load(data, "")
		require.NoError(b, err)
		in, err := os.Open(inputPath)
		require.NoError(b, err)
		src, err := dataset.Read(in, dataset.Options{Format: dataset.FormatCSV, NumFeatures: f.NumFeatures(), LabelColumn: -1, Absent: math.NaN()})
		in.Close()
		require.NoError(b, err)
		for _, rows := range c.rows {
			if rows >= 100_000 {
				b.Setenv("XGB_BENCH_REPEATS", "1")
			}
			baseline := enginebench.XGBoostBaseline(b, filepath.Join("..", "explain", "testdata", "xgboost_contribs_bench.py"),
				[]string{modelPath, inputPath, strconv.Itoa(rows)}, threads)
			batch := enginebench.Replicate(src, rows)
			out := make([]float64, rows*f.Width())
			for _, be := range backends {
				b.Run(c.name+"/rows="+strconv.Itoa(rows)+"/backend="+be.name, func(b *testing.B) {
					// Warm-up: program build and model upload.
					require.NoError(b, be.e.Explain(ctx, f, batch.Slice(0, 1), out[:f.Width()]))
					enginebench.Measure(b, rows, threads, baseline, "contribs", func() error {
						return be.e.Explain(ctx, f, batch, out)
					})
				})
			}
		}
	}
}
