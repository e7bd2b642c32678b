package gpu

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// The OpenCL 1.2 C API, bound at run time from the ICD loader with purego
// (no cgo): handles are opaque pointers, status codes are cl_int.
type (
	clHandle = uintptr
	clInt    = int32
)

const (
	clSuccess = 0

	clDeviceTypeCPU = 1 << 1
	clDeviceTypeGPU = 1 << 2
	clDeviceTypeAll = 0xFFFFFFFF

	clPlatformName    = 0x0902
	clDeviceType      = 0x1000
	clDeviceName      = 0x102B
	clProgramBuildLog = 0x1183

	clMemReadWrite        = 1 << 0
	clMemWriteOnly        = 1 << 1
	clMemReadOnly         = 1 << 2
	clMemCopyHostPtr      = 1 << 5
	clTrue                = 1
	clFalse               = 0
	clPlatformNotFoundKHR = -1001
)

// libraryName is the OpenCL ICD loader's soname (Debian: ocl-icd-libopencl1);
// it dispatches to the installed drivers (/etc/OpenCL/vendors: NVIDIA, AMD,
// Intel, POCL for CPUs).
const libraryName = "libOpenCL.so.1"

type clAPI struct {
	GetPlatformIDs          func(num uint32, platforms unsafe.Pointer, numPlatforms *uint32) clInt
	GetPlatformInfo         func(p clHandle, param uint32, size uintptr, value unsafe.Pointer, sizeRet *uintptr) clInt
	GetDeviceIDs            func(p clHandle, typ uint64, num uint32, devices unsafe.Pointer, numDevices *uint32) clInt
	GetDeviceInfo           func(d clHandle, param uint32, size uintptr, value unsafe.Pointer, sizeRet *uintptr) clInt
	CreateContext           func(props unsafe.Pointer, num uint32, devices unsafe.Pointer, notify, user uintptr, errcode *clInt) clHandle
	CreateCommandQueue      func(ctx, dev clHandle, props uint64, errcode *clInt) clHandle
	CreateProgramWithSource func(ctx clHandle, count uint32, strs unsafe.Pointer, lengths unsafe.Pointer, errcode *clInt) clHandle
	BuildProgram            func(prog clHandle, num uint32, devices unsafe.Pointer, options unsafe.Pointer, notify, user uintptr) clInt
	GetProgramBuildInfo     func(prog, dev clHandle, param uint32, size uintptr, value unsafe.Pointer, sizeRet *uintptr) clInt
	CreateKernel            func(prog clHandle, name unsafe.Pointer, errcode *clInt) clHandle
	CreateBuffer            func(ctx clHandle, flags uint64, size uintptr, host unsafe.Pointer, errcode *clInt) clHandle
	SetKernelArg            func(k clHandle, index uint32, size uintptr, value unsafe.Pointer) clInt
	EnqueueWriteBuffer      func(q, buf clHandle, blocking uint32, offset, size uintptr, ptr unsafe.Pointer, nEvents uint32, events uintptr, event unsafe.Pointer) clInt
	EnqueueReadBuffer       func(q, buf clHandle, blocking uint32, offset, size uintptr, ptr unsafe.Pointer, nEvents uint32, events uintptr, event unsafe.Pointer) clInt
	WaitForEvents           func(n uint32, events unsafe.Pointer) clInt
	ReleaseEvent            func(ev clHandle) clInt
	EnqueueNDRangeKernel    func(q, k clHandle, dims uint32, offset uintptr, global, local unsafe.Pointer, nEvents uint32, events, event uintptr) clInt
	Finish                  func(q clHandle) clInt
	Flush                   func(q clHandle) clInt
	ReleaseMemObject        func(h clHandle) clInt
	ReleaseKernel           func(h clHandle) clInt
	ReleaseProgram          func(h clHandle) clInt
	ReleaseCommandQueue     func(h clHandle) clInt
	ReleaseContext          func(h clHandle) clInt
}

var (
	apiOnce sync.Once
	api     *clAPI
	apiErr  error
)

