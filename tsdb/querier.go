package tsdb

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/util/annotations"

	"github.com/mlectl/mlectl/tsdb/chunks"
)

// Querier returns a querier over [mint, maxt] (ms, inclusive).
func (db *DB) Querier(mint, maxt int64) (storage.Querier, error) {
	if db.closed.Load() {
		return nil, fmt.Errorf("querier: %w", errClosed)
	}
	return &querier{db: db, mint: mint, maxt: maxt}, nil
}

// ChunkQuerier returns a chunk querier over [mint, maxt].
func (db *DB) ChunkQuerier(mint, maxt int64) (storage.ChunkQuerier, error) {
	if db.closed.Load() {
		return nil, fmt.Errorf("chunk querier: %w", errClosed)
	}
	return chunkQuerier{&querier{db: db, mint: mint, maxt: maxt}}, nil
}

type querier struct {
	db         *DB
	mint, maxt int64
}

func (q *querier) Close() error { return nil }

// LabelValues returns the values of name among the series selected by ms
// that have data in the querier's [mint, maxt], as Prometheus does.
func (q *querier) LabelValues(_ context.Context, name string, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	refs, filtered := q.seriesInRange(ms)
	vals := q.db.ix.labelValues(name, refs, filtered)
	vals, _ = hints.ApplyLimit(vals)
	return vals, nil, nil
}

// LabelNames returns the label names of the series selected by ms that have
// data in the querier's [mint, maxt].
func (q *querier) LabelNames(_ context.Context, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	refs, filtered := q.seriesInRange(ms)
	names := q.db.ix.labelNames(refs, filtered)
	names, _ = hints.ApplyLimit(names)
	return names, nil, nil
}

// Time bounds at or beyond which a querier's range counts as unbounded
// (Prometheus's HTTP API sends about ±9.2e18 ms for a missing start/end).
const (
	unboundedMint = minInt64 / 2
	unboundedMaxt = maxInt64 / 2
)

// seriesInRange returns the refs of the series selected by ms with a block
// or head sample range overlapping [q.mint, q.maxt]. filtered is false when
// no filtering is needed (no matchers, unbounded range): every series.
func (q *querier) seriesInRange(ms []*labels.Matcher) (refs []uint64, filtered bool) {
	bounded := q.mint > unboundedMint || q.maxt < unboundedMaxt
	if len(ms) == 0 && !bounded {
		return nil, false
	}
	refs = q.db.ix.postingsForMatchers(ms...)
	if !bounded {
		return refs, true
	}
	out := refs[:0]
	for _, ref := range refs {
		if s := q.db.ix.getByRef(ref); s != nil && s.overlaps(q.mint, q.maxt) {
			out = append(out, ref)
		}
	}
	return out, true
}

// selected is one series picked by Select with the data it holds in range,
// captured under the series lock so a concurrent seal cannot hide samples.
// Nothing is decoded until its iterator is asked for.
type selected struct {
	ref    uint64
	lset   labels.Labels
	blocks []blockMeta   // overlapping the range, seq order
	chunks []frozenChunk // head chunks overlapping the range, oldest first
	head   []sample      // head slice samples within range, copied
}

// selectArena holds the block lists, chunk headers and head samples of
// every series of one Select in three shared slices, so a Select over many
// series allocates a few large slices rather than several per series.
type selectArena struct {
	blocks []blockMeta
	chunks []frozenChunk
	head   []sample
	bytes  []byte // copies of open chunks
}

