package gpu

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/model"
)

// ptxSource is the kernel for the CUDA driver: hand-written PTX of
// cuda/predict_margins.cu, the OpenCL kernel's twin (see both files).
//
//go:embed cuda/predict_margins.ptx
var ptxSource string

// ptxParams is how many parameters predict_margins takes; launch passes
// exactly these (a test checks the PTX declares as many).
const ptxParams = 16

// cudaLibrary is the CUDA driver's soname, installed with the NVIDIA
// driver (no CUDA toolkit needed: the driver JIT-compiles the PTX).
const cudaLibrary = "libcuda.so.1"

type (
	cuResult  = int32
	cuDevice  = int32
	cuPtr     = uint64 // CUdeviceptr
	cuHandle  = uintptr
	cuJITOpt  = int32
	cuJITArgs = uintptr
)

const (
	cuSuccess                = 0
	cuJITErrorLogBuffer      = 5 // CU_JIT_ERROR_LOG_BUFFER
	cuJITErrorLogBufferSize  = 6 // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES
	cuDeviceAttrComputeMajor = 75
	cuDeviceAttrComputeMinor = 76
	cudaThreadsPerBlock      = 128
	cudaDefaultBatchRows     = 1 << 17 // 1,024 blocks of 128 threads fill a GPU; smaller than a batch so that chunks pipeline
)

type cuAPI struct {
	Init               func(flags uint32) cuResult
	DeviceGetCount     func(count *int32) cuResult
	DeviceGet          func(dev *cuDevice, ordinal int32) cuResult
	DeviceGetName      func(name *byte, n int32, dev cuDevice) cuResult
	DeviceGetAttribute func(v *int32, attr int32, dev cuDevice) cuResult
	CtxCreate          func(ctx *cuHandle, flags uint32, dev cuDevice) cuResult
	CtxDestroy         func(ctx cuHandle) cuResult
	CtxSetCurrent      func(ctx cuHandle) cuResult
	CtxSynchronize     func() cuResult
	ModuleLoadDataEx   func(mod *cuHandle, image *byte, n uint32, opts *cuJITOpt, vals *cuJITArgs) cuResult
	ModuleUnload       func(mod cuHandle) cuResult
	ModuleGetFunction  func(fn *cuHandle, mod cuHandle, name *byte) cuResult
	MemAlloc           func(p *cuPtr, size uintptr) cuResult
	MemFree            func(p cuPtr) cuResult
	MemcpyHtoD         func(dst cuPtr, src unsafe.Pointer, size uintptr) cuResult
	MemcpyDtoH         func(dst unsafe.Pointer, src cuPtr, size uintptr) cuResult
	MemAllocHost       func(p *unsafe.Pointer, size uintptr) cuResult
	MemFreeHost        func(p unsafe.Pointer) cuResult
	MemcpyHtoDAsync    func(dst cuPtr, src unsafe.Pointer, size uintptr, stream cuHandle) cuResult
	MemcpyDtoHAsync    func(dst unsafe.Pointer, src cuPtr, size uintptr, stream cuHandle) cuResult
	StreamCreate       func(stream *cuHandle, flags uint32) cuResult
	StreamDestroy      func(stream cuHandle) cuResult
	StreamSynchronize  func(stream cuHandle) cuResult
	LaunchKernel       func(fn cuHandle, gx, gy, gz, bx, by, bz, shared uint32, stream cuHandle, params, extra unsafe.Pointer) cuResult
	GetErrorName       func(code cuResult, name **byte) cuResult
}

var (
	cudaOnce   sync.Once
	cudaAPI    *cuAPI
	cudaAPIErr error
)

// ErrNoCUDA reports that the CUDA driver cannot be loaded (no NVIDIA
// driver on this machine).
var ErrNoCUDA = errors.New("cuda: the NVIDIA driver library " + cudaLibrary + " cannot be loaded")

// loadCUDA binds the driver API once per process.
func loadCUDA() (*cuAPI, error) {
	cudaOnce.Do(func() { cudaAPI, cudaAPIErr = bindCUDA(cudaLibrary) })
	return cudaAPI, cudaAPIErr
}