// loadAPI opens the ICD loader once per process.
func loadAPI() (*clAPI, error) {
	apiOnce.Do(func() {
		lib, err := purego.Dlopen(libraryName, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			apiErr = fmt.Errorf("opencl: cannot load %s (install an OpenCL ICD loader and driver, e.g. ocl-icd-libopencl1 and pocl-opencl-icd): %w", libraryName, err)
			return
		}
		a := &clAPI{}
		for _, fn := range []struct {
			ptr  any
			name string
		}{
			{&a.GetPlatformIDs, "clGetPlatformIDs"},
			{&a.GetPlatformInfo, "clGetPlatformInfo"},
			{&a.GetDeviceIDs, "clGetDeviceIDs"},
			{&a.GetDeviceInfo, "clGetDeviceInfo"},
			{&a.CreateContext, "clCreateContext"},
			{&a.CreateCommandQueue, "clCreateCommandQueue"},
			{&a.CreateProgramWithSource, "clCreateProgramWithSource"},
			{&a.BuildProgram, "clBuildProgram"},
			{&a.GetProgramBuildInfo, "clGetProgramBuildInfo"},
			{&a.CreateKernel, "clCreateKernel"},
			{&a.CreateBuffer, "clCreateBuffer"},
			{&a.SetKernelArg, "clSetKernelArg"},
			{&a.EnqueueWriteBuffer, "clEnqueueWriteBuffer"},
			{&a.EnqueueReadBuffer, "clEnqueueReadBuffer"},
			{&a.EnqueueNDRangeKernel, "clEnqueueNDRangeKernel"},
			{&a.Finish, "clFinish"},
			{&a.Flush, "clFlush"},
			{&a.WaitForEvents, "clWaitForEvents"},
			{&a.ReleaseEvent, "clReleaseEvent"},
			{&a.ReleaseMemObject, "clReleaseMemObject"},
			{&a.ReleaseKernel, "clReleaseKernel"},
			{&a.ReleaseProgram, "clReleaseProgram"},
			{&a.ReleaseCommandQueue, "clReleaseCommandQueue"},
			{&a.ReleaseContext, "clReleaseContext"},
		} {
			if _, err := purego.Dlsym(lib, fn.name); err != nil {
				apiErr = fmt.Errorf("opencl: %s lacks %s: %w", libraryName, fn.name, err)
				return
			}
			purego.RegisterLibFunc(fn.ptr, lib, fn.name)
		}
		api = a
	})
	return api, apiErr
}

// clError wraps a non-success status with the call that returned it.
func clError(call string, code clInt) error {
	if code == clSuccess {
		return nil
	}
	return &Error{Call: call, Code: int(code)}
}

// Error is a failed OpenCL call.
type Error struct {
	Call string
	Code int
}

func (e *Error) Error() string {
	return fmt.Sprintf("opencl: %s failed with status %d", e.Call, e.Code)
}

// ErrNoDevice reports that no OpenCL platform or device is present.
var ErrNoDevice = errors.New("opencl: no OpenCL platform or device found")

// cString returns s as a NUL-terminated byte slice.
func cString(s string) []byte { return append([]byte(s), 0) }

func infoString(get func(size uintptr, value unsafe.Pointer, sizeRet *uintptr) clInt) string {
	var n uintptr
	if get(0, nil, &n) != clSuccess || n == 0 {
		return ""
	}
	buf := make([]byte, n)
	if get(n, unsafe.Pointer(&buf[0]), nil) != clSuccess {
		return ""
	}
	for len(buf) > 0 && buf[len(buf)-1] == 0 {
		buf = buf[:len(buf)-1]
	}
	return string(buf)
}

// device is one OpenCL device with its context, queues and built program.
type device struct {
	api      *clAPI
	platform string
	name     string
	isGPU    bool
	id       clHandle
	ctx      clHandle
	queue    clHandle
	// queue2 is a second in-order queue on the same device: chunks
	// alternate between queue and queue2, so that a device with a copy
	// engine moves chunk n+1 in while chunk n's kernel runs (commands of
	// one in-order queue never overlap).
	queue2  clHandle
	program clHandle
	kernel  clHandle
	// launchFault, set by tests only, replaces a kernel launch's status:
	// a device error in the middle of a batch, with chunks in flight.
	launchFault func() clInt
}

