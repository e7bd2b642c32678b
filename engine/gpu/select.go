package gpu

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

// ParseBackend checks a backend name: auto, cpu, opencl or cuda ("" is
// auto).
func ParseBackend(name string) error {
	switch name {
	case "", BackendAuto, BackendCPU, BackendOpenCL, BackendCUDA:
		return nil
	}
	return fmt.Errorf("unknown backend %q (want auto, cpu, opencl or cuda)", name)
}

// Selection is the backend chosen for a model and why.
type Selection struct {
	Backend engine.Backend
	// Name is "cpu", "opencl" or "cuda".
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
// the CPU for a batch whose device run fails (see Fallback). Close the
// selection to release its device.
func Select(name string, m engine.Model, allowCPU bool) (Selection, error) {
	d := &Devices{AllowCPU: allowCPU}
	s, err := d.Select(name, m)
	if err != nil {
		_ = d.Close()
		return Selection{}, err
	}
	s.close = d.Close
	return s, nil
}

// Devices opens each accelerator at most once and shares it among every
// model selected through it (a process scoring many models opens the
// device once). The zero value is ready; Close releases what was opened.
type Devices struct {
	// AllowCPU lets an explicit "opencl" take a CPU device (POCL) when
	// there is no GPU; "auto" only ever takes GPUs.
	AllowCPU bool
	// OnFallback, when set, is called with the backend's name each time a
	// device fails on a batch and the CPU scores it instead.
	OnFallback func(backend string)

	mu     sync.Mutex
	opencl map[bool]*openResult // by "CPU devices allowed"
}

type openResult struct {
	o   *OpenCL
	err error
}

// openCL opens (once) the first OpenCL GPU or, with anyDevice, any device.
func (d *Devices) openCL(anyDevice bool) (*OpenCL, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.opencl == nil {
		d.opencl = map[bool]*openResult{}
	}
	r, ok := d.opencl[anyDevice]
	if !ok {
		o, err := OpenOpenCL(Options{AllowCPU: anyDevice})
		r = &openResult{o: o, err: err}
		d.opencl[anyDevice] = r
	}
	return r.o, r.err
}

// Probe opens the device name would use for an XGBoost model ("opencl" or
// "cuda"; nothing for cpu and auto) so that a missing device is reported
// at start-up rather than on the first model.
func (d *Devices) Probe(name string) error {
	switch name {
	case BackendOpenCL:
		_, err := d.openCL(d.AllowCPU)
		return err
	case BackendCUDA:
		return errCUDANotImplemented
	}
	return ParseBackend(name)
}

var errCUDANotImplemented = errors.New("the cuda backend is not implemented yet (use opencl, which also runs on NVIDIA GPUs, or cpu)")

// Select picks the backend for m as the package's Select does, on the
// devices d has opened. Closing the selection does not close the device.
func (d *Devices) Select(name string, m engine.Model) (Selection, error) {
	cpu := Selection{Backend: engine.CPU{}, Name: BackendCPU, Reason: "cpu"}
	_, isXGB := m.(*model.XGBoostJSON)
	switch name {
	case BackendCPU:
		return cpu, nil
	case BackendCUDA:
		return Selection{}, errCUDANotImplemented
	case BackendOpenCL, BackendAuto, "":
	default:
		return Selection{}, ParseBackend(name)
	}
	explicit := name == BackendOpenCL
	if !isXGB {
		if explicit {
			return Selection{}, fmt.Errorf("the opencl backend scores XGBoost models only, not %T (use cpu)", m)
		}
		cpu.Reason = "cpu (auto: only XGBoost models run on OpenCL)"
		return cpu, nil
	}
	o, err := d.openCL(d.AllowCPU && explicit)
	if err != nil {
		if explicit {
			return Selection{}, err
		}
		cpu.Reason = fmt.Sprintf("cpu (auto: no OpenCL GPU: %v)", err)
		return cpu, nil
	}
	return Selection{
		Backend: d.fallback(o, BackendOpenCL),
		Name:    BackendOpenCL,
		Reason:  "opencl on " + o.Device(),
	}, nil
}

// fallback wraps a device backend so that a failed batch is scored on the
// CPU and counted.
func (d *Devices) fallback(primary engine.Backend, name string) *Fallback {
	f := &Fallback{Primary: primary, Secondary: engine.CPU{}, Name: name}
	if d.OnFallback != nil {
		cb := d.OnFallback
		f.OnFallback = func() { cb(name) }
	}
	return f
}

// forget releases m's device memory on every opened device.
func (d *Devices) forget(m engine.Model) {
	x, ok := m.(*model.XGBoostJSON)
	if !ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.opencl {
		if r.o != nil {
			r.o.Forget(x)
		}
	}
}

// Close releases every device d opened.
func (d *Devices) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	for k, r := range d.opencl {
		if r.o != nil {
			errs = append(errs, r.o.Close())
		}
		delete(d.opencl, k)
	}
	return errors.Join(errs...)
}

// Fallback scores on Primary and, when Primary fails on a batch (a device
// error), scores that batch on Secondary and counts it. Cancellation is
// not retried.
type Fallback struct {
	Primary, Secondary engine.Backend
	// Name is Primary's backend name ("opencl", "cuda").
	Name string
	// OnFallback, when set, is called once per batch Secondary scored
	// (the collector's mle_engine_fallbacks_total).
	OnFallback func()
	fallbacks  atomic.Int64
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
	if f.OnFallback != nil {
		f.OnFallback()
	}
	if err2 := f.Secondary.Score(ctx, m, b, out); err2 != nil {
		return fmt.Errorf("%w (and on the fallback backend: %v)", err, err2)
	}
	return nil
}
