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

// Select picks the backend for m. "cpu" is the CPU backend; "cuda" opens
// the first CUDA GPU (libcuda.so.1) and "opencl" an OpenCL device (a GPU,
// or with allowCPU any device such as POCL), each failing with the reason
// if there is none or it cannot score m: cuda scores XGBoost models only,
// opencl XGBoost models and LightGBM models, model.txt or JSON dump (on a
// device with cl_khr_fp64: double precision). "auto" (or "") takes a CUDA
// GPU, else an OpenCL GPU, else the CPU, and says why; a LightGBM model
// skips CUDA. Device
// selections fall back to the CPU for a batch whose device run fails (see
// Fallback). Close the
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
	cuda   *cudaResult
}

type openResult struct {
	o   *OpenCL
	err error
}

type cudaResult struct {
	c   *CUDA
	err error
}

// openCUDA opens (once) the first CUDA device.
func (d *Devices) openCUDA() (*CUDA, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cuda == nil {
		c, err := OpenCUDA(0)
		d.cuda = &cudaResult{c: c, err: err}
	}
	return d.cuda.c, d.cuda.err
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
		_, err := d.openCUDA()
		return err
	}
	return ParseBackend(name)
}

// Select picks the backend for m as the package's Select does, on the
// devices d has opened. Closing the selection does not close the device.
func (d *Devices) Select(name string, m engine.Model) (Selection, error) {
	cpu := Selection{Backend: engine.CPU{}, Name: BackendCPU, Reason: "cpu"}
	_, isXGB := m.(*model.XGBoostJSON)
	_, isLGB := m.(*model.LightGBM)
	switch name {
	case BackendCPU:
		return cpu, nil
	case BackendCUDA, BackendOpenCL:
		if !isXGB && !(isLGB && name == BackendOpenCL) {
			return Selection{}, fmt.Errorf("the %w", unsupportedModel(name, m))
		}
		if name == BackendCUDA {
			c, err := d.openCUDA()
			if err != nil {
				return Selection{}, err
			}
			return Selection{Backend: d.fallback(c, BackendCUDA), Name: BackendCUDA, Reason: "cuda on " + c.Device()}, nil
		}
		o, err := d.openCL(d.AllowCPU)
		if err != nil {
			return Selection{}, err
		}
		if isLGB {
			if err := o.LightGBMSupport(); err != nil {
				return Selection{}, err
			}
		}
		return Selection{Backend: d.fallback(o, BackendOpenCL), Name: BackendOpenCL, Reason: "opencl on " + o.Device()}, nil
	case BackendAuto, "":
	default:
		return Selection{}, ParseBackend(name)
	}
	// auto: cuda, then an OpenCL GPU, then the CPU, saying why.
	if isLGB {
		return d.autoLightGBM(cpu), nil
	}
	if !isXGB {
		cpu.Reason = fmt.Sprintf("cpu (auto: only XGBoost and LightGBM models run on a GPU, not %T)", m)
		return cpu, nil
	}
	c, cudaErr := d.openCUDA()
	if cudaErr == nil {
		return Selection{Backend: d.fallback(c, BackendCUDA), Name: BackendCUDA, Reason: "cuda on " + c.Device() + " (auto: a CUDA GPU)"}, nil
	}
	o, err := d.openCL(false)
	if err == nil {
		return Selection{Backend: d.fallback(o, BackendOpenCL), Name: BackendOpenCL,
			Reason: fmt.Sprintf("opencl on %s (auto: no CUDA: %v)", o.Device(), cudaErr)}, nil
	}
	cpu.Reason = fmt.Sprintf("cpu (auto: no CUDA: %v; no OpenCL GPU: %v)", cudaErr, err)
	return cpu, nil
}

// autoLightGBM is auto's choice for a LightGBM model: an OpenCL GPU with
// double precision, else the CPU, saying why (the CUDA kernel scores
// XGBoost models only).
func (d *Devices) autoLightGBM(cpu Selection) Selection {
	o, err := d.openCL(false)
	if err == nil {
		if err = o.LightGBMSupport(); err == nil {
			return Selection{Backend: d.fallback(o, BackendOpenCL), Name: BackendOpenCL,
				Reason: fmt.Sprintf("opencl on %s (auto: LightGBM runs on OpenCL, not CUDA)", o.Device())}
		}
		cpu.Reason = fmt.Sprintf("cpu (auto: LightGBM runs on OpenCL, not CUDA; %v)", err)
		return cpu
	}
	cpu.Reason = fmt.Sprintf("cpu (auto: LightGBM runs on OpenCL, not CUDA; no OpenCL GPU: %v)", err)
	return cpu
}

// unsupportedModel is a device backend's refusal of a model its kernels
// do not score.
func unsupportedModel(backend string, m engine.Model) error {
	if backend == BackendCUDA {
		if _, ok := m.(*model.LightGBM); ok {
			return fmt.Errorf("cuda backend scores XGBoost models only, not LightGBM (LightGBM models run on the opencl backend or cpu)")
		}
		return fmt.Errorf("cuda backend scores XGBoost models only, not %T (use cpu)", m)
	}
	return fmt.Errorf("%s backend scores XGBoost and LightGBM models only, not %T (use cpu)", backend, m)
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
	if l, ok := m.(*model.LightGBM); ok {
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, r := range d.opencl {
			if r.o != nil {
				r.o.ForgetLightGBM(l)
			}
		}
		return
	}
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
	if d.cuda != nil && d.cuda.c != nil {
		d.cuda.c.Forget(x)
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
	if d.cuda != nil && d.cuda.c != nil {
		errs = append(errs, d.cuda.c.Close())
	}
	d.cuda = nil
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
