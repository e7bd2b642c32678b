package gpu

import (
	"context"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/mlectl/mlectl/engine"
)

// inflight is a batch slot's chunk in flight: the event of its margins'
// read and where its answer goes. Both OpenCL forests (XGBoost's float32
// and LightGBM's float64) embed it in their slots.
type inflight struct {
	event   clHandle
	pending bool
	seq     int
	rows    int
	lo      int
	out     []float64
}

// chunkSlot is one chunk's device buffers and pinned host buffers (the
// device reads and writes them asynchronously), M the kernel's element
// type: float32 for XGBoost's forest, float64 for LightGBM's.
type chunkSlot[M float32 | float64] struct {
	queue       clHandle // the in-order queue its copies and kernel go to
	x, margins  clHandle
	capRows     int
	hostX       []M
	hostMargins []M
	pin         runtime.Pinner
	inflight    // the chunk in flight: the read's event, its rows, output and position
}

// chunkSlots is a forest's two batch slots, each on its own queue when
// pipelined: while the device works on one chunk, the other's copy in
// runs, and the host prepares the next chunk and finishes the previous one.
type chunkSlots[M float32 | float64] [2]chunkSlot[M]

// useQueues puts both slots on d's queue, or the second on queue2 when
// the backend runs two queues.
func (ss *chunkSlots[M]) useQueues(d *device, queues int) {
	ss[0].queue, ss[1].queue = d.queue, d.queue
	if queues == 2 {
		ss[1].queue = d.queue2
	}
}

// inflights is the slots' in-flight state, for runChunks.
func (ss *chunkSlots[M]) inflights() [2]*inflight {
	return [2]*inflight{&ss[0].inflight, &ss[1].inflight}
}

// release frees the slots' device buffers and unpins their host buffers;
// the caller has drained the queues.
func (ss *chunkSlots[M]) release(d *device) {
	for i := range ss {
		s := &ss[i]
		for _, h := range []clHandle{s.x, s.margins} {
			if h != 0 {
				d.api.ReleaseMemObject(h)
			}
		}
		s.x, s.margins, s.capRows = 0, 0, 0
		s.pin.Unpin()
	}
}

// ensure sizes s's buffers for rows rows of cols inputs and ngroups
// margins each.
func (s *chunkSlot[M]) ensure(d *device, rows, cols, ngroups int) error {
	if rows <= s.capRows {
		return nil
	}
	for _, h := range []clHandle{s.x, s.margins} {
		if h != 0 {
			d.api.ReleaseMemObject(h)
		}
	}
	s.x, s.margins, s.capRows = 0, 0, 0
	size := uintptr(unsafe.Sizeof(M(0)))
	var err error
	if s.x, err = d.buffer(clMemReadOnly, size*uintptr(rows*cols), nil); err != nil {
		return err
	}
	if s.margins, err = d.buffer(clMemWriteOnly, size*uintptr(rows*ngroups), nil); err != nil {
		return err
	}
	s.pin.Unpin()
	s.hostX = make([]M, rows*cols)
	s.hostMargins = make([]M, rows*ngroups)
	s.pin.Pin(&s.hostX[0])
	s.pin.Pin(&s.hostMargins[0])
	s.capRows = rows
	return nil
}

// chunkForest is what runChunks needs from a forest on the device: the
// two slots' in-flight state, queuing one chunk into slot i, and finishing
// slot i's landed margins (output link into its out; keep, if set, gets
// the raw margins). M is the kernel's margin type.
type chunkForest[M float32 | float64] interface {
	pipeline() (seq *int, slots [2]*inflight)
	enqueue(i int, b engine.Batch) error
	finish(i int, keep func(lo int, margins []M))
}

