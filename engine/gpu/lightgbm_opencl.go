package gpu

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"unsafe"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/model"
)

// lightgbmDevice is the LightGBM side of an OpenCL backend: the
// predict_lightgbm kernel, built the first time a LightGBM model comes
// (so a device without double precision still scores XGBoost models), and
// the LightGBM models uploaded to the device.
type lightgbmDevice struct {
	checked         bool
	err             error // why the device cannot score LightGBM models
	program, kernel clHandle
	models          map[*model.LightGBM]*lightgbmForest
}

// fp64Support says whether a device whose CL_DEVICE_EXTENSIONS is ext can
// run the LightGBM kernel.
func fp64Support(ext string) error {
	if slices.Contains(strings.Fields(ext), "cl_khr_fp64") {
		return nil
	}
	return fmt.Errorf("lacks cl_khr_fp64 (double precision), which LightGBM's float64 thresholds and sums need; LightGBM models stay on the cpu backend")
}

// lightgbmReady checks (once) that the device has double precision and
// builds the LightGBM kernel. The caller holds o.mu.
func (o *OpenCL) lightgbmReady() error {
	g := &o.lgb
	if g.checked {
		return g.err
	}
	g.checked = true
	d := o.dev
	const deviceExtensions = 0x1030 // CL_DEVICE_EXTENSIONS
	ext := infoString(func(size uintptr, v unsafe.Pointer, r *uintptr) clInt {
		return d.api.GetDeviceInfo(d.id, deviceExtensions, size, v, r)
	})
	if err := fp64Support(ext); err != nil {
		g.err = fmt.Errorf("the OpenCL device %s %w", o.Device(), err)
		return g.err
	}
	g.program, g.kernel, g.err = buildLightGBMKernel(d)
	if g.err != nil {
		g.err = fmt.Errorf("building the LightGBM kernel for %s: %w", o.Device(), g.err)
	}
	return g.err
}

// LightGBMSupport reports why the device cannot score LightGBM models
// (no cl_khr_fp64, or the kernel does not build), or nil when it can.
func (o *OpenCL) LightGBMSupport() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.lightgbmReady()
}

// buildLightGBMKernel builds lightgbmKernelSource for d, without fast-math
// options: decisions and sums must stay IEEE double.
func buildLightGBMKernel(d *device) (program, kernel clHandle, err error) {
	a := d.api
	src := cString(lightgbmKernelSource)
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&src[0])
	strs := [1]*byte{&src[0]}
	var code clInt
	program = a.CreateProgramWithSource(d.ctx, 1, unsafe.Pointer(&strs[0]), nil, &code)
	if code != clSuccess {
		return 0, 0, clError("clCreateProgramWithSource", code)
	}
	opts := cString("-cl-std=CL1.2")
	id := d.id
	if code := a.BuildProgram(program, 1, unsafe.Pointer(&id), unsafe.Pointer(&opts[0]), 0, 0); code != clSuccess {
		log := infoString(func(size uintptr, v unsafe.Pointer, r *uintptr) clInt {
			return a.GetProgramBuildInfo(program, id, clProgramBuildLog, size, v, r)
		})
		a.ReleaseProgram(program)
		return 0, 0, fmt.Errorf("%w; build log: %s", clError("clBuildProgram", code), log)
	}
	name := cString("predict_lightgbm")
	kernel = a.CreateKernel(program, unsafe.Pointer(&name[0]), &code)
	if code != clSuccess {
		a.ReleaseProgram(program)
		return 0, 0, clError("clCreateKernel", code)
	}
	return program, kernel, nil
}

// release frees every LightGBM model and the kernel. The caller holds o.mu.
func (g *lightgbmDevice) release(d *device) {
	for m, f := range g.models {
		f.release()
		delete(g.models, m)
	}
	if g.kernel != 0 {
		d.api.ReleaseKernel(g.kernel)
	}
	if g.program != 0 {
		d.api.ReleaseProgram(g.program)
	}
	*g = lightgbmDevice{}
}

// ForgetLightGBM releases m's forest and batch buffers on the device; a
// later Score uploads it anew.
func (o *OpenCL) ForgetLightGBM(m *model.LightGBM) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if f, ok := o.lgb.models[m]; ok {
		f.release()
		delete(o.lgb.models, m)
	}
}

