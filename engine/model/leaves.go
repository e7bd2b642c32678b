package model

import (
	"fmt"

	"github.com/dmitryikh/leaves"
	"github.com/dmitryikh/leaves/transformation"

	"github.com/mlectl/mlectl/engine"
)

// Leaves adapts a github.com/dmitryikh/leaves ensemble (LightGBM text or
// JSON, legacy XGBoost binary) to engine.Model. It scores the raw ensemble
// and applies the output transformation itself from a per-call buffer,
// because leaves allocates per row when it transforms.
type Leaves struct {
	raw       *leaves.Ensemble
	transform transformation.Transform // nil: raw margins out
	absent    float64
	name      string
}

func newLeaves(e *leaves.Ensemble, raw bool, absent float64) *Leaves {
	l := &Leaves{raw: e.EnsembleWithRawPredictions(), absent: absent, name: e.Name()}
	if !raw && e.Transformation().Type() != transformation.Raw {
		l.transform = e.Transformation()
	}
	return l
}

// NumFeatures implements engine.Model.
func (l *Leaves) NumFeatures() int { return l.raw.NFeatures() }

// NumOutputs implements engine.Model.
func (l *Leaves) NumOutputs() int {
	if l.transform != nil {
		return l.transform.NOutputGroups()
	}
	return l.raw.NRawOutputGroups()
}

// Name is leaves' name for the ensemble type, e.g. "lightgbm.gbdt".
func (l *Leaves) Name() string { return l.name }

// NumTrees is the number of boosting iterations (trees per output group).
func (l *Leaves) NumTrees() int { return l.raw.NEstimators() }

// AbsentValue is what a sparse input's absent entries mean to the model
// family: 0 for LightGBM, missing (NaN) for XGBoost.
func (l *Leaves) AbsentValue() float64 { return l.absent }

// PredictBatch implements engine.Model.
func (l *Leaves) PredictBatch(b engine.Batch, out []float64) error {
	nf, nOut, nRaw := l.NumFeatures(), l.NumOutputs(), l.raw.NRawOutputGroups()
	if b.Cols != nf {
		return fmt.Errorf("input has %d feature columns, the model expects %d", b.Cols, nf)
	}
	if len(out) != b.Rows*nOut || len(b.Values) != b.Rows*b.Cols {
		return fmt.Errorf("batch of %d rows does not match %d values and %d outputs", b.Rows, len(b.Values), len(out))
	}
	if l.transform == nil {
		for r := 0; r < b.Rows; r++ {
			if err := l.raw.Predict(b.Row(r), 0, out[r*nOut:(r+1)*nOut]); err != nil {
				return fmt.Errorf("row %d: %w", r, err)
			}
		}
		return nil
	}
	margins := make([]float64, nRaw)
	for r := 0; r < b.Rows; r++ {
		if err := l.raw.Predict(b.Row(r), 0, margins); err != nil {
			return fmt.Errorf("row %d: %w", r, err)
		}
		if err := l.transform.Transform(margins, out, r*nOut); err != nil {
			return fmt.Errorf("row %d: %w", r, err)
		}
	}
	return nil
}
