package gpu

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/explain"
)

const clDeviceExtensions = 0x1030

// OpenCLExplainer computes TreeSHAP contributions (engine/explain's
// algorithm and output layout) on the device of an OpenCL backend. A
// forest is uploaded once; each chunk of a batch is one copy in, one
// kernel launch (one work-item per row, looping over the trees with its
// unique paths in private memory and writing only its own row: no
// atomics) and one copy of the contributions out. It computes in double
// where the device has cl_khr_fp64 (POCL and NVIDIA do), else in float.
// Safe for concurrent use: calls are serialised with the backend's.
type OpenCLExplainer struct {
	o         *OpenCL
	double    bool
	batchRows int
	programs  map[int]*shapProgram // by depth bound
	forests   map[*explain.Forest]*shapForest
}

type shapProgram struct{ program, kernel clHandle }

// ExplainOptions tune a device explainer.
type ExplainOptions struct {
	// BatchRows caps the rows per kernel launch; <= 0 means 65536 (fewer
	// when a chunk's contributions would pass 256 MiB).
	BatchRows int
	// Float computes in float even where the device has double (tests of
	// the float path).
	Float bool
}

// NewOpenCLExplainer prepares TreeSHAP on o's device. Programs are built
// on the first model of each depth bucket.
func NewOpenCLExplainer(o *OpenCL, opts ExplainOptions) *OpenCLExplainer {
	d := o.dev
	ext := infoString(func(size uintptr, v unsafe.Pointer, r *uintptr) clInt {
		return d.api.GetDeviceInfo(d.id, clDeviceExtensions, size, v, r)
	})
	return &OpenCLExplainer{o: o, double: strings.Contains(ext, "cl_khr_fp64") && !opts.Float, batchRows: opts.BatchRows,
		programs: map[int]*shapProgram{}, forests: map[*explain.Forest]*shapForest{}}
}

// Device names the OpenCL platform and device.
func (e *OpenCLExplainer) Device() string { return e.o.Device() }

// Precision is "double" (cl_khr_fp64) or "float".
func (e *OpenCLExplainer) Precision() string {
	if e.double {
		return "double"
	}
	return "float"
}

// program builds (once) the kernel for trees of at most bound levels.
func (e *OpenCLExplainer) program(bound int) (*shapProgram, error) {
	if p, ok := e.programs[bound]; ok {
		return p, nil
	}
	d := e.o.dev
	a := d.api
	src := cString(shapOpenCLSource(e.double, bound))
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&src[0])
	strs := [1]*byte{&src[0]}
	var code clInt
	p := &shapProgram{}
	p.program = a.CreateProgramWithSource(d.ctx, 1, unsafe.Pointer(&strs[0]), nil, &code)
	if code != clSuccess {
		return nil, clError("clCreateProgramWithSource", code)
	}
	opts := cString("-cl-std=CL1.2")
	id := d.id
	if code := a.BuildProgram(p.program, 1, unsafe.Pointer(&id), unsafe.Pointer(&opts[0]), 0, 0); code != clSuccess {
		log := infoString(func(size uintptr, v unsafe.Pointer, r *uintptr) clInt {
			return a.GetProgramBuildInfo(p.program, id, clProgramBuildLog, size, v, r)
		})
		a.ReleaseProgram(p.program)
		return nil, fmt.Errorf("building the TreeSHAP kernel: %w; build log: %s", clError("clBuildProgram", code), log)
	}
	name := cString("tree_shap")
	p.kernel = a.CreateKernel(p.program, unsafe.Pointer(&name[0]), &code)
	if code != clSuccess {
		a.ReleaseProgram(p.program)
		return nil, clError("clCreateKernel", code)
	}
	e.programs[bound] = p
	return p, nil
}

// shapForest is one forest in device memory plus its batch buffers.
type shapForest struct {
	l       *shapLayout
	prog    *shapProgram
	bufs    []clHandle // forest arrays, in kernel argument order
	x, out  clHandle
	capRows int
}

func (e *OpenCLExplainer) release(f *shapForest) {
	a := e.o.dev.api
	for _, h := range append(f.bufs, f.x, f.out) {
		if h != 0 {
			a.ReleaseMemObject(h)
		}
	}
}

