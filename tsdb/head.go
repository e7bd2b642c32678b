package tsdb

import (
	"math"
	"slices"
	"sort"
	"sync"

	"github.com/prometheus/prometheus/tsdb/chunkenc"

	"github.com/mlectl/mlectl/tsdb/chunks"
)

const (
	minInt64 = math.MinInt64
	maxInt64 = math.MaxInt64
)

// The head keeps a series' samples in two parts: frozen, Prometheus XOR
// chunks of up to frozenChunkSamples plain float samples (a few bytes per
// sample), then head, a sorted slice of samples (40 bytes each) that takes
// out-of-order inserts, overwrites and samples a chunk cannot hold. As in
// Prometheus's head, in-order plain floats end up in a chunk: at the end of
// every Commit the slice's leading plain floats move into the last frozen
// chunk, which stays open (appendable) until it holds frozenChunkSamples;
// the slice is then empty for a series that only gets in-order floats, so
// the head costs a few bytes per sample instead of 40. An insert at or
// before the newest frozen timestamp first thaws the chunks it touches back
// into head, so freezing never changes what is stored.
const frozenChunkSamples = 120

// frozenChunk holds sorted, unique plain float samples: the open (last)
// chunk as a Prometheus XOR chunk, whose data appends rewrite, so readers
// copy it under the series lock; a full chunk re-encoded with the block
// codec (tsdb/chunks), immutable and 3-4 times smaller than XOR on
// node-exporter-like values, which keeps a 2h head as lean per sample as
// the blocks on disk. XOR stays for the open chunk because it appends in
// place; the block codec packs whole blocks.
type frozenChunk struct {
	data       []byte
	minT, maxT int64
	n          int
	packed     bool // data is a tsdb/chunks block, else an XOR chunk
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
	s.syncOpen()
	k := len(s.frozen)
	for k > 0 && s.frozen[k-1].maxT >= t {
		k--
	}
	var thawed []sample
	for _, c := range s.frozen[k:] {
		thawed = c.appendSamples(thawed, nil)
	}
	clear(s.frozen[k:])
	s.frozen = s.frozen[:k]
	s.closeOpen() // the open chunk is always the last one, so it was thawed
	s.head = append(thawed, s.head...)
	s.mods++
}

// thawAll moves every frozen sample back into head.
func (s *memSeries) thawAll() {
	if len(s.frozen) > 0 {
		s.thawFrom(minInt64)
	}
}

// dropFrozen forgets every frozen chunk (a seal stored them in blocks).
func (s *memSeries) dropFrozen() {
	clear(s.frozen)
	s.frozen = s.frozen[:0]
	s.closeOpen()
}

// dropFrozenPrefix forgets the first k frozen chunks (a seal stored them
// in blocks); chunks frozen since stay, the open one among them.
func (s *memSeries) dropFrozenPrefix(k int) {
	if k >= len(s.frozen) {
		s.dropFrozen()
		return
	}
	rest := copy(s.frozen, s.frozen[k:])
	clear(s.frozen[rest:])
	s.frozen = s.frozen[:rest]
}

// closeOpen forgets the open chunk's appender state (its chunk was packed,
// thawed or dropped).
func (s *memSeries) closeOpen() {
	s.open = false
	s.app = xorAppender{}
}

// syncOpen makes the open chunk's data a complete XOR chunk (its sample
// count is written lazily, see xorAppender). Whoever reads frozen chunk
// data calls it first; the caller holds s.mu.
func (s *memSeries) syncOpen() {
	if s.open {
		s.frozen[len(s.frozen)-1].data = s.app.sync()
	}
}

