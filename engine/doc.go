// Package engine owns batch scoring of tree-ensemble models: the Model and
// Backend interfaces, the Batch layout both sides agree on, and the default
// CPU backend. Loading model files lives in engine/model, reading input rows
// in engine/dataset; this package depends on neither.
//
// # Batch layout
//
// A Batch is a dense, row-major matrix of float64 feature values:
//
//	value of feature j in row i = Values[i*Cols + j],  len(Values) == Rows*Cols
//
// Cols equals the model's NumFeatures. A missing value is NaN; sparse inputs
// (libsvm) are densified by the reader, filling absent entries with the value
// the model family treats as "absent" (NaN for XGBoost, 0 for LightGBM).
// Row-major float64 was chosen because it is what the readers produce without
// a copy, a contiguous row range is a zero-copy sub-batch (Batch.Slice),
// and it can be handed to an accelerator in one transfer. XGBoost models
// compare features as float32, exactly like XGBoost does: they narrow each
// row block into a per-worker float32 scratch buffer; a GPU backend can do
// the same narrowing once per batch (Batch.AppendFloat32) and upload a
// row-major float32 matrix with the same strides.
//
// Predictions are row-major too: NumOutputs values per row,
// out[i*NumOutputs + k], float64.
//
// # Backends
//
// DefaultBackend is CPU. A GPU backend implements the same Backend interface
// and takes the same Batch: Values is one contiguous row-major block, so a
// single host-to-device copy (float64, or float32 after AppendFloat32) and
// one output copy of Rows*NumOutputs values per batch suffice.
//
// # Concurrency and memory
//
// Model.PredictBatch must be safe for concurrent calls on disjoint output
// ranges and must not allocate per row; per-call scratch (a few KiB) is
// allowed. The CPU backend splits a batch into contiguous row ranges and runs
// one worker goroutine per range, so a model never sees shared mutable state.
package engine