// lightgbmForest is one LightGBM model's forest in device memory, plus
// two batch slots that alternate over the backend's queues as the XGBoost
// path's do (deviceForest): while the device works on one chunk, the
// other's copy in runs and the host finishes the previous chunk.
type lightgbmForest struct {
	dev    *device
	kernel clHandle
	m      *model.LightGBM
	// Forest arrays in kernel argument order: left, right, flags, value,
	// roots, groups, cat_off, cat_len, cat_words.
	bufs                  [9]clHandle
	ntrees, ngroups, cols int
	zero                  float64
	slots                 chunkSlots[float64]
	seq                   int
}

func (f *lightgbmForest) release() {
	a := f.dev.api
	f.drain()
	for _, h := range f.bufs {
		if h != 0 {
			a.ReleaseMemObject(h)
		}
	}
	f.slots.release(f.dev)
}

// drain waits for everything queued and forgets the chunks in flight.
func (f *lightgbmForest) drain() {
	_, slots := f.pipeline()
	drainChunks(f.dev, slots)
}

// uploadLightGBM lays m's forest out on the device (once per model). The
// caller holds o.mu.
func (o *OpenCL) uploadLightGBM(m *model.LightGBM) (*lightgbmForest, error) {
	if f, ok := o.lgb.models[m]; ok {
		return f, nil
	}
	if err := o.lightgbmReady(); err != nil {
		return nil, err
	}
	l, err := layoutLightGBM(m)
	if err != nil {
		return nil, fmt.Errorf("laying the LightGBM model out for %s: %w", o.Device(), err)
	}
	f := &lightgbmForest{dev: o.dev, kernel: o.lgb.kernel, m: m, ntrees: l.ntrees, ngroups: l.ngroups, cols: l.cols, zero: l.zero}
	f.slots.useQueues(o.dev, o.queues)
	arrays := []struct {
		data unsafe.Pointer
		size int
	}{
		{unsafe.Pointer(unsafe.SliceData(l.left)), 4 * len(l.left)},
		{unsafe.Pointer(unsafe.SliceData(l.right)), 4 * len(l.right)},
		{unsafe.Pointer(unsafe.SliceData(l.flags)), 4 * len(l.flags)},
		{unsafe.Pointer(unsafe.SliceData(l.value)), 8 * len(l.value)},
		{unsafe.Pointer(unsafe.SliceData(l.roots)), 4 * len(l.roots)},
		{unsafe.Pointer(unsafe.SliceData(l.groups)), 4 * len(l.groups)},
		{unsafe.Pointer(unsafe.SliceData(l.catOff)), 4 * len(l.catOff)},
		{unsafe.Pointer(unsafe.SliceData(l.catLen)), 4 * len(l.catLen)},
		{unsafe.Pointer(unsafe.SliceData(l.catWords)), 4 * len(l.catWords)},
	}
	for i, arr := range arrays {
		data := arr.data
		if arr.size == 0 {
			data = nil
		}
		if f.bufs[i], err = o.dev.buffer(clMemReadOnly, uintptr(arr.size), data); err != nil {
			f.release()
			return nil, fmt.Errorf("uploading the LightGBM model to %s: %w", o.Device(), err)
		}
	}
	if o.lgb.models == nil {
		o.lgb.models = make(map[*model.LightGBM]*lightgbmForest)
	}
	o.lgb.models[m] = f
	return f, nil
}

// score runs b through the device in chunks of chunk rows, two in flight
// at once (runChunks). keep, if set, also receives each chunk's raw
// margins, in order.
func (f *lightgbmForest) score(ctx context.Context, b engine.Batch, out []float64, chunk int, keep func(lo int, margins []float64)) error {
	return runChunks[float64](ctx, f.dev, f, b, out, f.ngroups, chunk, keep)
}

func (f *lightgbmForest) pipeline() (*int, [2]*inflight) {
	return &f.seq, f.slots.inflights()
}