func bindCUDA(lib string) (*cuAPI, error) {
	h, err := purego.Dlopen(lib, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("%w (install the NVIDIA driver, or use opencl or cpu): %v", ErrNoCUDA, err)
	}
	a := &cuAPI{}
	for _, fn := range []struct {
		ptr  any
		name string
	}{
		{&a.Init, "cuInit"},
		{&a.DeviceGetCount, "cuDeviceGetCount"},
		{&a.DeviceGet, "cuDeviceGet"},
		{&a.DeviceGetName, "cuDeviceGetName"},
		{&a.DeviceGetAttribute, "cuDeviceGetAttribute"},
		{&a.CtxCreate, "cuCtxCreate_v2"},
		{&a.CtxDestroy, "cuCtxDestroy_v2"},
		{&a.CtxSetCurrent, "cuCtxSetCurrent"},
		{&a.CtxSynchronize, "cuCtxSynchronize"},
		{&a.ModuleLoadDataEx, "cuModuleLoadDataEx"},
		{&a.ModuleUnload, "cuModuleUnload"},
		{&a.ModuleGetFunction, "cuModuleGetFunction"},
		{&a.MemAlloc, "cuMemAlloc_v2"},
		{&a.MemFree, "cuMemFree_v2"},
		{&a.MemcpyHtoD, "cuMemcpyHtoD_v2"},
		{&a.MemcpyDtoH, "cuMemcpyDtoH_v2"},
		{&a.MemAllocHost, "cuMemAllocHost_v2"},
		{&a.MemFreeHost, "cuMemFreeHost"},
		{&a.MemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"},
		{&a.MemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"},
		{&a.StreamCreate, "cuStreamCreate"},
		{&a.StreamDestroy, "cuStreamDestroy_v2"},
		{&a.StreamSynchronize, "cuStreamSynchronize"},
		{&a.LaunchKernel, "cuLaunchKernel"},
		{&a.GetErrorName, "cuGetErrorName"},
	} {
		if _, err := purego.Dlsym(h, fn.name); err != nil {
			return nil, fmt.Errorf("cuda: %s lacks %s (driver too old?): %w", lib, fn.name, err)
		}
		purego.RegisterLibFunc(fn.ptr, h, fn.name)
	}
	return a, nil
}

// CUDAError is a failed CUDA driver call.
type CUDAError struct {
	Call string
	Code int
	Name string // e.g. CUDA_ERROR_INVALID_PTX
}

func (e *CUDAError) Error() string {
	return fmt.Sprintf("cuda: %s failed with %s (%d)", e.Call, e.Name, e.Code)
}

func (a *cuAPI) check(call string, code cuResult) error {
	if code == cuSuccess {
		return nil
	}
	name := "an unknown error"
	var p *byte
	if a.GetErrorName(code, &p) == cuSuccess && p != nil {
		name = goString(p)
	}
	return &CUDAError{Call: call, Code: int(code), Name: name}
}

// goString copies a NUL-terminated C string.
func goString(p *byte) string {
	var b []byte
	for q := p; *q != 0; q = (*byte)(unsafe.Add(unsafe.Pointer(q), 1)) {
		b = append(b, *q)
	}
	return string(b)
}

// CUDA scores XGBoost models on an NVIDIA GPU through the CUDA driver API
// (bound with purego, no cgo): the forest is uploaded once per model, and
// each chunk of a batch is one asynchronous host→device copy, one kernel
// launch (one thread per row) and one asynchronous device→host copy of the
// margins, whose output link runs on the host. Consecutive chunks go to two
// streams, so the copy of chunk n+1 overlaps the kernel of chunk n (as the
// OpenCL backend's two queues do). Safe for concurrent use (calls are
// serialised). UNTESTED on a GPU: no GPU was lent to the work that wrote it.
type CUDA struct {
	mu        sync.Mutex
	api       *cuAPI
	ctx       cuHandle
	module    cuHandle
	fn        cuHandle
	name      string
	batchRows int
	// streams: chunk n runs on streams[n%nstreams]; nstreams is 2
	// (pipelined) or 1 (the benchmark's one-stream baseline).
	streams  [2]cuHandle
	nstreams int
	models   map[*model.XGBoostJSON]*cudaForest
}

// OpenCUDA opens the first CUDA device and JIT-compiles the kernel for it.
// Without the driver it returns an error wrapping ErrNoCUDA.
func OpenCUDA(batchRows int) (*CUDA, error) {
	a, err := loadCUDA()
	if err != nil {
		return nil, err
	}
	return openCUDA(a, batchRows)
}

func openCUDA(a *cuAPI, batchRows int) (*CUDA, error) {
	runtime.LockOSThread() // the context is made current on this thread
	defer runtime.UnlockOSThread()
	if err := a.check("cuInit", a.Init(0)); err != nil {
		return nil, err
	}
	var n int32
	if err := a.check("cuDeviceGetCount", a.DeviceGetCount(&n)); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("cuda: the driver loads but sees no CUDA device")
	}
	var dev cuDevice
	if err := a.check("cuDeviceGet", a.DeviceGet(&dev, 0)); err != nil {
		return nil, err
	}
	name := make([]byte, 256)
	if err := a.check("cuDeviceGetName", a.DeviceGetName(&name[0], int32(len(name)), dev)); err != nil {
		return nil, err
	}
	var major, minor int32
	_ = a.DeviceGetAttribute(&major, cuDeviceAttrComputeMajor, dev)
	_ = a.DeviceGetAttribute(&minor, cuDeviceAttrComputeMinor, dev)
	c := &CUDA{api: a, name: fmt.Sprintf("%s (sm_%d%d)", goString(&name[0]), major, minor),
		batchRows: batchRows, models: map[*model.XGBoostJSON]*cudaForest{}}
	if c.batchRows <= 0 {
		c.batchRows = cudaDefaultBatchRows
	}
	if err := a.check("cuCtxCreate", a.CtxCreate(&c.ctx, 0, dev)); err != nil {
		return nil, err
	}
	if err := c.loadKernel(); err != nil {
		a.CtxDestroy(c.ctx)
		return nil, err
	}
	for i := range c.streams {
		if err := a.check("cuStreamCreate", a.StreamCreate(&c.streams[i], 0)); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	c.nstreams = len(c.streams)
	return c, nil
}

// loadPTX JIT-compiles ptx into *module, with the JIT's error log in the
// error (the driver's code alone rarely says which line of PTX is wrong).
func (a *cuAPI) loadPTX(module *cuHandle, ptx string) error {
	src := cString(ptx)
	logBuf := make([]byte, 8192)
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&src[0])
	pin.Pin(&logBuf[0])
	opts := [2]cuJITOpt{cuJITErrorLogBuffer, cuJITErrorLogBufferSize}
	// Option values are pointer-sized: the log's address (pinned), its size.
	vals := [2]cuJITArgs{uintptr(unsafe.Pointer(&logBuf[0])), uintptr(len(logBuf))}
	if err := a.check("cuModuleLoadDataEx", a.ModuleLoadDataEx(module, &src[0], 2, &opts[0], &vals[0])); err != nil {
		return fmt.Errorf("%w; JIT log: %s", err, goString(&logBuf[0]))
	}
	return nil
}

// loadKernel JIT-compiles ptxSource, with the JIT's error log in the error.
func (c *CUDA) loadKernel() error {
	a := c.api
	if err := a.loadPTX(&c.module, ptxSource); err != nil {
		return err
	}
	fname := cString("predict_margins")
	if err := a.check("cuModuleGetFunction", a.ModuleGetFunction(&c.fn, c.module, &fname[0])); err != nil {
		a.ModuleUnload(c.module)
		return err
	}
	return nil
}

// Device names the GPU, e.g. "NVIDIA H100 80GB HBM3 (sm_90)".
func (c *CUDA) Device() string { return c.name }

// cudaForest is one model's forest in device memory and its two chunk
// slots.
type cudaForest struct {
	m                                   *model.XGBoostJSON
	left, feature, value, roots, groups cuPtr
	catOff, catLen, catWords            cuPtr
	ntrees, ngroups, cols               int
	maxCategory, baseMargin             float32
	slots                               [2]cudaSlot
	// checked: the first batch was compared with the CPU evaluator;
	// mismatch: it disagreed, and the device is not used for this model.
	checked  bool
	mismatch error
}

// cudaSlot is one chunk's device buffers and page-locked host buffers
// (cuMemAllocHost: an asynchronous copy from pageable Go memory would be
// staged by the driver and not overlap), and the chunk in flight in it.
type cudaSlot struct {
	x, margins         cuPtr
	hostX, hostMargins []float32 // views of page-locked C memory
	capRows            int
	pending            bool
	stream             cuHandle // the stream its chunk was queued on
	lo, rows           int
}

func (c *CUDA) free(f *cudaForest) {
	for _, p := range []cuPtr{f.left, f.feature, f.value, f.roots, f.groups, f.catOff, f.catLen, f.catWords} {
		if p != 0 {
			c.api.MemFree(p)
		}
	}
	for i := range f.slots {
		c.freeSlot(&f.slots[i])
	}
}

func (c *CUDA) freeSlot(s *cudaSlot) {
	a := c.api
	for _, p := range []cuPtr{s.x, s.margins} {
		if p != 0 {
			a.MemFree(p)
		}
	}
	for _, h := range [][]float32{s.hostX, s.hostMargins} {
		if len(h) != 0 {
			a.MemFreeHost(unsafe.Pointer(unsafe.SliceData(h)))
		}
	}
	*s = cudaSlot{}
}

// upload copies m's forest to the device once (under c.mu, context current).
func (c *CUDA) upload(m *model.XGBoostJSON) (*cudaForest, error) {
	if f, ok := c.models[m]; ok {
		return f, nil
	}
	l := layoutForest(m)
	f := &cudaForest{m: m, ntrees: l.ntrees, ngroups: l.ngroups, cols: l.cols, maxCategory: l.maxCategory, baseMargin: l.baseMargin}
	var err error
	put := func(data unsafe.Pointer, n int) cuPtr {
		if err != nil {
			return 0
		}
		var p cuPtr
		if err = c.api.check("cuMemAlloc", c.api.MemAlloc(&p, uintptr(max(4*n, 4)))); err != nil {
			return 0
		}
		if n > 0 {
			err = c.api.check("cuMemcpyHtoD", c.api.MemcpyHtoD(p, data, uintptr(4*n)))
		}
		return p
	}
	f.left = put(unsafe.Pointer(unsafe.SliceData(l.left)), len(l.left))
	f.feature = put(unsafe.Pointer(unsafe.SliceData(l.feature)), len(l.feature))
	f.value = put(unsafe.Pointer(unsafe.SliceData(l.value)), len(l.value))
	f.roots = put(unsafe.Pointer(unsafe.SliceData(l.roots)), len(l.roots))
	f.groups = put(unsafe.Pointer(unsafe.SliceData(l.groups)), len(l.groups))
	f.catOff = put(unsafe.Pointer(unsafe.SliceData(l.catOff)), len(l.catOff))
	f.catLen = put(unsafe.Pointer(unsafe.SliceData(l.catLen)), len(l.catLen))
	f.catWords = put(unsafe.Pointer(unsafe.SliceData(l.catWords)), len(l.catWords))
	if err != nil {
		c.free(f)
		return nil, fmt.Errorf("uploading the model to %s: %w", c.name, err)
	}
	c.models[m] = f
	return f, nil
}

// ensure sizes a slot's device and page-locked host buffers for rows rows.
func (c *CUDA) ensure(f *cudaForest, s *cudaSlot, rows int) error {
	if rows <= s.capRows {
		return nil
	}
	c.freeSlot(s)
	a := c.api
	if err := a.check("cuMemAlloc", a.MemAlloc(&s.x, uintptr(4*rows*f.cols))); err != nil {
		return err
	}
	if err := a.check("cuMemAlloc", a.MemAlloc(&s.margins, uintptr(4*rows*f.ngroups))); err != nil {
		return err
	}
	for _, h := range []struct {
		view *[]float32
		n    int
	}{{&s.hostX, rows * f.cols}, {&s.hostMargins, rows * f.ngroups}} {
		var p unsafe.Pointer
		if err := a.check("cuMemAllocHost", a.MemAllocHost(&p, uintptr(4*h.n))); err != nil {
			return err
		}
		*h.view = unsafe.Slice((*float32)(p), h.n)
	}
	s.capRows = rows
	return nil
}

// submit queues one chunk (already narrowed into s.hostX) on stream: the
// asynchronous copy in, the kernel and the asynchronous copy of the
// margins out, without waiting. A stream runs its commands in order; the
// other slot's chunk, on the other stream, overlaps them.
func (c *CUDA) submit(f *cudaForest, s *cudaSlot, stream cuHandle, lo, rows int) error {
	a := c.api
	if err := a.check("cuMemcpyHtoDAsync", a.MemcpyHtoDAsync(s.x, unsafe.Pointer(&s.hostX[0]), uintptr(4*rows*f.cols), stream)); err != nil {
		return err
	}
	args := struct {
		x                                   cuPtr
		rows, cols                          int32
		left, feature, value, roots, groups cuPtr
		ntrees, ngroups                     int32
		catOff, catLen, catWords            cuPtr
		maxCategory, baseMargin             float32
		margins                             cuPtr
	}{s.x, int32(rows), int32(f.cols), f.left, f.feature, f.value, f.roots, f.groups, int32(f.ntrees), int32(f.ngroups),
		f.catOff, f.catLen, f.catWords, f.maxCategory, f.baseMargin, s.margins}
	params := [ptxParams]unsafe.Pointer{
		unsafe.Pointer(&args.x), unsafe.Pointer(&args.rows), unsafe.Pointer(&args.cols),
		unsafe.Pointer(&args.left), unsafe.Pointer(&args.feature), unsafe.Pointer(&args.value),
		unsafe.Pointer(&args.roots), unsafe.Pointer(&args.groups), unsafe.Pointer(&args.ntrees), unsafe.Pointer(&args.ngroups),
		unsafe.Pointer(&args.catOff), unsafe.Pointer(&args.catLen), unsafe.Pointer(&args.catWords),
		unsafe.Pointer(&args.maxCategory), unsafe.Pointer(&args.baseMargin), unsafe.Pointer(&args.margins),
	}
	// cuLaunchKernel copies the parameter values before it returns.
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&args)
	pin.Pin(&params[0])
	blocks := uint32((rows + cudaThreadsPerBlock - 1) / cudaThreadsPerBlock)
	if err := a.check("cuLaunchKernel", a.LaunchKernel(c.fn, blocks, 1, 1, cudaThreadsPerBlock, 1, 1, 0, stream, unsafe.Pointer(&params[0]), nil)); err != nil {
		return err
	}
	if err := a.check("cuMemcpyDtoHAsync", a.MemcpyDtoHAsync(unsafe.Pointer(&s.hostMargins[0]), s.margins, uintptr(4*rows*f.ngroups), stream)); err != nil {
		return err
	}
	s.pending, s.stream, s.lo, s.rows = true, stream, lo, rows
	return nil
}

