package cloudevents

import (
	"container/list"
	"sync"
	"time"
)

// Reasons of mle_cloudevents_unmatched_total.
const (
	ReasonNoResponse    = "no_response"    // a request whose response never came
	ReasonNoRequest     = "no_request"     // a response whose request never came
	ReasonDuplicate     = "duplicate"      // a redelivered event (id and type seen before)
	ReasonBatchMismatch = "batch_mismatch" // request and response of different batch sizes
	ReasonInvalid       = "invalid"        // a pair with a value or time the NDJSON path refuses
)

// half is one event waiting for its pair.
type half struct {
	id         string
	isResponse bool
	arrived    time.Time // server clock, for expiry
	at         time.Time // the event's time (Ce-Time), or arrived
	hasTime    bool
	model      string
	version    string
	role       string
	rows       *rows
	elem       *list.Element
}

// window joins halves by id. Pending halves are bounded by count
// (maxPending: the oldest is dropped first), by the bytes their rows hold
// (maxBytes) and by age (maxAge); the ids recently joined, kept to
// recognise a redelivered event, by count and age.
type window struct {
	mu         sync.Mutex
	maxBytes   int64 // of the pending halves' rows
	bytes      int64
	maxPending int
	maxAge     time.Duration
	pending    map[string]*half
	order      list.List // *half, oldest first
	joined     map[string]*list.Element
	joinOrder  list.List // joinedID, oldest first
	unmatched  map[string]uint64
}

type joinedID struct {
	id string
	at time.Time
}

func newWindow(maxPending int, maxBytes int64, maxAge time.Duration) *window {
	return &window{maxPending: maxPending, maxBytes: maxBytes, maxAge: maxAge, pending: map[string]*half{},
		joined: map[string]*list.Element{}, unmatched: map[string]uint64{
			ReasonNoResponse: 0, ReasonNoRequest: 0, ReasonDuplicate: 0, ReasonBatchMismatch: 0, ReasonInvalid: 0,
		}}
}

// offer adds h. It returns the pending other half when h completes a pair
// (both leave the window), or duplicate when an event of h's id and type
// is pending or was joined within the window (h is dropped and counted).
func (w *window) offer(h *half, now time.Time) (other *half, duplicate bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sweepLocked(now)
	if _, ok := w.joined[h.id]; ok {
		w.unmatched[ReasonDuplicate]++
		return nil, true
	}
	if p, ok := w.pending[h.id]; ok {
		if p.isResponse == h.isResponse {
			w.unmatched[ReasonDuplicate]++
			return nil, true
		}
		w.removeLocked(p)
		w.joined[h.id] = w.joinOrder.PushBack(joinedID{id: h.id, at: now})
		return p, false
	}
	w.addLocked(h, now)
	w.sweepLocked(now)
	return nil, false
}

// putBack returns a half taken by offer when its pair could not be stored,
// so that the sender's retry of the other half joins again.
func (w *window) putBack(h *half, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e, ok := w.joined[h.id]; ok {
		w.joinOrder.Remove(e)
		delete(w.joined, h.id)
	}
	if _, ok := w.pending[h.id]; ok {
		return
	}
	w.addLocked(h, now)
}

// count counts a pair dropped for reason.
func (w *window) count(reason string) {
	w.mu.Lock()
	w.unmatched[reason]++
	w.mu.Unlock()
}

func (w *window) removeLocked(h *half) {
	w.order.Remove(h.elem)
	delete(w.pending, h.id)
	w.bytes -= h.size()
}

func (w *window) addLocked(h *half, now time.Time) {
	h.arrived = now
	h.elem = w.order.PushBack(h)
	w.pending[h.id] = h
	w.bytes += h.size()
}

// size is what a pending half holds in memory, roughly.
func (h *half) size() int64 {
	return int64(cap(h.rows.buf)+8*cap(h.rows.ends)) + 256
}

// sweepLocked expires pending halves older than maxAge or beyond
// maxPending, and forgets joined ids on the same terms.
func (w *window) sweepLocked(now time.Time) {
	cut := now.Add(-w.maxAge)
	for e := w.order.Front(); e != nil; e = w.order.Front() {
		h := e.Value.(*half)
		if w.order.Len() <= w.maxPending && w.bytes <= w.maxBytes && !h.arrived.Before(cut) {
			break
		}
		w.removeLocked(h)
		if h.isResponse {
			w.unmatched[ReasonNoRequest]++
		} else {
			w.unmatched[ReasonNoResponse]++
		}
	}
	for e := w.joinOrder.Front(); e != nil; e = w.joinOrder.Front() {
		j := e.Value.(joinedID)
		if w.joinOrder.Len() <= w.maxPending && !j.at.Before(cut) {
			break
		}
		w.joinOrder.Remove(e)
		delete(w.joined, j.id)
	}
}

// Stats is what the window holds and has dropped.
type Stats struct {
	Pending   int               `json:"pending"`
	Unmatched map[string]uint64 `json:"unmatched"`
}

func (w *window) stats(now time.Time) Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sweepLocked(now)
	s := Stats{Pending: w.order.Len(), Unmatched: make(map[string]uint64, len(w.unmatched))}
	for k, v := range w.unmatched {
		s.Unmatched[k] = v
	}
	return s
}
