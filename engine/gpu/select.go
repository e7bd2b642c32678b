package gpu

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/model"
)

// Backend names a user can choose.
const (
	BackendAuto   = "auto"
	BackendCPU    = "cpu"
	BackendOpenCL = "opencl"
	BackendCUDA   = "cuda"
)

// Selection is the backend chosen for a model and why.
type Selection struct {
	Backend engine.Backend
	// Name is "cpu" or "opencl".
	Name string
	// Reason says which device runs and, for auto, why it was picked.
	Reason string
	// close releases the device, if one was opened.
	close func() error
}

// Close releases the device a selection opened.
func (s Selection) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}

// Select picks the backend for m. "cpu" is the CPU backend; "opencl" opens
// an OpenCL device (a GPU, or with allowCPU any device such as POCL) and
// fails if there is none or m is not an XGBoost model; "auto" (or "") takes
// an OpenCL GPU when there is one and m can run on it, else the CPU, and
// says why; "cuda" is not implemented yet. OpenCL selections fall back to
// the CPU for a batch whose device run fails (see Fallback).
func Select(name string, m engine.Model, allowCPU bool) (Selection, error) {
	cpu := Selection{Backend: engine.CPU{}, Name: BackendCPU, Reason: "cpu"}
	_, isXGB := m.(*model.XGBoostJSON)
	switch name {
	case BackendCPU:
		return cpu, nil
	case BackendCUDA:
		return Selection{}, errors.New("the cuda backend is not implemented yet (use opencl, which also runs on NVIDIA GPUs, or cpu)")
	case BackendOpenCL, BackendAuto, "":
	default:
		return Selection{}, fmt.Errorf("unknown backend %q (want auto, cpu, opencl or cuda)", name)
	}
	explicit := name == BackendOpenCL
	if !isXGB {
		if explicit {
			return Selection{}, fmt.Errorf("the opencl backend scores XGBoost models only, not %T (use cpu)", m)
		}
		cpu.Reason = "cpu (auto: only XGBoost models run on OpenCL)"
		return cpu, nil
	}
	o, err := OpenOpenCL(Options{AllowCPU: allowCPU && explicit})
	if err != nil {
		if explicit {
			return Selection{}, err
		}
		cpu.Reason = fmt.Sprintf("cpu (auto: no OpenCL GPU: %v)", err)
		return cpu, nil
	}
	return Selection{
		Backend: &Fallback{Primary: o, Secondary: engine.CPU{}},
		Name:    BackendOpenCL,
		Reason:  "opencl on " + o.Device(),
		close:   o.Close,
	}, nil
}

// Fallback scores on Primary and, when Primary fails on a batch (a device
// error), scores that batch on Secondary and counts it. Cancellation is
// not retried.
type Fallback struct {
	Primary, Secondary engine.Backend
	fallbacks          atomic.Int64
}

// Fallbacks is how many batches Secondary scored after Primary failed.
func (f *Fallback) Fallbacks() int64 { return f.fallbacks.Load() }

// Score implements engine.Backend.
func (f *Fallback) Score(ctx context.Context, m engine.Model, b engine.Batch, out []float64) error {
	err := f.Primary.Score(ctx, m, b, out)
	if err == nil || ctx.Err() != nil {
		return err
	}
	f.fallbacks.Add(1)
	if err2 := f.Secondary.Score(ctx, m, b, out); err2 != nil {
		return fmt.Errorf("%w (and on the fallback backend: %v)", err, err2)
	}
	return nil
}