// runChunks runs b through the device in chunks of chunk rows, two in
// flight at once on the device's two queues: for each, one asynchronous
// copy in, one kernel launch and one asynchronous copy of the margins
// out, then (when the chunk's copy has landed) the output link into out,
// nOut values a row. keep, if set, also receives each chunk's raw
// margins, in order. On an error the queues are drained, so that no host
// buffer is left in the device's hands.
func runChunks[M float32 | float64](ctx context.Context, d *device, f chunkForest[M], b engine.Batch, out []float64, nOut, chunk int, keep func(lo int, margins []M)) (err error) {
	seq, slots := f.pipeline()
	defer func() {
		if err != nil {
			drainChunks(d, slots)
		}
	}()
	for lo := 0; lo < b.Rows; lo += chunk {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("scoring stopped after %d rows: %w", lo, err)
		}
		hi := min(lo+chunk, b.Rows)
		i := *seq % 2
		if slots[i].pending {
			if err := completeChunk(d, f, i, slots[i], keep); err != nil {
				return err
			}
		}
		if err := f.enqueue(i, b.Slice(lo, hi)); err != nil {
			return err
		}
		s := slots[i]
		s.pending, s.seq, s.rows, s.lo, s.out = true, *seq, hi-lo, lo, out[lo*nOut:hi*nOut]
		*seq++
	}
	// The older chunk first, so keep sees them in order.
	order := [2]int{0, 1}
	if slots[0].pending && slots[1].pending && slots[1].seq < slots[0].seq {
		order = [2]int{1, 0}
	}
	for _, i := range order {
		if slots[i].pending {
			if err := completeChunk(d, f, i, slots[i], keep); err != nil {
				return err
			}
		}
	}
	return nil
}

// completeChunk waits for slot i's margins and finishes them.
func completeChunk[M float32 | float64](d *device, f chunkForest[M], i int, s *inflight, keep func(lo int, margins []M)) error {
	a := d.api
	code := a.WaitForEvents(1, unsafe.Pointer(&s.event))
	a.ReleaseEvent(s.event)
	s.pending = false
	if code != clSuccess {
		return clError("clWaitForEvents", code)
	}
	f.finish(i, keep)
	s.out = nil
	return nil
}

// drainChunks waits for everything queued and forgets the chunks in
// flight (after an error, so that no host buffer is still in the
// device's hands).
func drainChunks(d *device, slots [2]*inflight) {
	a := d.api
	a.Finish(d.queue)
	a.Finish(d.queue2)
	for _, s := range slots {
		if s.pending {
			a.ReleaseEvent(s.event)
			s.pending, s.out = false, nil
		}
	}
}

// kernelArg is one clSetKernelArg: the argument's size and address.
type kernelArg struct {
	size uintptr
	ptr  unsafe.Pointer
}

// chunkLaunch is one chunk's commands on a slot's in-order queue: copy
// the pinned host rows (xBytes at hostX) into x, run kernel over rows with
// args, copy margins back (marginBytes into hostMargins) with the read's
// event into *event.
type chunkLaunch struct {
	queue, kernel clHandle
	x             clHandle
	hostX         unsafe.Pointer
	xBytes        uintptr
	args          []kernelArg
	rows          int
	margins       clHandle
	hostMargins   unsafe.Pointer
	marginBytes   uintptr
	event         *clHandle
}

// launch queues c without waiting. Kernel arguments are captured when the
// kernel is enqueued, so the caller's argument values may go after.
func (d *device) launch(c chunkLaunch) error {
	a := d.api
	if code := a.EnqueueWriteBuffer(c.queue, c.x, clFalse, 0, c.xBytes, c.hostX, 0, 0, nil); code != clSuccess {
		return clError("clEnqueueWriteBuffer", code)
	}
	for i, arg := range c.args {
		if code := a.SetKernelArg(c.kernel, uint32(i), arg.size, arg.ptr); code != clSuccess {
			return fmt.Errorf("argument %d: %w", i, clError("clSetKernelArg", code))
		}
	}
	const local = 64
	global := uintptr((c.rows + local - 1) / local * local)
	localSize := uintptr(local)
	code := a.EnqueueNDRangeKernel(c.queue, c.kernel, 1, 0, unsafe.Pointer(&global), unsafe.Pointer(&localSize), 0, 0, 0)
	if d.launchFault != nil && code == clSuccess {
		code = d.launchFault()
	}
	if code != clSuccess {
		return clError("clEnqueueNDRangeKernel", code)
	}
	if code := a.EnqueueReadBuffer(c.queue, c.margins, clFalse, 0, c.marginBytes, c.hostMargins, 0, 0, unsafe.Pointer(c.event)); code != clSuccess {
		return clError("clEnqueueReadBuffer", code)
	}
	// Hand the chunk to the device now: some drivers (NVIDIA's) hold
	// queued commands until a flush, and the host next waits on the other
	// queue, which would leave this one idle instead of overlapping.
	if code := a.Flush(c.queue); code != clSuccess {
		return clError("clFlush", code)
	}
	return nil
}