// pickDevice returns the first GPU device of any platform, or, when allowCPU
// is set and there is none, the first device of any type (POCL's CPU).
func pickDevice(a *clAPI, allowCPU bool) (platform, dev clHandle, isGPU bool, err error) {
	var n uint32
	if code := a.GetPlatformIDs(0, nil, &n); code == clPlatformNotFoundKHR || n == 0 {
		return 0, 0, false, ErrNoDevice
	} else if code != clSuccess {
		return 0, 0, false, clError("clGetPlatformIDs", code)
	}
	platforms := make([]clHandle, n)
	if code := a.GetPlatformIDs(n, unsafe.Pointer(&platforms[0]), nil); code != clSuccess {
		return 0, 0, false, clError("clGetPlatformIDs", code)
	}
	first := func(typ uint64) (clHandle, clHandle) {
		for _, p := range platforms {
			var id clHandle
			var got uint32
			if a.GetDeviceIDs(p, typ, 1, unsafe.Pointer(&id), &got) == clSuccess && got > 0 {
				return p, id
			}
		}
		return 0, 0
	}
	if p, d := first(clDeviceTypeGPU); d != 0 {
		return p, d, true, nil
	}
	if allowCPU {
		if p, d := first(clDeviceTypeAll); d != 0 {
			return p, d, false, nil
		}
	}
	return 0, 0, false, ErrNoDevice
}

// openDevice creates a context and two queues on the chosen device and builds
// the kernel source for it.
func openDevice(allowCPU bool) (*device, error) {
	a, err := loadAPI()
	if err != nil {
		return nil, err
	}
	p, id, isGPU, err := pickDevice(a, allowCPU)
	if err != nil {
		return nil, err
	}
	d := &device{api: a, id: id, isGPU: isGPU}
	d.platform = infoString(func(size uintptr, v unsafe.Pointer, r *uintptr) clInt {
		return a.GetPlatformInfo(p, clPlatformName, size, v, r)
	})
	d.name = infoString(func(size uintptr, v unsafe.Pointer, r *uintptr) clInt {
		return a.GetDeviceInfo(id, clDeviceName, size, v, r)
	})
	var code clInt
	d.ctx = a.CreateContext(nil, 1, unsafe.Pointer(&id), 0, 0, &code)
	if code != clSuccess {
		return nil, clError("clCreateContext", code)
	}
	for _, q := range []*clHandle{&d.queue, &d.queue2} {
		*q = a.CreateCommandQueue(d.ctx, id, 0, &code)
		if code != clSuccess {
			d.release()
			return nil, clError("clCreateCommandQueue", code)
		}
	}
	if err := d.build(kernelSource); err != nil {
		d.release()
		return nil, err
	}
	return d, nil
}

func (d *device) build(source string) error {
	a := d.api
	src := cString(source)
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&src[0])
	strs := [1]*byte{&src[0]}
	var code clInt
	d.program = a.CreateProgramWithSource(d.ctx, 1, unsafe.Pointer(&strs[0]), nil, &code)
	if code != clSuccess {
		return clError("clCreateProgramWithSource", code)
	}
	// No fast-math options: comparisons and additions must stay IEEE-exact,
	// as XGBoost computes them.
	opts := cString("-cl-std=CL1.2")
	id := d.id
	if code := a.BuildProgram(d.program, 1, unsafe.Pointer(&id), unsafe.Pointer(&opts[0]), 0, 0); code != clSuccess {
		log := infoString(func(size uintptr, v unsafe.Pointer, r *uintptr) clInt {
			return a.GetProgramBuildInfo(d.program, id, clProgramBuildLog, size, v, r)
		})
		return fmt.Errorf("%w; build log: %s", clError("clBuildProgram", code), log)
	}
	name := cString("predict_margins")
	d.kernel = a.CreateKernel(d.program, unsafe.Pointer(&name[0]), &code)
	return clError("clCreateKernel", code)
}

func (d *device) release() {
	a := d.api
	if d.kernel != 0 {
		a.ReleaseKernel(d.kernel)
	}
	if d.program != 0 {
		a.ReleaseProgram(d.program)
	}
	for _, q := range []clHandle{d.queue, d.queue2} {
		if q != 0 {
			a.ReleaseCommandQueue(q)
		}
	}
	if d.ctx != 0 {
		a.ReleaseContext(d.ctx)
	}
	*d = device{api: a}
}

// buffer creates a device buffer of size bytes, filled from host when given.
func (d *device) buffer(flags uint64, size uintptr, host unsafe.Pointer) (clHandle, error) {
	var code clInt
	if host != nil {
		flags |= clMemCopyHostPtr
	}
	b := d.api.CreateBuffer(d.ctx, flags, max(size, 4), host, &code)
	return b, clError("clCreateBuffer", code)
}
