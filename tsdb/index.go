package tsdb

import (
	"math/bits"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/prometheus/prometheus/model/labels"
)

// memSeries is one series: its labels, its unsealed head samples and the
// metadata of its sealed blocks. mu guards head, blocks and deleted.
//
// The fields a query reads per series (maxT, mu, blocks, the head, lset)
// come first, so at 100k series a Select touches two cache lines of each
// series rather than three.
type memSeries struct {
	// maxT is the highest timestamp ever accepted (head or blocks); it
	// anchors the out-of-order window. Read without mu.
	maxT atomic.Int64

	mu     sync.Mutex
	blocks []blockMeta   // in seq order
	frozen []frozenChunk // oldest head samples, compressed; all older than head
	head   []sample      // sorted by t, unique t
	lset   labels.Labels

	ref  uint64
	hash uint64
	mods uint64 // bumped by every non-append change to frozen or head
	// walLogged is set once the series record is in the WAL.
	walLogged atomic.Bool
	open      bool // the last frozen chunk is appendable, its state in app
	sealing   bool // a seal's snapshot counts head slice positions: do not freeze
	indexed   bool // series record persisted in badger
	deleted   bool // removed by retention; appenders must re-resolve
	// lastChunkBytes is the size of the series' last full XOR chunk: the
	// next one's buffer starts there rather than growing by doubling.
	lastChunkBytes uint16
	// app appends to the open chunk. It lives inline, next to the flags a
	// commit reads, rather than behind a pointer: at 100k series every
	// sample goes to a different series, and each pointer followed is a
	// cache miss (and the separate object cost 64 bytes of heap).
	app xorAppender
}

const seriesStripes = 256

type seriesStripe struct {
	mu     sync.RWMutex
	byHash seriesTable
	byRef  map[uint64]*memSeries
	_      [16]byte // keep stripes on separate cache lines
}

// seriesIndex maps label hashes and refs to series (striped locks) and keeps
// the inverted postings (label name -> value -> sorted refs).
type seriesIndex struct {
	stripes [seriesStripes]seriesStripe
	nextRef atomic.Uint64

	// refPages finds a series by ref with an array index instead of a map
	// lookup: refs are handed out densely from 1, so a query walking a
	// sorted postings list reads consecutive slots (one cache line serves
	// eight series) where byRef costs a hash and a random probe per series.
	// The directory only grows, copy-on-write under createMu; slots are
	// set and cleared atomically. Refs at or past maxPagedRef (only a
	// corrupt WAL could hand out such) live in byRef instead, which holds
	// no others (a map entry per series is ~30 B of heap at 100k series).
	refPages atomic.Pointer[[]*refPage]

	createMu sync.Mutex // serialises series creation
	mu       sync.RWMutex
	postings map[string]map[string][]uint64
	all      []uint64 // sorted refs of all series
	count    atomic.Int64
}

// seriesTable finds a stripe's series by label hash: open addressing with
// linear probing over (hash, series) slots. Every appended sample that
// comes by labels (remote write) does one lookup; at 100k series each is a
// cache miss, and a slot holding the full hash next to its series costs
// one, where a Go map read its control word and then the slot, often on
// another line. Series whose labels hash alike take separate slots (the
// lookup compares labels on every hash match). Not safe for concurrent
// use: the stripe's lock guards it.
type seriesTable struct {
	slots []seriesSlot // a power of two long; s == nil marks a free slot
	used  int
}

type seriesSlot struct {
	hash uint64
	s    *memSeries
}

// seriesTableShift drops the hash bits that picked the stripe.
const seriesTableShift = 8

func (t *seriesTable) get(hash uint64, lset labels.Labels) *memSeries {
	if len(t.slots) == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := (hash >> seriesTableShift) & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.s == nil {
			return nil
		}
		if sl.hash == hash && labels.Equal(sl.s.lset, lset) {
			return sl.s
		}
	}
}

// insert adds s (not in the table) under hash, growing the table to keep
// it at most 7/8 full.
func (t *seriesTable) insert(hash uint64, s *memSeries) {
	if (t.used+1)*8 > len(t.slots)*7 {
		old := t.slots
		t.slots = make([]seriesSlot, max(16, 2*len(old)))
		for _, sl := range old {
			if sl.s != nil {
				t.place(sl)
			}
		}
	}
	t.place(seriesSlot{hash: hash, s: s})
	t.used++
}