func (q *querier) Select(ctx context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	mint, maxt := q.mint, q.maxt
	labelsOnly := false
	if hints != nil {
		mint, maxt = hints.Start, hints.End
		labelsOnly = hints.Func == "series"
	}
	refs := q.db.ix.postingsForMatchers(ms...)
	out := make([]selected, 0, len(refs))
	var ar selectArena
	for i, ref := range refs {
		if i%256 == 0 && ctx.Err() != nil {
			return storage.ErrSeriesSet(ctx.Err())
		}
		s := q.db.ix.getByRef(ref)
		if s == nil || s.maxT.Load() < mint {
			continue
		}
		sel := selected{ref: ref, lset: s.lset}
		s.mu.Lock()
		has := false
		b0 := len(ar.blocks)
		for _, m := range s.blocks {
			if m.maxT >= mint && m.minT <= maxt {
				has = true
				if !labelsOnly {
					if ar.blocks == nil {
						// Most series have one block in a short range:
						// one allocation, made only once one is seen.
						ar.blocks = make([]blockMeta, 0, len(refs)-i)
					}
					ar.blocks = append(ar.blocks, m)
				}
			}
		}
		if labelsOnly {
			has = has || s.hasHeadSamplesIn(mint, maxt)
		} else {
			if ar.chunks == nil && len(s.frozen) > 0 {
				// Likewise one head chunk each, or a few over a long range.
				ar.chunks = make([]frozenChunk, 0, len(refs)-i)
			}
			c0, h0 := len(ar.chunks), len(ar.head)
			ar.chunks, ar.bytes = s.headChunksInRange(ar.chunks, ar.bytes, mint, maxt)
			ar.head = s.headSliceRange(ar.head, mint, maxt)
			if len(ar.chunks) > c0 || len(ar.head) > h0 {
				has = true
			}
			sel.blocks = ar.blocks[b0:len(ar.blocks):len(ar.blocks)]
			sel.chunks = ar.chunks[c0:len(ar.chunks):len(ar.chunks)]
			sel.head = ar.head[h0:len(ar.head):len(ar.head)]
		}
		s.mu.Unlock()
		if has { // (without data in range nothing went into the arena)
			out = append(out, sel)
		}
	}
	if sortSeries {
		slices.SortFunc(out, func(a, b selected) int { return labels.Compare(a.lset, b.lset) })
	}
	return &seriesSet{q: q, mint: mint, maxt: maxt, sel: out, i: -1, series: make([]series, len(out))}
}

type seriesSet struct {
	q          *querier
	mint, maxt int64
	sel        []selected
	series     []series // what At returns, one allocation for all
	i          int
	err        error
}

func (ss *seriesSet) Next() bool {
	if ss.err != nil {
		return false
	}
	ss.i++
	return ss.i < len(ss.sel)
}

func (ss *seriesSet) At() storage.Series {
	s := &ss.series[ss.i]
	*s = series{ss: ss, sel: &ss.sel[ss.i]}
	return s
}

func (ss *seriesSet) Err() error                        { return ss.err }
func (ss *seriesSet) Warnings() annotations.Annotations { return nil }

type series struct {
	ss  *seriesSet
	sel *selected
}

func (s *series) Labels() labels.Labels { return s.sel.lset }

func (s *series) Iterator(it chunkenc.Iterator) chunkenc.Iterator {
	si, ok := it.(*sampleIterator)
	if !ok {
		si = &sampleIterator{}
	}
	ts, vs, ok := s.ss.q.db.materializeFloats(si.tsBuf[:0], si.vsBuf[:0], s.sel, s.ss.mint, &si.scratch)
	if ok {
		si.resetFloats(ts, vs, s.ss.mint, s.ss.maxt)
		return si
	}
	si.tsBuf, si.vsBuf = ts[:0], vs[:0]
	samples, err := s.ss.q.db.materialize(si.samples[:0], s.sel, s.ss.mint, s.ss.maxt, &si.scratch)
	si.reset(samples, err)
	return si
}