// Forget releases f's device memory.
func (e *OpenCLExplainer) Forget(f *explain.Forest) {
	e.o.mu.Lock()
	defer e.o.mu.Unlock()
	if sf, ok := e.forests[f]; ok {
		e.release(sf)
		delete(e.forests, f)
	}
}

// Close releases every forest and program (not the OpenCL backend).
func (e *OpenCLExplainer) Close() error {
	e.o.mu.Lock()
	defer e.o.mu.Unlock()
	a := e.o.dev.api
	for k, f := range e.forests {
		e.release(f)
		delete(e.forests, k)
	}
	for k, p := range e.programs {
		a.ReleaseKernel(p.kernel)
		a.ReleaseProgram(p.program)
		delete(e.programs, k)
	}
	return nil
}

// sliceBytes is a slice's backing array and size in bytes.
func sliceBytes[T any](s []T) (unsafe.Pointer, int) {
	var zero T
	return unsafe.Pointer(unsafe.SliceData(s)), len(s) * int(unsafe.Sizeof(zero))
}

// upload lays f out on the device (once per forest).
func (e *OpenCLExplainer) upload(f *explain.Forest) (*shapForest, error) {
	if sf, ok := e.forests[f]; ok {
		return sf, nil
	}
	l, err := layoutShap(f, e.double)
	if err != nil {
		return nil, err
	}
	prog, err := e.program(l.maxDepth)
	if err != nil {
		return nil, err
	}
	sf := &shapForest{l: l, prog: prog}
	put := func(p unsafe.Pointer, size int) {
		if err != nil {
			return
		}
		if size == 0 {
			p = nil
		}
		var h clHandle
		h, err = e.o.dev.buffer(clMemReadOnly, uintptr(size), p)
		sf.bufs = append(sf.bufs, h)
	}
	for _, s := range [][]int32{l.left, l.right, l.feature, l.meta, l.cat} {
		put(sliceBytes(s))
	}
	reals := func(v64 []float64, v32 []float32) {
		if e.double {
			put(sliceBytes(v64))
		} else {
			put(sliceBytes(v32))
		}
	}
	reals(l.threshold, l.threshold32)
	reals(l.value, l.value32)
	reals(l.cover, l.cover32)
	put(sliceBytes(l.roots))
	put(sliceBytes(l.groups))
	put(sliceBytes(l.catOff))
	put(sliceBytes(l.catLen))
	put(sliceBytes(l.catWords))
	reals(l.bias, l.bias32)
	reals(l.recip, l.recip32)
	if err != nil {
		e.release(sf)
		return nil, fmt.Errorf("uploading the model to %s: %w", e.Device(), err)
	}
	e.forests[f] = sf
	return sf, nil
}

// realSize is the byte size of the kernel's floating-point type.
func (e *OpenCLExplainer) realSize() int {
	if e.double {
		return 8
	}
	return 4
}

// chunkRows is the rows per launch for a forest of the given width.
func chunkRows(batchRows, width, realSize int) int {
	if batchRows <= 0 {
		batchRows = 65536
	}
	return max(1, min(batchRows, (256<<20)/(width*realSize)))
}

// Explain writes f.Width() contributions per row of b into out, as
// engine/explain's Explainer does.
func (e *OpenCLExplainer) Explain(ctx context.Context, f *explain.Forest, b engine.Batch, out []float64) error {
	if err := explainArgs(f, b, out); err != nil {
		return err
	}
	e.o.mu.Lock()
	defer e.o.mu.Unlock()
	sf, err := e.upload(f)
	if err != nil {
		return err
	}
	if err := e.run(ctx, sf, b, out); err != nil {
		e.o.dev.api.Finish(e.o.dev.queue)
		return fmt.Errorf("opencl TreeSHAP on %s: %w", e.Device(), err)
	}
	return nil
}

// Prepare builds the kernel for f and uploads f, so that a model the
// device cannot explain (too deep; LightGBM on a device without double) is
// refused before any row is.
func (e *OpenCLExplainer) Prepare(f *explain.Forest) error {
	e.o.mu.Lock()
	defer e.o.mu.Unlock()
	_, err := e.upload(f)
	return err
}