// enqueue copies one chunk into slot i (as float64: LightGBM does not
// narrow its inputs) and queues its copy in, kernel and copy out on the
// slot's queue without waiting.
func (f *lightgbmForest) enqueue(i int, b engine.Batch) error {
	s := &f.slots[i]
	rows := b.Rows
	if err := s.ensure(f.dev, rows, f.cols, f.ngroups); err != nil {
		return err
	}
	xs := s.hostX[:rows*f.cols]
	copy(xs, b.Values)
	rows32, cols32, ntrees32, ngroups32 := int32(rows), int32(f.cols), int32(f.ntrees), int32(f.ngroups)
	bf := &f.bufs
	ms := s.hostMargins[:rows*f.ngroups]
	return f.dev.launch(chunkLaunch{
		queue: s.queue, kernel: f.kernel,
		x: s.x, hostX: unsafe.Pointer(&xs[0]), xBytes: uintptr(8 * len(xs)),
		args: []kernelArg{
			{8, unsafe.Pointer(&s.x)}, {4, unsafe.Pointer(&rows32)}, {4, unsafe.Pointer(&cols32)},
			{8, unsafe.Pointer(&bf[0])}, {8, unsafe.Pointer(&bf[1])}, {8, unsafe.Pointer(&bf[2])}, {8, unsafe.Pointer(&bf[3])},
			{8, unsafe.Pointer(&bf[4])}, {8, unsafe.Pointer(&bf[5])}, {4, unsafe.Pointer(&ntrees32)}, {4, unsafe.Pointer(&ngroups32)},
			{8, unsafe.Pointer(&bf[6])}, {8, unsafe.Pointer(&bf[7])}, {8, unsafe.Pointer(&bf[8])},
			{8, unsafe.Pointer(&f.zero)},
			{8, unsafe.Pointer(&s.margins)},
		},
		rows:    rows,
		margins: s.margins, hostMargins: unsafe.Pointer(&ms[0]), marginBytes: uintptr(8 * len(ms)),
		event: &s.event,
	})
}

// finish applies the output link to slot i's landed margins with the CPU
// evaluator's code.
func (f *lightgbmForest) finish(i int, keep func(lo int, margins []float64)) {
	s := &f.slots[i]
	ms := s.hostMargins[:s.rows*f.ngroups]
	f.m.FinishMargins(ms, s.rows, s.out)
	if keep != nil {
		keep(s.lo, ms)
	}
}

// LightGBMMargins scores b on the device and returns the raw float64
// margins (rows × NumOutputs) before the output link: what the parity
// tests compare bit for bit with the CPU evaluator on a raw model.
func (o *OpenCL) LightGBMMargins(m *model.LightGBM, b engine.Batch) ([]float64, error) {
	if err := lightgbmArgs(m, b, nil); err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	f, err := o.uploadLightGBM(m)
	if err != nil {
		return nil, err
	}
	res := make([]float64, b.Rows*f.ngroups)
	scratch := make([]float64, len(res))
	err = f.score(context.Background(), b, scratch, o.batchRows, func(lo int, ms []float64) {
		copy(res[lo*f.ngroups:], ms)
	})
	if err != nil {
		return nil, fmt.Errorf("opencl on %s: %w", o.Device(), err)
	}
	return res, nil
}

// lightgbmArgs checks Score's arguments for a LightGBM model: a valid
// batch of its width and (when out is not nil) an output buffer of its size.
func lightgbmArgs(m *model.LightGBM, b engine.Batch, out []float64) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if b.Cols != m.NumFeatures() {
		return fmt.Errorf("input has %d feature columns, the model expects %d", b.Cols, m.NumFeatures())
	}
	if nOut := m.NumOutputs(); out != nil && len(out) != b.Rows*nOut {
		return fmt.Errorf("output buffer holds %d values, want %d rows x %d outputs", len(out), b.Rows, nOut)
	}
	return nil
}

// scoreLightGBM is Score for a LightGBM model.
func (o *OpenCL) scoreLightGBM(ctx context.Context, m *model.LightGBM, b engine.Batch, out []float64) error {
	if out == nil {
		out = []float64{}
	}
	if err := lightgbmArgs(m, b, out); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	f, err := o.uploadLightGBM(m)
	if err != nil {
		return err
	}
	if err := f.score(ctx, b, out, o.batchRows, nil); err != nil {
		return fmt.Errorf("opencl on %s: %w", o.Device(), err)
	}
	return nil
}