// materializeFloats decodes sel's data straight into timestamp and value
// columns when there is nothing to merge: plain float blocks all in the
// block cache that do not overlap each other, then head chunks, then plain
// float head samples, each newer than everything before it — what almost
// every series of a fleet holds. That skips materialize's copy of every
// sample into 40-byte sample structs, its dedup and its histogram pass. ok
// is false when sel needs the general merge (histograms, start timestamps,
// overlaps, out-of-order head samples, a block not cached); then nothing
// is consumed and the caller runs materialize.
func (db *DB) materializeFloats(ts []int64, vs []float64, sel *selected, mint int64, sc *decodeScratch) (_ []int64, _ []float64, ok bool) {
	last, seen := int64(0), false
	newer := func(minT, maxT int64) bool {
		if seen && minT <= last {
			return false
		}
		last, seen = maxT, true
		return true
	}
	for _, m := range sel.blocks {
		if !newer(m.minT, m.maxT) {
			return ts, vs, false
		}
	}
	for i := range sel.chunks {
		if !newer(sel.chunks[i].minT, sel.chunks[i].maxT) {
			return ts, vs, false
		}
	}
	if len(sel.head) > 0 {
		if !newer(sel.head[0].t, sel.head[len(sel.head)-1].t) {
			return ts, vs, false
		}
		for i := range sel.head {
			if sel.head[i].st != 0 || sel.head[i].h != nil || sel.head[i].fh != nil {
				return ts, vs, false
			}
		}
	}
	vals := sc.vals[:0]
	defer func() {
		clear(vals)
		sc.vals = vals[:0]
	}()
	for _, m := range sel.blocks {
		v, ok := db.cache.get(sel.ref, m.seq)
		if !ok || len(v) == 0 || v[0] != blockFloat {
			return ts, vs, false
		}
		vals = append(vals, v)
	}
	for _, v := range vals {
		var err error
		n := len(ts)
		if ts, vs, err = chunks.DecodeSince(v[1:], mint, ts, vs); err != nil || len(ts) != len(vs) {
			return ts[:n], vs[:min(n, len(vs))], false // materialize reports it
		}
	}
	for i := range sel.chunks {
		c := &sel.chunks[i]
		if c.packed {
			var err error
			n := len(ts)
			if ts, vs, err = chunks.DecodeSince(c.data, mint, ts, vs); err != nil || len(ts) != len(vs) {
				return ts[:n], vs[:min(n, len(vs))], false
			}
			continue
		}
		it := c.iterator(sc.xor)
		for it.Next() == chunkenc.ValFloat {
			t, v := it.At()
			ts, vs = append(ts, t), append(vs, v)
		}
		sc.xor = it
	}
	for i := range sel.head {
		ts, vs = append(ts, sel.head[i].t), append(vs, sel.head[i].v)
	}
	return ts, vs, true
}

// decodeScratch is the reusable decoding memory of one iterator.
type decodeScratch struct {
	tsBuf []int64
	vsBuf []float64
	key   []byte
	xor   chunkenc.Iterator
	vals  [][]byte
}

// materialize merges the series' blocks and head samples into one sorted,
// deduplicated slice within [mint, maxt]. Later blocks win over earlier ones
// and the head wins over blocks, so the last write of a timestamp wins.
//
// A block listed by Select may be gone by the time it is read: compaction
// replaced it (atomically, by blocks holding the same samples) or retention
// dropped its day. Then the series' current block list is taken again and
// read in a badger transaction opened under blocksMu, which compaction
// holds across commit and block list update, so that list and that
// transaction agree and compaction cannot hide samples.
func (db *DB) materialize(dst []sample, sel *selected, mint, maxt int64, sc *decodeScratch) ([]sample, error) {
	base := len(dst)
	ordered := true
	if len(sel.blocks) > 0 {
		// The first read's transaction opens on its first cache miss: a
		// series whose blocks are all cached costs no badger transaction.
		var txn *badger.Txn
		var missing bool
		var err error
		dst, ordered, missing, err = db.readBlocks(dst, &txn, sel, mint, maxt, false, sc)
		if txn != nil {
			txn.Discard()
		}
		if err == nil && missing {
			db.blocksMu.RLock()
			sel.blocks = db.overlappingBlocks(sel.ref, mint, maxt)
			txn = db.bdb.NewTransaction(false)
			db.blocksMu.RUnlock()
			// Only a day dropped by retention can be missing now: its data expired.
			dst, ordered, _, err = db.readBlocks(dst[:base], &txn, sel, mint, maxt, true, sc)
			txn.Discard()
		}
		if err != nil {
			return dst, err
		}
	}
	// The head: frozen chunks, then the slice, each older than the next.
	headStart := len(dst)
	for i := range sel.chunks {
		dst, sc.xor = sel.chunks[i].appendRange(dst, sc, mint, maxt)
	}
	dst = append(dst, sel.head...)
	if headStart > base && headStart < len(dst) && dst[headStart].t <= dst[headStart-1].t {
		ordered = false
	}
	if !ordered {
		dst = append(dst[:base], dedupLastWins(dst[base:])...)
	}
	return trimAndHint(dst, mint, maxt), nil
}

