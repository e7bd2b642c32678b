package engine

import (
	"context"
	"fmt"
	"runtime"
	"sync"
)

// Batch is a dense row-major matrix of feature values; see the package
// documentation for the layout. A Batch does not own Values: sub-batches
// share it.
type Batch struct {
	Rows   int
	Cols   int
	Values []float64
}

// NewBatch allocates a zeroed batch of rows×cols values.
func NewBatch(rows, cols int) Batch {
	return Batch{Rows: rows, Cols: cols, Values: make([]float64, rows*cols)}
}

// Validate reports whether the batch's shape matches its backing slice.
func (b Batch) Validate() error {
	if b.Rows < 0 || b.Cols < 0 {
		return fmt.Errorf("batch shape %dx%d is negative", b.Rows, b.Cols)
	}
	if len(b.Values) != b.Rows*b.Cols {
		return fmt.Errorf("batch of %d rows x %d columns holds %d values, want %d", b.Rows, b.Cols, len(b.Values), b.Rows*b.Cols)
	}
	return nil
}

// Row returns the feature values of row i; it aliases the batch.
func (b Batch) Row(i int) []float64 {
	return b.Values[i*b.Cols : (i+1)*b.Cols : (i+1)*b.Cols]
}

// Slice returns rows [lo, hi) as a batch that shares the backing array.
func (b Batch) Slice(lo, hi int) Batch {
	return Batch{Rows: hi - lo, Cols: b.Cols, Values: b.Values[lo*b.Cols : hi*b.Cols]}
}

// AppendFloat32 appends the batch narrowed to float32, same layout, to dst.
// It exists for backends (GPU) that consume float32 matrices.
func (b Batch) AppendFloat32(dst []float32) []float32 {
	for _, v := range b.Values {
		dst = append(dst, float32(v))
	}
	return dst
}

// Model is a loaded tree ensemble.
type Model interface {
	// NumFeatures is the number of feature columns a batch must have.
	NumFeatures() int
	// NumOutputs is the number of values predicted per row.
	NumOutputs() int
	// PredictBatch writes NumOutputs values per row of b into out, row-major.
	// len(out) must be b.Rows*NumOutputs. Safe for concurrent calls with
	// disjoint outputs; no allocation per row.
	PredictBatch(b Batch, out []float64) error
}

// Backend scores batches through a model.
type Backend interface {
	// Score writes m's predictions for b into out (len b.Rows*m.NumOutputs()).
	Score(ctx context.Context, m Model, b Batch, out []float64) error
}

// DefaultBackend is the backend used when none is configured: CPU with one
// worker per core.
func DefaultBackend() Backend { return CPU{} }

// CPU scores on goroutines, one per worker, each over a contiguous row
// range. The zero value uses GOMAXPROCS workers.
type CPU struct {
	// Workers caps the number of goroutines; <= 0 means GOMAXPROCS.
	Workers int
	// ChunkRows is the number of rows a worker scores between context checks;
	// <= 0 means 4096.
	ChunkRows int
}

// minRowsPerWorker keeps tiny batches on one goroutine, where the spawn
// costs more than the scoring.
const minRowsPerWorker = 256

// Score implements Backend.
func (c CPU) Score(ctx context.Context, m Model, b Batch, out []float64) error {
	if err := checkShapes(m, b, out); err != nil {
		return err
	}
	workers := c.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if max := (b.Rows + minRowsPerWorker - 1) / minRowsPerWorker; workers > max {
		workers = max
	}
	chunk := c.ChunkRows
	if chunk <= 0 {
		chunk = 4096
	}
	nOut := m.NumOutputs()
	if workers <= 1 {
		return scoreRange(ctx, m, b, out, nOut, chunk)
	}
	per := (b.Rows + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo := w * per
		hi := min(lo+per, b.Rows)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			errs[w] = scoreRange(ctx, m, b.Slice(lo, hi), out[lo*nOut:hi*nOut], nOut, chunk)
		}(w, lo, hi)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func scoreRange(ctx context.Context, m Model, b Batch, out []float64, nOut, chunk int) error {
	for lo := 0; lo < b.Rows; lo += chunk {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("scoring stopped after %d rows: %w", lo, err)
		}
		hi := min(lo+chunk, b.Rows)
		if err := m.PredictBatch(b.Slice(lo, hi), out[lo*nOut:hi*nOut]); err != nil {
			return err
		}
	}
	return nil
}

func checkShapes(m Model, b Batch, out []float64) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if b.Cols != m.NumFeatures() {
		return fmt.Errorf("input has %d feature columns, the model expects %d", b.Cols, m.NumFeatures())
	}
	if len(out) != b.Rows*m.NumOutputs() {
		return fmt.Errorf("output buffer holds %d values, want %d rows x %d outputs", len(out), b.Rows, m.NumOutputs())
	}
	return nil
}
