package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/dataset"
	"github.com/mlectl/mlectl/engine/internal/enginebench"
	"github.com/mlectl/mlectl/engine/model"
)

func loadBike(tb testing.TB) (engine.Model, engine.Batch) {
	tb.Helper()
	data, err := os.ReadFile(bikeFile("model.json"))
	require.NoError(tb, err)
	m, err := model.Load(data, model.FormatAuto, model.Options{})
	require.NoError(tb, err)
	f, err := os.Open(bikeFile("input.csv"))
	require.NoError(tb, err)
	defer f.Close()
	batch, err := dataset.Read(f, dataset.Options{Format: dataset.FormatCSV, NumFeatures: m.NumFeatures(), LabelColumn: -1})
	require.NoError(tb, err)
	require.Equal(tb, 2000, batch.Rows)
	return m, batch
}

// TestCPUWorkersAgree checks that splitting a batch over workers and chunks
// gives bit-identical predictions to one worker scoring it in one piece.
func TestCPUWorkersAgree(t *testing.T) {
	m, batch := loadBike(t)
	batch = enginebench.Replicate(batch, 5003) // not a multiple of any chunk or block size
	want := make([]float64, batch.Rows)
	require.NoError(t, m.PredictBatch(batch, want))
	for _, backend := range []engine.CPU{{}, {Workers: 1}, {Workers: 3, ChunkRows: 100}, {Workers: 8, ChunkRows: 1}} {
		got := make([]float64, batch.Rows)
		require.NoError(t, backend.Score(context.Background(), m, batch, got))
		require.Equal(t, want, got, "backend %+v", backend)
	}
	// Rows repeat every 2000, so must predictions.
	require.Equal(t, want[:1000], want[2000:3000])
}

func TestCPUErrors(t *testing.T) {
	m, batch := loadBike(t)
	cases := []struct {
		name    string
		ctx     func() context.Context
		batch   engine.Batch
		out     []float64
		wantErr string
	}{
		{"wrong feature count", context.Background, engine.NewBatch(4, 11), make([]float64, 4), "input has 11 feature columns, the model expects 12"},
		{"short output", context.Background, batch, make([]float64, 10), "output buffer holds 10 values"},
		{"inconsistent batch", context.Background, engine.Batch{Rows: 3, Cols: 12, Values: make([]float64, 12)}, make([]float64, 3), "holds 12 values, want 36"},
		{"cancelled", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, batch, make([]float64, batch.Rows), "scoring stopped"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := engine.CPU{Workers: 2}.Score(tc.ctx(), m, tc.batch, tc.out)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
	err := engine.CPU{}.Score(func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}(), m, batch, make([]float64, batch.Rows))
	require.True(t, errors.Is(err, context.Canceled))
}

func TestBatchViews(t *testing.T) {
	b := engine.Batch{Rows: 3, Cols: 2, Values: []float64{1, 2, 3, 4, 5, 6}}
	require.NoError(t, b.Validate())
	require.Equal(t, []float64{3, 4}, b.Row(1))
	s := b.Slice(1, 3)
	require.Equal(t, engine.Batch{Rows: 2, Cols: 2, Values: []float64{3, 4, 5, 6}}, s)
	s.Values[0] = 30 // a view, not a copy
	require.Equal(t, 30.0, b.Values[2])
	require.Equal(t, []float32{1, 2, 30, 4, 5, 6}, b.AppendFloat32(nil))
}

// TestNoPerRowAllocation checks that scoring allocates the same for 64 rows
// as for 1280: per-call scratch only, nothing per row.
func TestNoPerRowAllocation(t *testing.T) {
	bike, batch := loadBike(t)
	lgData, err := os.ReadFile(filepath.Join("..", "testdata", "models", "lightgbm_multiclass", "lgmulticlass.model"))
	require.NoError(t, err)
	lg, err := model.Load(lgData, model.FormatLightGBM, model.Options{})
	require.NoError(t, err)
	for _, m := range []engine.Model{bike, lg} {
		small := engine.NewBatch(64, m.NumFeatures())
		large := engine.NewBatch(1280, m.NumFeatures())
		if m == bike {
			small = batch.Slice(0, 64)
			large = enginebench.Replicate(batch, 1280)
		}
		out := make([]float64, large.Rows*m.NumOutputs())
		allocs := func(b engine.Batch) float64 {
			return testing.AllocsPerRun(2, func() {
				require.NoError(t, m.PredictBatch(b, out[:b.Rows*m.NumOutputs()]))
			})
		}
		require.Equal(t, allocs(small), allocs(large), "%T", m)
		require.LessOrEqual(t, allocs(large), 3.0, "%T", m)
	}
}