// readBlocks decodes sel's blocks into dst. Blocks that do not overlap each
// other are read in time order, so ordered reports a sorted result; others
// are read in write order for dedupLastWins. A missing block makes it stop
// and report missing, unless skipMissing. Blocks not in the cache are read
// in *txn, opened here on the first miss when nil (the caller discards it).
func (db *DB) readBlocks(dst []sample, txn **badger.Txn, sel *selected, mint, maxt int64, skipMissing bool, sc *decodeScratch) (_ []sample, ordered, missing bool, err error) {
	blocks := sel.blocks
	byTime := slices.IsSortedFunc(blocks, func(a, b blockMeta) int { return cmp.Compare(a.minT, b.minT) })
	if !byTime {
		blocks = slices.Clone(blocks)
		slices.SortFunc(blocks, func(a, b blockMeta) int { return cmp.Compare(a.minT, b.minT) })
	}
	ordered = true
	for i := 1; i < len(blocks); i++ {
		if blocks[i].minT <= blocks[i-1].maxT {
			ordered = false
			blocks = sel.blocks // overlapping: seq order decides duplicates
			break
		}
	}
	// Fetch every value first: when all are float blocks (and no
	// histogram in the head needs them as context) only the samples in
	// [mint, maxt] are kept.
	vals := sc.vals[:0]
	trim := !headHasHistograms(sel.head)
	for _, m := range blocks {
		v, ok := db.cache.get(sel.ref, m.seq)
		if !ok {
			sc.key = appendBlockKey(sc.key[:0], sel.ref, m)
			if *txn == nil {
				*txn = db.bdb.NewTransaction(false)
			}
			item, err := (*txn).Get(sc.key)
			if err == badger.ErrKeyNotFound {
				if skipMissing {
					continue
				}
				return dst, ordered, true, nil
			}
			if err != nil {
				return dst, ordered, false, fmt.Errorf("read block: %w", err)
			}
			if v, err = item.ValueCopy(nil); err != nil {
				return dst, ordered, false, fmt.Errorf("read block: %w", err)
			}
			db.cache.put(sel.ref, m.seq, v)
		}
		trim = trim && len(v) > 0 && (v[0] == blockFloat || v[0] == blockFloatST)
		vals = append(vals, v)
	}
	lo, hi := int64(minInt64), int64(maxInt64)
	if trim {
		lo, hi = mint, maxt
	}
	for _, v := range vals {
		dst, sc.tsBuf, sc.vsBuf, err = decodeBlockRange(dst, v, sc.tsBuf, sc.vsBuf, lo, hi)
		if err != nil {
			return dst, ordered, false, fmt.Errorf("decode block of series %d: %w", sel.ref, err)
		}
	}
	clear(vals)
	sc.vals = vals[:0]
	return dst, ordered, false, nil
}

func headHasHistograms(head []sample) bool {
	for i := range head {
		if head[i].h != nil || head[i].fh != nil {
			return true
		}
	}
	return false
}

// overlappingBlocks returns the current blocks of series ref that overlap
// [mint, maxt], in seq order.
func (db *DB) overlappingBlocks(ref uint64, mint, maxt int64) []blockMeta {
	s := db.ix.getByRef(ref)
	if s == nil {
		return nil
	}
	var out []blockMeta
	s.mu.Lock()
	for _, m := range s.blocks {
		if m.maxT >= mint && m.minT <= maxt {
			out = append(out, m)
		}
	}
	s.mu.Unlock()
	return out
}

// trimAndHint sets histogram hints over the whole merged slice, then trims
// it to [mint, maxt]. The caller owns the samples' histograms.
func trimAndHint(dst []sample, mint, maxt int64) []sample {
	setHistogramHints(dst)
	lo := sort.Search(len(dst), func(i int) bool { return dst[i].t >= mint })
	hi := sort.Search(len(dst), func(i int) bool { return dst[i].t > maxt })
	if lo > 0 {
		n := copy(dst, dst[lo:hi])
		clear(dst[n:hi])
		return dst[:n]
	}
	return dst[:hi]
}

// sampleIterator iterates a materialized sample slice, or, for a series of
// plain floats (materializeFloats), a timestamp and a value column.
type sampleIterator struct {
	samples []sample
	// floats: the columns ts and vs hold the samples (windows of tsBuf and
	// vsBuf, kept whole for reuse) and samples is unused.
	floats  bool
	ts      []int64
	vs      []float64
	tsBuf   []int64
	vsBuf   []float64
	n       int // samples in the current mode
	i       int
	err     error
	scratch decodeScratch
}