// maybeFreeze moves the head slice's leading plain float samples into the
// open XOR chunk, cutting a new chunk every frozenChunkSamples; never while
// a seal holds a snapshot of the head (s.sealing), whose bookkeeping counts
// head positions. The caller holds s.mu.
func (s *memSeries) maybeFreeze() {
	if s.sealing {
		return
	}
	n := 0
	for n < len(s.head) {
		smp := &s.head[n]
		if smp.st != 0 || smp.h != nil || smp.fh != nil {
			break
		}
		s.freezeOne(smp.t, smp.v)
		n++
	}
	if n == 0 {
		return
	}
	rest := copy(s.head, s.head[n:])
	clear(s.head[rest:])
	s.head = s.head[:rest]
	if rest == 0 && cap(s.head) > 8 {
		s.head = nil // a burst (a thaw, a backfill) is over: give its memory back
	}
}

// appendsToOpenChunk reports whether smp can go straight into the frozen
// chunks (freezeOne) with the same outcome as insertHead then maybeFreeze:
// a plain float newer than every head sample, the head slice empty, and no
// seal holding a snapshot. The caller holds s.mu.
func (s *memSeries) appendsToOpenChunk(smp *sample) bool {
	if s.sealing || len(s.head) > 0 || smp.st != 0 || smp.h != nil || smp.fh != nil {
		return false
	}
	k := len(s.frozen)
	return k == 0 || smp.t > s.frozen[k-1].maxT
}

// freezeOne appends a plain float sample, newer than every frozen one, to
// the open chunk, opening one when there is none or it is full.
func (s *memSeries) freezeOne(t int64, v float64) {
	if !s.open {
		s.app.start(int(s.lastChunkBytes))
		s.open = true
		s.frozen = append(s.frozen, frozenChunk{minT: t})
	}
	fc := &s.frozen[len(s.frozen)-1]
	s.app.reserve(fc.n, frozenChunkSamples)
	s.app.append(t, v)
	fc.data = s.app.b
	fc.maxT = t
	fc.n++
	if fc.n >= frozenChunkSamples {
		fc.data = s.app.sync()
		s.lastChunkBytes = uint16(min(len(fc.data), math.MaxUint16))
		fc.pack()
		s.closeOpen()
	}
}

// packScratch is the reusable memory of pack.
type packScratch struct {
	ts  []int64
	vs  []float64
	buf []byte
	it  chunkenc.Iterator
}

var packPool = sync.Pool{New: func() any { return &packScratch{} }}

// pack re-encodes a full XOR chunk with the block codec, keeping XOR (with
// its append headroom dropped) if that fails or does not save space.
//
// It never tries zstd. The codec tries it on every block of 64 samples or
// more, and on head chunks it rarely wins (1% of a node-exporter fleet's
// 120-sample chunks, saving 0.2% of their bytes; 8% of NAB's) while the
// trial was an eighth of ingest's CPU at 100k series, in the commit path.
// Sealed blocks, which are what disk holds, always try it.
func (c *frozenChunk) pack() {
	sc := packPool.Get().(*packScratch)
	defer packPool.Put(sc)
	sc.ts, sc.vs = sc.ts[:0], sc.vs[:0]
	sc.it = c.iterator(sc.it)
	for sc.it.Next() == chunkenc.ValFloat {
		t, v := sc.it.At()
		sc.ts, sc.vs = append(sc.ts, t), append(sc.vs, v)
	}
	var err error
	if sc.buf, _, err = chunks.AppendEncodedZstd(sc.buf[:0], sc.ts, sc.vs, false); err != nil || len(sc.buf) >= len(c.data) {
		c.data = slices.Clone(c.data)
		return
	}
	c.data, c.packed = slices.Clone(sc.buf), true
}