// complete waits for a slot's chunk and hands its margins to done.
func (c *CUDA) complete(f *cudaForest, s *cudaSlot, done func(lo, rows int, ms []float32)) error {
	s.pending = false
	if err := c.api.check("cuStreamSynchronize", c.api.StreamSynchronize(s.stream)); err != nil {
		return err
	}
	done(s.lo, s.rows, s.hostMargins[:s.rows*f.ngroups])
	return nil
}

// margins scores b in chunks, calling done with each chunk's raw margins in
// row order. Chunk n goes to slot n%2 and, when pipelined, stream n%2:
// before reusing a slot the host waits for its previous chunk (n-2) only,
// so chunk n's copy in runs while chunk n-1's kernel does.
func (c *CUDA) margins(ctx context.Context, m *model.XGBoostJSON, b engine.Batch, done func(lo, rows int, ms []float32)) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	a := c.api
	if err := a.check("cuCtxSetCurrent", a.CtxSetCurrent(c.ctx)); err != nil {
		return err
	}
	f, err := c.upload(m)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil { // leave no chunk in flight in the slots' buffers
			_ = a.CtxSynchronize()
			f.slots[0].pending, f.slots[1].pending = false, false
			err = fmt.Errorf("cuda on %s: %w", c.name, err)
		}
	}()
	n := 0
	for lo := 0; lo < b.Rows; lo, n = lo+c.batchRows, n+1 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("scoring stopped after %d rows: %w", lo, err)
		}
		hi := min(lo+c.batchRows, b.Rows)
		s := &f.slots[n%2]
		if s.pending {
			if err := c.complete(f, s, done); err != nil {
				return err
			}
		}
		if err := c.ensure(f, s, hi-lo); err != nil {
			return err
		}
		for i, v := range b.Slice(lo, hi).Values {
			s.hostX[i] = float32(v)
		}
		if err := c.submit(f, s, c.streams[n%c.nstreams], lo, hi-lo); err != nil {
			return err
		}
	}
	// The older chunk first: slot n%2 holds chunk n-2, slot (n+1)%2 the last.
	for _, s := range []*cudaSlot{&f.slots[n%2], &f.slots[(n+1)%2]} {
		if s.pending {
			if err := c.complete(f, s, done); err != nil {
				return err
			}
		}
	}
	return nil
}