var _ chunkenc.Iterator = (*sampleIterator)(nil)

func (it *sampleIterator) reset(s []sample, err error) {
	it.samples, it.i, it.err, it.floats = s, -1, err, false
	if err != nil {
		it.samples = it.samples[:0]
	}
	it.n = len(it.samples)
}

// resetFloats iterates the samples of the columns ts, vs (sorted by time)
// within [mint, maxt].
func (it *sampleIterator) resetFloats(ts []int64, vs []float64, mint, maxt int64) {
	it.tsBuf, it.vsBuf = ts, vs
	lo, hi := 0, len(ts)
	if hi > 0 && ts[0] < mint {
		lo = sort.Search(hi, func(i int) bool { return ts[i] >= mint })
	}
	if hi > 0 && ts[hi-1] > maxt {
		hi = sort.Search(hi, func(i int) bool { return ts[i] > maxt })
	}
	if lo > hi {
		lo = hi
	}
	it.ts, it.vs = ts[lo:hi], vs[lo:hi]
	it.samples = it.samples[:0]
	it.floats, it.n, it.i, it.err = true, hi-lo, -1, nil
}

func valType(s *sample) chunkenc.ValueType {
	switch {
	case s.h != nil:
		return chunkenc.ValHistogram
	case s.fh != nil:
		return chunkenc.ValFloatHistogram
	default:
		return chunkenc.ValFloat
	}
}

func (it *sampleIterator) Next() chunkenc.ValueType {
	if it.i+1 >= it.n {
		it.i = it.n
		return chunkenc.ValNone
	}
	it.i++
	if it.floats {
		return chunkenc.ValFloat
	}
	return valType(&it.samples[it.i])
}

func (it *sampleIterator) Seek(t int64) chunkenc.ValueType {
	if it.i >= it.n {
		return chunkenc.ValNone
	}
	if it.i < 0 {
		it.i = 0
	}
	if it.floats {
		if it.ts[it.i] < t {
			rest := it.ts[it.i:]
			it.i += sort.Search(len(rest), func(j int) bool { return rest[j] >= t })
		}
		if it.i >= it.n {
			return chunkenc.ValNone
		}
		return chunkenc.ValFloat
	}
	if it.samples[it.i].t < t {
		rest := it.samples[it.i:]
		it.i += sort.Search(len(rest), func(j int) bool { return rest[j].t >= t })
	}
	if it.i >= it.n {
		return chunkenc.ValNone
	}
	return valType(&it.samples[it.i])
}

func (it *sampleIterator) At() (int64, float64) {
	if it.floats {
		return it.ts[it.i], it.vs[it.i]
	}
	s := &it.samples[it.i]
	return s.t, s.v
}

func (it *sampleIterator) AtHistogram(h *histogram.Histogram) (int64, *histogram.Histogram) {
	s := &it.samples[it.i]
	if h == nil {
		return s.t, s.h.Copy()
	}
	s.h.CopyTo(h)
	return s.t, h
}

func (it *sampleIterator) AtFloatHistogram(fh *histogram.FloatHistogram) (int64, *histogram.FloatHistogram) {
	s := &it.samples[it.i]
	if s.h != nil {
		return s.t, s.h.ToFloat(fh)
	}
	if fh == nil {
		return s.t, s.fh.Copy()
	}
	s.fh.CopyTo(fh)
	return s.t, fh
}

func (it *sampleIterator) AtT() int64 {
	if it.floats {
		return it.ts[it.i]
	}
	return it.samples[it.i].t
}

func (it *sampleIterator) AtST() int64 {
	if it.floats {
		return 0
	}
	return it.samples[it.i].st
}
func (it *sampleIterator) Err() error { return it.err }

// chunkQuerier re-encodes the merged samples into chunks.
type chunkQuerier struct{ *querier }

func (q chunkQuerier) Select(ctx context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.ChunkSeriesSet {
	return storage.NewSeriesSetToChunkSet(q.querier.Select(ctx, sortSeries, hints, ms...))
}
