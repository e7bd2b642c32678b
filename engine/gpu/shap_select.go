package gpu

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/explain"
)

// Explainer computes TreeSHAP contributions for a forest: engine/explain's
// output layout (per group the features then the bias), f.Width() values
// per row.
type Explainer interface {
	Explain(ctx context.Context, f *explain.Forest, b engine.Batch, out []float64) error
}

// CPUExplainer is engine/explain's TreeSHAP on the CPU's cores.
type CPUExplainer struct {
	// Workers caps the goroutines; <= 0 means GOMAXPROCS.
	Workers int
}

// Explain implements Explainer.
func (c CPUExplainer) Explain(ctx context.Context, f *explain.Forest, b engine.Batch, out []float64) error {
	e := explain.NewExplainer(f)
	e.Workers = c.Workers
	return e.Explain(ctx, b, out)
}

// ExplainFallback explains on Primary and, when Primary fails on a batch (a
// device error, a model too deep for the kernel), explains that batch on
// Secondary and counts it, as Fallback does for scoring. Cancellation is
// not retried.
type ExplainFallback struct {
	Primary, Secondary Explainer
	// Name is Primary's backend name ("opencl", "cuda").
	Name string
	// OnFallback, when set, is called once per batch Secondary explained
	// (mle_engine_fallbacks_total{backend}).
	OnFallback func()
	// LastError is Primary's error on the latest batch that fell back.
	lastErr   atomic.Pointer[error]
	fallbacks atomic.Int64
}

// Fallbacks is how many batches Secondary explained after Primary failed.
func (f *ExplainFallback) Fallbacks() int64 { return f.fallbacks.Load() }

// LastError is Primary's error on the latest batch that fell back, or nil.
func (f *ExplainFallback) LastError() error {
	if p := f.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Explain implements Explainer.
func (f *ExplainFallback) Explain(ctx context.Context, fo *explain.Forest, b engine.Batch, out []float64) error {
	err := f.Primary.Explain(ctx, fo, b, out)
	if err == nil || ctx.Err() != nil {
		return err
	}
	f.lastErr.Store(&err)
	f.fallbacks.Add(1)
	if f.OnFallback != nil {
		f.OnFallback()
	}
	if err2 := f.Secondary.Explain(ctx, fo, b, out); err2 != nil {
		return fmt.Errorf("%w (and on the fallback backend: %v)", err, err2)
	}
	return nil
}

// ExplainSelection is the explainer chosen and why.
type ExplainSelection struct {
	Explainer Explainer
	// Name is "cpu", "opencl" or "cuda".
	Name string
	// Reason names the device and precision and, for auto, why.
	Reason string
	close  func() error
}

// Close releases the device the selection opened.
func (s ExplainSelection) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}

// ExplainSelectOptions tune SelectExplainer.
type ExplainSelectOptions struct {
	// AllowCPU lets an explicit "opencl" take a CPU device (POCL) when
	// there is no GPU; "auto" only ever takes GPUs.
	AllowCPU bool
	// Workers is the CPU explainer's goroutines (<= 0: GOMAXPROCS).
	Workers int
	// OnFallback is called with the backend's name for every batch a
	// device failed on and the CPU explained.
	OnFallback func(backend string)
}

// SelectExplainer picks where f's contributions are computed, as Select
// does for scoring: "cpu"; "cuda" (the first CUDA GPU) or "opencl" (an
// OpenCL GPU, or with AllowCPU any device such as POCL), each failing with
// the reason if there is no such device or it cannot take f (deeper than
// the kernel's bound; LightGBM on a device without double): the model is
// uploaded here; "auto" (or "") a CUDA GPU, else an OpenCL GPU, else the CPU,
// saying why. Device selections explain a batch the device fails on with
// the CPU and count it. Close the selection to release its device.
func SelectExplainer(name string, f *explain.Forest, opts ExplainSelectOptions) (ExplainSelection, error) {
	cpu := ExplainSelection{Explainer: CPUExplainer{Workers: opts.Workers}, Name: BackendCPU, Reason: "cpu"}
	wrap := func(primary Explainer, backend string) *ExplainFallback {
		fb := &ExplainFallback{Primary: primary, Secondary: CPUExplainer{Workers: opts.Workers}, Name: backend}
		if opts.OnFallback != nil {
			fb.OnFallback = func() { opts.OnFallback(backend) }
		}
		return fb
	}
	openCUDA := func() (ExplainSelection, error) {
		c, err := OpenCUDA(0)
		if err != nil {
			return ExplainSelection{}, err
		}
		e, err := NewCUDAExplainer(c)
		if err == nil {
			if err = e.Prepare(f); err != nil {
				e.Close()
			}
		}
		if err != nil {
			c.Close()
			return ExplainSelection{}, err
		}
		return ExplainSelection{Explainer: wrap(e, BackendCUDA), Name: BackendCUDA,
			Reason: fmt.Sprintf("cuda on %s (double; UNTESTED kernel, checked against the cpu on the first rows)", c.Device()),
			close:  func() error { return errors.Join(e.Close(), c.Close()) }}, nil
	}
	openCL := func(anyDevice bool) (ExplainSelection, error) {
		o, err := OpenOpenCL(Options{AllowCPU: anyDevice})
		if err != nil {
			return ExplainSelection{}, err
		}
		e := NewOpenCLExplainer(o, ExplainOptions{})
		if err := e.Prepare(f); err != nil {
			e.Close()
			o.Close()
			return ExplainSelection{}, fmt.Errorf("opencl on %s: %w", o.Device(), err)
		}
		return ExplainSelection{Explainer: wrap(e, BackendOpenCL), Name: BackendOpenCL,
			Reason: fmt.Sprintf("opencl on %s (%s)", o.Device(), e.Precision()),
			close:  func() error { return errors.Join(e.Close(), o.Close()) }}, nil
	}
	var depthErr error
	if _, err := depthBound(f.MaxDepth()); err != nil {
		depthErr = err
	}
	switch name {
	case BackendCPU:
		return cpu, nil
	case BackendCUDA, BackendOpenCL:
		if depthErr != nil {
			return ExplainSelection{}, depthErr
		}
		if name == BackendCUDA {
			return openCUDA()
		}
		return openCL(opts.AllowCPU)
	case BackendAuto, "":
	default:
		return ExplainSelection{}, ParseBackend(name)
	}
	if depthErr != nil {
		cpu.Reason = fmt.Sprintf("cpu (auto: %v)", depthErr)
		return cpu, nil
	}
	s, cudaErr := openCUDA()
	if cudaErr == nil {
		s.Reason += " (auto: a CUDA GPU)"
		return s, nil
	}
	s, err := openCL(false)
	if err == nil {
		s.Reason += fmt.Sprintf(" (auto: no usable CUDA GPU: %v)", cudaErr)
		return s, nil
	}
	cpu.Reason = fmt.Sprintf("cpu (auto: no usable CUDA GPU: %v; no usable OpenCL GPU: %v)", cudaErr, err)
	return cpu, nil
}
