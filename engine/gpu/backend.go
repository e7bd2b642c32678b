package gpu

import (
	"context"
	"fmt"
	"sync"
	"unsafe"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/model"
)

// Options choose the OpenCL device.
type Options struct {
	// AllowCPU accepts a CPU device (POCL) when no GPU is present; the
	// parity tests use it. Without it only GPU devices are taken.
	AllowCPU bool
	// BatchRows is how many rows go to the device per kernel launch;
	// <= 0 means 65536.
	BatchRows int
	// Queues is how many in-order command queues a batch's chunks
	// alternate over: 2 (the default, <= 0) pipelines them on the device
	// (chunk n+1's copy in runs while chunk n's kernel does); 1 puts every
	// copy and kernel on one queue, where the device runs them one after
	// another (the benchmark's baseline). The host side is double-buffered
	// either way.
	Queues int
}

// OpenCL scores XGBoost models, and LightGBM models where the device has
// double precision (lightgbm_opencl.go), on an OpenCL device. It implements
// engine.Backend: the first Score of a model uploads its forest once; every
// chunk of a batch is then one host→device copy, one kernel launch and one
// device→host copy of the margins, whose output link runs on the host.
// Consecutive chunks go to alternate queues (Options.Queues), so the copy
// of chunk n+1 overlaps the kernel of chunk n.
// Safe for concurrent use (calls are serialised).
type OpenCL struct {
	mu        sync.Mutex
	dev       *device
	batchRows int
	queues    int
	models    map[*model.XGBoostJSON]*deviceForest
	lgb       lightgbmDevice // LightGBM models: lightgbm_opencl.go
}

// OpenOpenCL opens the first OpenCL GPU (or, with AllowCPU, any device) and
// builds the kernel for it. It returns ErrNoDevice (wrapped) when the
// machine has no OpenCL platform, or an error naming the missing library.
func OpenOpenCL(opts Options) (*OpenCL, error) {
	d, err := openDevice(opts.AllowCPU)
	if err != nil {
		return nil, err
	}
	rows := opts.BatchRows
	if rows <= 0 {
		rows = 65536
	}
	queues := opts.Queues
	if queues <= 0 || queues > 2 {
		queues = 2
	}
	return &OpenCL{dev: d, batchRows: rows, queues: queues, models: make(map[*model.XGBoostJSON]*deviceForest)}, nil
}

// Pipelined reports whether chunks alternate between two queues.
func (o *OpenCL) Pipelined() bool { return o.queues == 2 }

// Device names the platform and device, e.g. "Portable Computing Language:
// cpu-haswell-...".
func (o *OpenCL) Device() string { return o.dev.platform + ": " + o.dev.name }

// IsGPU reports whether the device is a GPU (not a CPU driver such as POCL).
func (o *OpenCL) IsGPU() bool { return o.dev.isGPU }

// Close releases every uploaded model and the device.
func (o *OpenCL) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for m, f := range o.models {
		f.release()
		delete(o.models, m)
	}
	o.lgb.release(o.dev)
	o.dev.release()
	return nil
}

// Forget releases m's forest and batch buffers on the device (a model that
// will not be scored again); a later Score uploads it anew.
func (o *OpenCL) Forget(m *model.XGBoostJSON) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if f, ok := o.models[m]; ok {
		f.release()
		delete(o.models, m)
	}
}

// deviceForest is one model's forest in device memory, plus the batch
// buffers reused across calls.
type deviceForest struct {
	dev                                 *device
	m                                   *model.XGBoostJSON
	left, feature, value, roots, groups clHandle
	catOff, catLen, catWords            clHandle
	ntrees, ngroups, cols               int
	maxCategory, baseMargin             float32
	slots                               chunkSlots[float32]
	seq                                 int
}

func (f *deviceForest) release() {
	a := f.dev.api
	f.drain()
	for _, h := range []clHandle{f.left, f.feature, f.value, f.roots, f.groups, f.catOff, f.catLen, f.catWords} {
		if h != 0 {
			a.ReleaseMemObject(h)
		}
	}
	f.slots.release(f.dev)
}

// drain waits for everything queued and forgets the chunks in flight.
func (f *deviceForest) drain() {
	_, slots := f.pipeline()
	drainChunks(f.dev, slots)
}

// upload lays the model's forest out on the device (once per model).
func (o *OpenCL) upload(m *model.XGBoostJSON) (*deviceForest, error) {
	if f, ok := o.models[m]; ok {
		return f, nil
	}
	l := layoutForest(m)
	f := &deviceForest{dev: o.dev, m: m, ntrees: l.ntrees, ngroups: l.ngroups, cols: l.cols,
		maxCategory: l.maxCategory, baseMargin: l.baseMargin}
	f.slots.useQueues(o.dev, o.queues)
	var err error
	ro := func(data unsafe.Pointer, size int) clHandle {
		if err != nil {
			return 0
		}
		var h clHandle
		if size == 0 {
			data = nil
		}
		h, err = o.dev.buffer(clMemReadOnly, uintptr(size), data)
		return h
	}
	f.left = ro(unsafe.Pointer(unsafe.SliceData(l.left)), 4*len(l.left))
	f.feature = ro(unsafe.Pointer(unsafe.SliceData(l.feature)), 4*len(l.feature))
	f.value = ro(unsafe.Pointer(unsafe.SliceData(l.value)), 4*len(l.value))
	f.roots = ro(unsafe.Pointer(unsafe.SliceData(l.roots)), 4*len(l.roots))
	f.groups = ro(unsafe.Pointer(unsafe.SliceData(l.groups)), 4*len(l.groups))
	f.catOff = ro(unsafe.Pointer(unsafe.SliceData(l.catOff)), 4*len(l.catOff))
	f.catLen = ro(unsafe.Pointer(unsafe.SliceData(l.catLen)), 4*len(l.catLen))
	f.catWords = ro(unsafe.Pointer(unsafe.SliceData(l.catWords)), 4*len(l.catWords))
	if err != nil {
		f.release()
		return nil, fmt.Errorf("uploading the model to %s: %w", o.Device(), err)
	}
	o.models[m] = f
	return f, nil
}