func (t *seriesTable) place(sl seriesSlot) {
	mask := uint64(len(t.slots) - 1)
	i := (sl.hash >> seriesTableShift) & mask
	for t.slots[i].s != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = sl
}

// remove deletes s, shifting back the slots after it that probed past its
// slot, so lookups need no tombstones.
func (t *seriesTable) remove(s *memSeries) {
	if len(t.slots) == 0 {
		return
	}
	mask := uint64(len(t.slots) - 1)
	i := (s.hash >> seriesTableShift) & mask
	for t.slots[i].s != s {
		if t.slots[i].s == nil {
			return // not in the table
		}
		i = (i + 1) & mask
	}
	// Backward-shift deletion: move up every later slot of the probe run
	// whose home position is not between the hole and itself.
	for j := (i + 1) & mask; t.slots[j].s != nil; j = (j + 1) & mask {
		home := (t.slots[j].hash >> seriesTableShift) & mask
		if (j-home)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = seriesSlot{}
	t.used--
}

func newSeriesIndex() *seriesIndex {
	ix := &seriesIndex{postings: map[string]map[string][]uint64{}}
	for i := range ix.stripes {
		ix.stripes[i].byRef = map[uint64]*memSeries{}
	}
	return ix
}

const (
	refPageBits = 12
	maxPagedRef = 1 << 30
)

type refPage [1 << refPageBits]atomic.Pointer[memSeries]

// setPaged points ref's slot at s (nil clears it). Growing the directory
// needs createMu, which creation holds; clearing never grows it.
func (ix *seriesIndex) setPaged(ref uint64, s *memSeries) {
	if ref >= maxPagedRef {
		return
	}
	p := int(ref >> refPageBits)
	dir := ix.refPages.Load()
	if dir == nil || p >= len(*dir) {
		if s == nil {
			return
		}
		var grown []*refPage
		if dir != nil {
			grown = append(grown, *dir...)
		}
		for len(grown) <= p {
			grown = append(grown, new(refPage))
		}
		ix.refPages.Store(&grown)
		dir = &grown
	}
	(*dir)[p][ref&(1<<refPageBits-1)].Store(s)
}

func (ix *seriesIndex) getByRef(ref uint64) *memSeries {
	if ref < maxPagedRef {
		if dir := ix.refPages.Load(); dir != nil {
			if p := int(ref >> refPageBits); p < len(*dir) {
				return (*dir)[p][ref&(1<<refPageBits-1)].Load()
			}
		}
		return nil
	}
	st := &ix.stripes[ref%seriesStripes]
	st.mu.RLock()
	s := st.byRef[ref]
	st.mu.RUnlock()
	return s
}

func (ix *seriesIndex) getByHash(hash uint64, lset labels.Labels) *memSeries {
	st := &ix.stripes[hash%seriesStripes]
	st.mu.RLock()
	s := st.byHash.get(hash, lset)
	st.mu.RUnlock()
	return s
}

// getOrCreate returns the series for lset, creating it with a fresh ref (or
// ref, when non-zero, during recovery). created reports a new series.
func (ix *seriesIndex) getOrCreate(hash uint64, lset labels.Labels, ref uint64) (s *memSeries, created bool) {
	if s := ix.getByHash(hash, lset); s != nil {
		return s, false
	}
	// Creation is serialised and publishes the series by hash only once it
	// is in the ref map and the postings: whoever finds it by its labels
	// (and commits samples to it) can be sure a query will select it.
	ix.createMu.Lock()
	defer ix.createMu.Unlock()
	if s := ix.getByHash(hash, lset); s != nil {
		return s, false
	}
	if ref != 0 && ix.getByRef(ref) != nil {
		ref = 0 // taken by another series (a replayed record of a deleted series)
	}
	if ref == 0 {
		ref = ix.nextRef.Add(1)
	} else {
		for {
			cur := ix.nextRef.Load()
			if cur >= ref || ix.nextRef.CompareAndSwap(cur, ref) {
				break
			}
		}
	}
	s = &memSeries{ref: ref, hash: hash, lset: lset.Copy()}
	s.maxT.Store(minInt64)

	if ref >= maxPagedRef {
		rs := &ix.stripes[ref%seriesStripes]
		rs.mu.Lock()
		rs.byRef[ref] = s
		rs.mu.Unlock()
	}
	ix.setPaged(ref, s)

	ix.mu.Lock()
	s.lset.Range(func(l labels.Label) {
		vals := ix.postings[l.Name]
		if vals == nil {
			vals = map[string][]uint64{}
			ix.postings[l.Name] = vals
		}
		vals[l.Value] = insertSorted(vals[l.Value], ref)
	})
	ix.all = insertSorted(ix.all, ref)
	ix.mu.Unlock()
	ix.count.Add(1)

	hs := &ix.stripes[hash%seriesStripes]
	hs.mu.Lock()
	hs.byHash.insert(hash, s)
	hs.mu.Unlock()
	return s, true
}

// remove drops s from the maps and postings.
func (ix *seriesIndex) remove(s *memSeries) {
	hs := &ix.stripes[s.hash%seriesStripes]
	hs.mu.Lock()
	hs.byHash.remove(s)
	hs.mu.Unlock()
	rs := &ix.stripes[s.ref%seriesStripes]
	rs.mu.Lock()
	delete(rs.byRef, s.ref)
	rs.mu.Unlock()
	ix.setPaged(s.ref, nil)

	ix.mu.Lock()
	s.lset.Range(func(l labels.Label) {
		vals := ix.postings[l.Name]
		p := removeSorted(vals[l.Value], s.ref)
		if len(p) == 0 {
			delete(vals, l.Value)
			if len(vals) == 0 {
				delete(ix.postings, l.Name)
			}
		} else {
			vals[l.Value] = p
		}
	})
	ix.all = removeSorted(ix.all, s.ref)
	ix.mu.Unlock()
	ix.count.Add(-1)
}

func insertSorted(p []uint64, ref uint64) []uint64 {
	if n := len(p); n == 0 || p[n-1] < ref {
		return append(p, ref)
	}
	i, found := slices.BinarySearch(p, ref)
	if found {
		return p
	}
	return slices.Insert(p, i, ref)
}

func removeSorted(p []uint64, ref uint64) []uint64 {
	i, found := slices.BinarySearch(p, ref)
	if !found {
		return p
	}
	return slices.Delete(p, i, i+1)
}

// allSeries returns every series (a snapshot), in ref order. A series is
// findable by ref before its ref enters ix.all and stops being findable
// before it leaves, so a ref found there without a series is one being
// removed.
func (ix *seriesIndex) allSeries() []*memSeries {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]*memSeries, 0, len(ix.all))
	for _, ref := range ix.all {
		if s := ix.getByRef(ref); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// postingsForMatchers returns the sorted refs of the series selected by ms,
// with Prometheus semantics: a missing label has the value "", so a matcher
// that matches "" also selects series without that label.
func (ix *seriesIndex) postingsForMatchers(ms ...*labels.Matcher) []uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()

	var (
		its    [][]uint64 // sets to intersect
		notIts [][]uint64 // sets to subtract
	)
	for _, m := range ms {
		if m.Name == "" && m.Value == "" && m.Type == labels.MatchEqual {
			continue // Prometheus's "all postings" matcher
		}
		vals := ix.postings[m.Name]
		if m.Matches("") {
			// Selected: series without the label, plus those whose value matches.
			// Compute the complement: series having a value that does not match.
			var not [][]uint64
			switch m.Type {
			case labels.MatchEqual: // name="" : every present value fails
				for _, p := range vals {
					not = append(not, p)
				}
			case labels.MatchNotEqual: // name!="x": only value x fails
				if p, ok := vals[m.Value]; ok {
					not = append(not, p)
				}
			default:
				for v, p := range vals {
					if !m.Matches(v) {
						not = append(not, p)
					}
				}
			}
			if len(not) > 0 {
				notIts = append(notIts, ix.unionPostings(not))
			}
			continue
		}
		var sel [][]uint64
		switch m.Type {
		case labels.MatchEqual:
			if p, ok := vals[m.Value]; ok {
				sel = append(sel, p)
			}
		default:
			if set := m.SetMatches(); len(set) > 0 && m.Type == labels.MatchRegexp {
				for _, v := range set {
					if p, ok := vals[v]; ok {
						sel = append(sel, p)
					}
				}
			} else {
				for v, p := range vals {
					if m.Matches(v) {
						sel = append(sel, p)
					}
				}
			}
		}
		if len(sel) == 0 {
			return nil
		}
		its = append(its, ix.unionPostings(sel))
	}
	var res []uint64
	if len(its) == 0 {
		res = slices.Clone(ix.all)
	} else {
		sort.Slice(its, func(i, j int) bool { return len(its[i]) < len(its[j]) })
		res = slices.Clone(its[0])
		for _, p := range its[1:] {
			res = intersectInto(res, p)
			if len(res) == 0 {
				return nil
			}
		}
	}
	for _, p := range notIts {
		res = subtractInto(res, p)
	}
	return res
}