// explainArgs checks a batch and output buffer against the forest.
func explainArgs(f *explain.Forest, b engine.Batch, out []float64) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if b.Cols != f.NumFeatures() {
		return fmt.Errorf("input has %d feature columns, the model expects %d", b.Cols, f.NumFeatures())
	}
	if len(out) != b.Rows*f.Width() {
		return fmt.Errorf("output buffer holds %d values, want %d rows x %d contributions", len(out), b.Rows, f.Width())
	}
	return nil
}

func (e *OpenCLExplainer) run(ctx context.Context, sf *shapForest, b engine.Batch, out []float64) error {
	a, d, l := e.o.dev.api, e.o.dev, sf.l
	rs := e.realSize()
	chunk := chunkRows(e.batchRows, l.width, rs)
	n := min(chunk, b.Rows)
	if n > sf.capRows {
		for _, h := range []*clHandle{&sf.x, &sf.out} {
			if *h != 0 {
				a.ReleaseMemObject(*h)
				*h = 0
			}
		}
		sf.capRows = 0
		var err error
		if sf.x, err = d.buffer(clMemReadOnly, uintptr(n*l.cols*rs), nil); err != nil {
			return err
		}
		if sf.out, err = d.buffer(clMemWriteOnly, uintptr(n*l.width*rs), nil); err != nil {
			return err
		}
		sf.capRows = n
	}
	var x32, o32 []float32
	if !e.double {
		x32, o32 = make([]float32, n*l.cols), make([]float32, n*l.width)
	}
	for lo := 0; lo < b.Rows; lo += chunk {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("explaining stopped after %d rows: %w", lo, err)
		}
		hi := min(lo+chunk, b.Rows)
		rows := hi - lo
		var xp, op unsafe.Pointer
		if e.double {
			// The batch's own float64 values go to the device as they are.
			xp, op = unsafe.Pointer(&b.Values[lo*l.cols]), unsafe.Pointer(&out[lo*l.width])
		} else {
			for i, v := range b.Values[lo*l.cols : hi*l.cols] {
				x32[i] = float32(v)
			}
			xp, op = unsafe.Pointer(&x32[0]), unsafe.Pointer(&o32[0])
		}
		if code := a.EnqueueWriteBuffer(d.queue, sf.x, clTrue, 0, uintptr(rows*l.cols*rs), xp, 0, 0, nil); code != clSuccess {
			return clError("clEnqueueWriteBuffer", code)
		}
		rows32, cols32, ntrees32, ngroups32 := int32(rows), int32(l.cols), int32(l.ntrees), int32(l.ngroups)
		type arg struct {
			size uintptr
			ptr  unsafe.Pointer
		}
		args := []arg{{8, unsafe.Pointer(&sf.x)}, {4, unsafe.Pointer(&rows32)}, {4, unsafe.Pointer(&cols32)}}
		bufArg := func(i int) arg { return arg{8, unsafe.Pointer(&sf.bufs[i])} }
		// left, right, feature, meta, cat, threshold, value, cover, roots, groups
		for i := 0; i < 10; i++ {
			args = append(args, bufArg(i))
		}
		args = append(args, arg{4, unsafe.Pointer(&ntrees32)}, arg{4, unsafe.Pointer(&ngroups32)})
		// cat_off, cat_len, cat_words, bias, recip
		for i := 10; i < 15; i++ {
			args = append(args, bufArg(i))
		}
		args = append(args, arg{8, unsafe.Pointer(&sf.out)})
		for i, arg := range args {
			if code := a.SetKernelArg(sf.prog.kernel, uint32(i), arg.size, arg.ptr); code != clSuccess {
				return fmt.Errorf("argument %d: %w", i, clError("clSetKernelArg", code))
			}
		}
		const local = 64
		global := uintptr((rows + local - 1) / local * local)
		localSize := uintptr(local)
		if code := a.EnqueueNDRangeKernel(d.queue, sf.prog.kernel, 1, 0, unsafe.Pointer(&global), unsafe.Pointer(&localSize), 0, 0, 0); code != clSuccess {
			return clError("clEnqueueNDRangeKernel", code)
		}
		if code := a.EnqueueReadBuffer(d.queue, sf.out, clTrue, 0, uintptr(rows*l.width*rs), op, 0, 0, nil); code != clSuccess {
			return clError("clEnqueueReadBuffer", code)
		}
		if !e.double {
			for i, v := range o32[:rows*l.width] {
				out[lo*l.width+i] = float64(v)
			}
		}
	}
	return nil
}