// score runs b through the device in chunks of chunk rows, two in flight
// at once (runChunks). keep, if set, also receives each chunk's raw
// margins, in order.
func (f *deviceForest) score(ctx context.Context, b engine.Batch, out []float64, chunk int, keep func(lo int, margins []float32)) error {
	return runChunks[float32](ctx, f.dev, f, b, out, f.m.NumOutputs(), chunk, keep)
}

func (f *deviceForest) pipeline() (*int, [2]*inflight) {
	return &f.seq, f.slots.inflights()
}

// enqueue narrows one chunk into slot i and queues its copy in, kernel
// and copy out on the slot's queue without waiting. The slot's commands
// are ordered by its in-order queue; the two slots share nothing on the
// device but the forest, which is only read, so they need no events
// between them.
func (f *deviceForest) enqueue(i int, b engine.Batch) error {
	s := &f.slots[i]
	rows := b.Rows
	if err := s.ensure(f.dev, rows, f.cols, f.ngroups); err != nil {
		return err
	}
	xs := s.hostX[:rows*f.cols]
	for i, v := range b.Values {
		xs[i] = float32(v)
	}
	rows32, cols32, ntrees32, ngroups32 := int32(rows), int32(f.cols), int32(f.ntrees), int32(f.ngroups)
	ms := s.hostMargins[:rows*f.ngroups]
	return f.dev.launch(chunkLaunch{
		queue: s.queue, kernel: f.dev.kernel,
		x: s.x, hostX: unsafe.Pointer(&xs[0]), xBytes: uintptr(4 * len(xs)),
		args: []kernelArg{
			{8, unsafe.Pointer(&s.x)}, {4, unsafe.Pointer(&rows32)}, {4, unsafe.Pointer(&cols32)},
			{8, unsafe.Pointer(&f.left)}, {8, unsafe.Pointer(&f.feature)}, {8, unsafe.Pointer(&f.value)},
			{8, unsafe.Pointer(&f.roots)}, {8, unsafe.Pointer(&f.groups)}, {4, unsafe.Pointer(&ntrees32)}, {4, unsafe.Pointer(&ngroups32)},
			{8, unsafe.Pointer(&f.catOff)}, {8, unsafe.Pointer(&f.catLen)}, {8, unsafe.Pointer(&f.catWords)},
			{4, unsafe.Pointer(&f.maxCategory)}, {4, unsafe.Pointer(&f.baseMargin)},
			{8, unsafe.Pointer(&s.margins)},
		},
		rows:    rows,
		margins: s.margins, hostMargins: unsafe.Pointer(&ms[0]), marginBytes: uintptr(4 * len(ms)),
		event: &s.event,
	})
}

// finish applies the output link to slot i's landed margins.
func (f *deviceForest) finish(i int, keep func(lo int, margins []float32)) {
	s := &f.slots[i]
	ms := s.hostMargins[:s.rows*f.ngroups]
	f.m.FinishMargins(ms, s.rows, s.out)
	if keep != nil {
		keep(s.lo, ms)
	}
}

// Margins scores b on the device and returns the raw float32 group sums
// (rows × NumGroups), before any output link: what the parity tests compare
// leaf for leaf with the CPU evaluator.
func (o *OpenCL) Margins(m *model.XGBoostJSON, b engine.Batch) ([]float32, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f, err := o.upload(m)
	if err != nil {
		return nil, err
	}
	res := make([]float32, b.Rows*f.ngroups)
	scratch := make([]float64, b.Rows*m.NumOutputs())
	err = f.score(context.Background(), b, scratch, o.batchRows, func(lo int, ms []float32) {
		copy(res[lo*f.ngroups:], ms)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// deviceArgs checks a device backend's Score arguments for the XGBoost
// kernel: an XGBoost model, a valid batch of its width and an output
// buffer of its size. (OpenCL's Score takes LightGBM models before.)
func deviceArgs(backend string, m engine.Model, b engine.Batch, out []float64) (*model.XGBoostJSON, error) {
	x, ok := m.(*model.XGBoostJSON)
	if !ok {
		return nil, unsupportedModel(backend, m)
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if b.Cols != m.NumFeatures() {
		return nil, fmt.Errorf("input has %d feature columns, the model expects %d", b.Cols, m.NumFeatures())
	}
	if nOut := m.NumOutputs(); len(out) != b.Rows*nOut {
		return nil, fmt.Errorf("output buffer holds %d values, want %d rows x %d outputs", len(out), b.Rows, nOut)
	}
	return x, nil
}

// Score implements engine.Backend for XGBoost models (any format
// engine/model reads) and LightGBM models, model.txt or JSON dump (on a device with
// cl_khr_fp64); other models are refused, the caller keeps them on the CPU
// backend.
func (o *OpenCL) Score(ctx context.Context, m engine.Model, b engine.Batch, out []float64) error {
	if l, ok := m.(*model.LightGBM); ok {
		return o.scoreLightGBM(ctx, l, b, out)
	}
	x, err := deviceArgs("opencl", m, b, out)
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	f, err := o.upload(x)
	if err != nil {
		return err
	}
	if err := f.score(ctx, b, out, o.batchRows, nil); err != nil {
		return fmt.Errorf("opencl on %s: %w", o.Device(), err)
	}
	return nil
}
