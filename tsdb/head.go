package tsdb

import (
	"math"
	"slices"
	"sort"

	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

const (
	minInt64 = math.MinInt64
	maxInt64 = math.MaxInt64
)

// The head keeps a series' samples in two parts: frozen, immutable
// Prometheus XOR chunks of frozenChunkSamples plain float samples (a few
// bytes per sample), then head, a sorted slice of samples (40 bytes each)
// that takes appends, out-of-order inserts and overwrites. Once head holds
// freezeAt samples its oldest frozenChunkSamples are frozen if they are all
// plain floats (no start timestamp, no histogram); an insert at or before
// the newest frozen timestamp first thaws the chunks it touches back into
// head, so freezing never changes what is stored.
const (
	frozenChunkSamples = 120
	freezeAt           = 2 * frozenChunkSamples
)

// frozenChunk is an XOR chunk of sorted, unique plain float samples.
type frozenChunk struct {
	data       []byte
	minT, maxT int64
	n          int
}

// insertResult classifies what insertHead did.
type insertResult uint8

const (
	insertedInOrder insertResult = iota
	insertedOutOfOrder
	replacedDuplicate
)

// insertHead adds smp to the head keeping it sorted with unique timestamps;
// an equal timestamp replaces the existing sample (last write wins).
// The caller holds s.mu.
func (s *memSeries) insertHead(smp sample) insertResult {
	if k := len(s.frozen); k > 0 && smp.t <= s.frozen[k-1].maxT {
		s.thawFrom(smp.t)
	}
	// Frozen samples are now all older than smp.
	n := len(s.head)
	if n == 0 || s.head[n-1].t < smp.t {
		s.head = append(s.head, smp)
		return insertedInOrder
	}
	s.mods++
	i := sort.Search(n, func(i int) bool { return s.head[i].t >= smp.t })
	if i < n && s.head[i].t == smp.t {
		s.head[i] = smp
		return replacedDuplicate
	}
	s.head = append(s.head, sample{})
	copy(s.head[i+1:], s.head[i:])
	s.head[i] = smp
	return insertedOutOfOrder
}

// thawFrom decodes the frozen chunks whose newest sample is at or after t
// back into the front of head. It counts as a non-append change.
func (s *memSeries) thawFrom(t int64) {
	k := len(s.frozen)
	for k > 0 && s.frozen[k-1].maxT >= t {
		k--
	}
	var thawed []sample
	for _, c := range s.frozen[k:] {
		thawed = c.appendSamples(thawed)
	}
	clear(s.frozen[k:])
	s.frozen = s.frozen[:k]
	s.head = append(thawed, s.head...)
	s.mods++
}

// thawAll moves every frozen sample back into head.
func (s *memSeries) thawAll() {
	if len(s.frozen) > 0 {
		s.thawFrom(minInt64)
	}
}

// maybeFreeze freezes the oldest head samples into an XOR chunk when head
// is long and they are plain floats; never while a seal holds a snapshot of
// the head (s.sealing), whose bookkeeping counts head positions.
func (s *memSeries) maybeFreeze() {
	for len(s.head) >= freezeAt && !s.sealing {
		part := s.head[:frozenChunkSamples]
		for i := range part {
			if part[i].st != 0 || part[i].h != nil || part[i].fh != nil {
				return
			}
		}
		c := chunkenc.NewXORChunk()
		app, err := c.Appender()
		if err != nil {
			return
		}
		for i := range part {
			app.Append(0, part[i].t, part[i].v)
		}
		s.frozen = append(s.frozen, frozenChunk{
			data: slices.Clone(c.Bytes()), minT: part[0].t, maxT: part[len(part)-1].t, n: len(part),
		})
		rest := copy(s.head, s.head[frozenChunkSamples:])
		clear(s.head[rest:])
		s.head = s.head[:rest]
	}
}

// appendSamples decodes the chunk onto dst.
func (c *frozenChunk) appendSamples(dst []sample) []sample {
	xc, err := chunkenc.FromData(chunkenc.EncXOR, c.data)
	if err != nil {
		panic("tsdb: frozen head chunk unreadable: " + err.Error()) // built in memory by maybeFreeze
	}
	it := xc.Iterator(nil)
	for it.Next() == chunkenc.ValFloat {
		t, v := it.At()
		dst = append(dst, sample{t: t, v: v})
	}
	return dst
}

// headLen returns the number of head samples, frozen ones included.
func (s *memSeries) headLen() int {
	n := len(s.head)
	for i := range s.frozen {
		n += s.frozen[i].n
	}
	return n
}

// headBounds returns the oldest and newest head timestamps; ok is false
// when the head is empty.
func (s *memSeries) headBounds() (minT, maxT int64, ok bool) {
	switch {
	case len(s.frozen) > 0 && len(s.head) > 0:
		return s.frozen[0].minT, s.head[len(s.head)-1].t, true
	case len(s.frozen) > 0:
		return s.frozen[0].minT, s.frozen[len(s.frozen)-1].maxT, true
	case len(s.head) > 0:
		return s.head[0].t, s.head[len(s.head)-1].t, true
	}
	return 0, 0, false
}

// headSnapshot appends every head sample, in order, to dst.
func (s *memSeries) headSnapshot(dst []sample) []sample {
	for i := range s.frozen {
		dst = s.frozen[i].appendSamples(dst)
	}
	return append(dst, s.head...)
}

// headRange appends the head samples in [mint, maxt] to dst. A histogram
// sample just before mint comes along as context for counter-reset hints
// (materialize trims it).
func (s *memSeries) headRange(dst []sample, mint, maxt int64) []sample {
	for i := range s.frozen {
		c := &s.frozen[i]
		if c.maxT < mint || c.minT > maxt {
			continue
		}
		base := len(dst)
		dst = c.appendSamples(dst)
		kept := dst[:base]
		for _, smp := range dst[base:] {
			if smp.t >= mint && smp.t <= maxt {
				kept = append(kept, smp)
			}
		}
		dst = kept
	}
	lo := sort.Search(len(s.head), func(i int) bool { return s.head[i].t >= mint })
	hi := sort.Search(len(s.head), func(i int) bool { return s.head[i].t > maxt })
	if lo < hi {
		if lo > 0 && s.head[lo-1].kind() != blockFloat {
			lo--
		}
		dst = append(dst, s.head[lo:hi]...)
	}
	return dst
}

// bumpMaxT raises s.maxT to t.
func (s *memSeries) bumpMaxT(t int64) {
	for {
		cur := s.maxT.Load()
		if cur >= t || s.maxT.CompareAndSwap(cur, t) {
			return
		}
	}
}

// overlaps reports whether a block or the head range of s overlaps
// [mint, maxt].
func (s *memSeries) overlaps(mint, maxt int64) bool {
	if s.maxT.Load() < mint {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if lo, hi, ok := s.headBounds(); ok && lo <= maxt && hi >= mint {
		return true
	}
	for _, m := range s.blocks {
		if m.minT <= maxt && m.maxT >= mint {
			return true
		}
	}
	return false
}