// appendSamples decodes the chunk onto dst.
// sc, when not nil, lends its buffers.
func (c *frozenChunk) appendSamples(dst []sample, sc *decodeScratch) []sample {
	if c.packed {
		if sc == nil {
			sc = &decodeScratch{}
		}
		dst, _ = c.appendRange(dst, sc, minInt64, maxInt64)
		return dst
	}
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

// snapshotSamples appends the samples of a head snapshot (its frozen
// chunks, then its slice) to dst.
func snapshotSamples(dst []sample, chunks []frozenChunk, tail []sample, sc *decodeScratch) []sample {
	n := len(tail)
	for i := range chunks {
		n += chunks[i].n
	}
	dst = slices.Grow(dst, n)
	for i := range chunks {
		dst = chunks[i].appendSamples(dst, sc)
	}
	return append(dst, tail...)
}

// headChunksInRange appends the frozen chunks overlapping [mint, maxt] to
// dst, sharing the data of full chunks (immutable) and copying the open
// one's onto arena (appends rewrite its last bytes). The caller holds s.mu;
// the result stays valid without it.
func (s *memSeries) headChunksInRange(dst []frozenChunk, arena []byte, mint, maxt int64) ([]frozenChunk, []byte) {
	s.syncOpen()
	for i := range s.frozen {
		c := s.frozen[i]
		if c.maxT < mint || c.minT > maxt {
			continue
		}
		if s.open && i == len(s.frozen)-1 {
			if cap(arena)-len(arena) < len(c.data) {
				arena = make([]byte, 0, max(64<<10, len(c.data)))
			}
			n := len(arena)
			arena = append(arena, c.data...)
			c.data = arena[n:len(arena):len(arena)]
		}
		dst = append(dst, c)
	}
	return dst, arena
}

// headSliceRange appends the head slice's samples in [mint, maxt] to dst.
// A histogram sample just before mint comes along as context for
// counter-reset hints (materialize trims it).
func (s *memSeries) headSliceRange(dst []sample, mint, maxt int64) []sample {
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

// hasHeadSamplesIn reports whether the head holds a sample in [mint, maxt],
// decoding a chunk only when it straddles a range end.
func (s *memSeries) hasHeadSamplesIn(mint, maxt int64) bool {
	s.syncOpen()
	var it chunkenc.Iterator
	for i := range s.frozen {
		c := &s.frozen[i]
		switch {
		case c.maxT < mint || c.minT > maxt:
			continue
		case c.minT >= mint || c.maxT <= maxt:
			return true // its first or last sample is inside
		}
		var sc decodeScratch
		sc.xor = it
		var got []sample
		got, it = c.appendRange(nil, &sc, mint, maxt)
		if len(got) > 0 {
			return true
		}
	}
	lo := sort.Search(len(s.head), func(i int) bool { return s.head[i].t >= mint })
	return lo < len(s.head) && s.head[lo].t <= maxt
}

// iterator returns an iterator over the chunk, reusing it when possible.
func (c *frozenChunk) iterator(it chunkenc.Iterator) chunkenc.Iterator {
	xc, err := chunkenc.FromData(chunkenc.EncXOR, c.data)
	if err != nil {
		panic("tsdb: frozen head chunk unreadable: " + err.Error()) // built in memory by freezeOne
	}
	return xc.Iterator(it)
}

// appendRange decodes the chunk's samples in [mint, maxt] onto dst, with
// sc's buffers; it returns the XOR iterator for reuse.
func (c *frozenChunk) appendRange(dst []sample, sc *decodeScratch, mint, maxt int64) ([]sample, chunkenc.Iterator) {
	if c.packed {
		var err error
		sc.tsBuf, sc.vsBuf, err = chunks.DecodeSince(c.data, mint, sc.tsBuf[:0], sc.vsBuf[:0])
		if err != nil {
			panic("tsdb: packed head chunk unreadable: " + err.Error()) // encoded in memory by pack
		}
		for i, t := range sc.tsBuf {
			if t > maxt {
				break
			}
			if t >= mint {
				dst = append(dst, sample{t: t, v: sc.vsBuf[i]})
			}
		}
		return dst, sc.xor
	}
	it := c.iterator(sc.xor)
	for it.Next() == chunkenc.ValFloat {
		t, v := it.At()
		if t < mint {
			continue
		}
		if t > maxt {
			break
		}
		dst = append(dst, sample{t: t, v: v})
	}
	return dst, it
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