// unionPostings returns the sorted union of the postings lists of several
// values of one label. A series has one value per label, so the lists are
// disjoint: when their lengths add up to every series, the union is all of
// them (`{__name__=~".+"}`), and otherwise it is collected in a bitmap over
// the refs (dense from 1), already in order, where sorting the
// concatenation cost a regex over many values O(n log n). The result may
// share memory with the index: callers do not modify it.
func (ix *seriesIndex) unionPostings(ps [][]uint64) []uint64 {
	if len(ps) == 1 {
		return ps[0]
	}
	n := 0
	for _, p := range ps {
		n += len(p)
	}
	if n == len(ix.all) {
		return ix.all
	}
	if n == 0 {
		return nil
	}
	maxRef := ix.all[len(ix.all)-1]
	if maxRef/64 > uint64(8*n) { // sparse refs: the bitmap would be mostly empty
		out := make([]uint64, 0, n)
		for _, p := range ps {
			out = append(out, p...)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	set := make([]uint64, maxRef/64+1)
	for _, p := range ps {
		for _, r := range p {
			set[r>>6] |= 1 << (r & 63)
		}
	}
	out := make([]uint64, 0, n)
	for w, word := range set {
		for word != 0 {
			out = append(out, uint64(w)<<6|uint64(bits.TrailingZeros64(word)))
			word &= word - 1
		}
	}
	return out
}

// intersectInto keeps the elements of a (owned) that are in b.
func intersectInto(a, b []uint64) []uint64 {
	out := a[:0]
	j := 0
	for _, v := range a {
		for j < len(b) && b[j] < v {
			j++
		}
		if j < len(b) && b[j] == v {
			out = append(out, v)
		}
	}
	return out
}

// subtractInto keeps the elements of a (owned) that are not in b.
func subtractInto(a, b []uint64) []uint64 {
	out := a[:0]
	j := 0
	for _, v := range a {
		for j < len(b) && b[j] < v {
			j++
		}
		if j < len(b) && b[j] == v {
			continue
		}
		out = append(out, v)
	}
	return out
}

// labelValues returns the sorted values of name, over refs when non-nil.
func (ix *seriesIndex) labelValues(name string, refs []uint64, filtered bool) []string {
	if !filtered {
		ix.mu.RLock()
		vals := ix.postings[name]
		out := make([]string, 0, len(vals))
		for v := range vals {
			out = append(out, v)
		}
		ix.mu.RUnlock()
		slices.Sort(out)
		return out
	}
	set := map[string]struct{}{}
	for _, ref := range refs {
		if s := ix.getByRef(ref); s != nil {
			if v := s.lset.Get(name); v != "" {
				set[v] = struct{}{}
			}
		}
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func (ix *seriesIndex) labelNames(refs []uint64, filtered bool) []string {
	if !filtered {
		ix.mu.RLock()
		out := make([]string, 0, len(ix.postings))
		for n := range ix.postings {
			out = append(out, n)
		}
		ix.mu.RUnlock()
		slices.Sort(out)
		return out
	}
	set := map[string]struct{}{}
	for _, ref := range refs {
		if s := ix.getByRef(ref); s != nil {
			s.lset.Range(func(l labels.Label) { set[l.Name] = struct{}{} })
		}
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