// Margins returns the raw float32 group sums (rows × NumGroups), as
// OpenCL.Margins does, for the parity tests.
func (c *CUDA) Margins(m *model.XGBoostJSON, b engine.Batch) ([]float32, error) {
	var res []float32
	err := c.margins(context.Background(), m, b, func(lo, rows int, ms []float32) {
		groups := len(ms) / rows
		if res == nil {
			res = make([]float32, b.Rows*groups)
		}
		copy(res[lo*groups:], ms)
	})
	return res, err
}

// Score implements engine.Backend for XGBoost models.
func (c *CUDA) Score(ctx context.Context, m engine.Model, b engine.Batch, out []float64) error {
	x, err := deviceArgs("cuda", m, b, out)
	if err != nil {
		return err
	}
	nOut := m.NumOutputs()
	c.mu.Lock()
	f := c.models[x]
	c.mu.Unlock()
	if f != nil && f.mismatch != nil {
		return f.mismatch
	}
	if err := c.margins(ctx, x, b, func(lo, rows int, ms []float32) {
		x.FinishMargins(ms, rows, out[lo*nOut:(lo+rows)*nOut])
	}); err != nil {
		return err
	}
	return c.selfCheck(x, b, out)
}

// selfCheck compares the first rows of a model's first device batch with
// the CPU evaluator (the kernel has not run on a GPU in this project's
// tests): a disagreement beyond 1e-6 relative is an error for this and
// every later batch of the model, so Fallback scores them on the CPU and
// counts them instead of reporting wrong scores.
func (c *CUDA) selfCheck(m *model.XGBoostJSON, b engine.Batch, out []float64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.models[m]
	if f == nil || f.checked {
		return nil
	}
	f.checked = true
	k := min(b.Rows, 256)
	nOut := m.NumOutputs()
	want := make([]float64, k*nOut)
	if err := m.PredictBatch(b.Slice(0, k), want); err != nil {
		return nil // the CPU cannot score it either; nothing to compare
	}
	for i, w := range want {
		if d := math.Abs(out[i] - w); d > 1e-6*math.Abs(w) && !(math.IsNaN(w) && math.IsNaN(out[i])) {
			f.mismatch = fmt.Errorf("cuda on %s: the kernel disagrees with the CPU evaluator (row %d: %v, cpu %v); this model is scored on the CPU", c.name, i/nOut, out[i], w)
			return f.mismatch
		}
	}
	return nil
}

// Forget releases m's device memory.
func (c *CUDA) Forget(m *model.XGBoostJSON) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.models[m]; ok {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		c.api.CtxSetCurrent(c.ctx)
		c.free(f)
		delete(c.models, m)
	}
}

// Close releases every model, the module and the context.
func (c *CUDA) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c.api.CtxSetCurrent(c.ctx)
	c.api.CtxSynchronize()
	for m, f := range c.models {
		c.free(f)
		delete(c.models, m)
	}
	for _, st := range c.streams {
		if st != 0 {
			c.api.StreamDestroy(st)
		}
	}
	c.api.ModuleUnload(c.module)
	return c.api.check("cuCtxDestroy", c.api.CtxDestroy(c.ctx))
}
