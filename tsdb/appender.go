package tsdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/storage"
)

type pendingSample struct {
	s   *memSeries
	smp sample
}

// appender buffers samples until Commit, which writes them to the WAL with
// one write(2) and then into the head. It implements both storage.Appender
// and storage.AppenderV2. Not safe for concurrent use.
type appender struct {
	db         *DB
	tx         *txBuffers // nil once committed or rolled back
	discardOOO bool
}

// txBuffers is the reusable memory of a transaction, pooled across appenders.
type txBuffers struct {
	pending []pendingSample
	buf     []byte
}

var errAppenderDone = errors.New("append: appender already committed or rolled back; start a new one")

var (
	_ storage.Appender   = (*appender)(nil)
	_ storage.AppenderV2 = appenderV2{}
)

// Appender returns a new transaction.
func (db *DB) Appender(context.Context) storage.Appender { return db.newAppender() }

// AppenderV2 returns a new transaction.
func (db *DB) AppenderV2(context.Context) storage.AppenderV2 { return appenderV2{db.newAppender()} }

func (db *DB) newAppender() *appender {
	return &appender{db: db, tx: db.txPool.Get().(*txBuffers)}
}

func (a *appender) release() {
	if a.tx == nil {
		return
	}
	clear(a.tx.pending)
	a.tx.pending = a.tx.pending[:0]
	if cap(a.tx.buf) > 16<<20 {
		a.tx.buf = nil
	}
	a.db.txPool.Put(a.tx)
	a.tx = nil
}

// series resolves ref (fast path) or lset to a live series.
func (a *appender) series(ref storage.SeriesRef, lset labels.Labels) (*memSeries, error) {
	if ref != 0 {
		if s := a.db.ix.getByRef(uint64(ref)); s != nil {
			return s, nil
		}
	}
	if lset.IsEmpty() {
		return nil, fmt.Errorf("append: empty label set (series ref %d unknown)", ref)
	}
	hash := lset.Hash()
	if s := a.db.ix.getByHash(hash, lset); s != nil {
		return s, nil
	}
	if name, dup := lset.HasDuplicateLabelNames(); dup {
		return nil, fmt.Errorf("append: label name %q appears twice in %s", name, lset)
	}
	if lset.Has("") {
		return nil, fmt.Errorf("append: empty label name in %s", lset)
	}
	clean := lset.WithoutEmpty()
	if clean.IsEmpty() {
		return nil, fmt.Errorf("append: label set %s has only empty values", lset)
	}
	if clean.Len() != lset.Len() {
		hash = clean.Hash()
	}
	s, _ := a.db.ix.getOrCreate(hash, clean, 0)
	return s, nil
}

// add validates t against the series' out-of-order window and buffers smp.
func (a *appender) add(ref storage.SeriesRef, lset labels.Labels, smp sample, discardOOO bool) (storage.SeriesRef, error) {
	if a.tx == nil {
		return 0, errAppenderDone
	}
	s, err := a.series(ref, lset)
	if err != nil {
		return 0, err
	}
	if maxT := s.maxT.Load(); smp.t < maxT {
		db := a.db
		switch {
		case db.oooWindow < 0 || discardOOO || a.discardOOO:
			db.reject("out_of_order")
			return storage.SeriesRef(s.ref), fmt.Errorf("%w: series %s sample at %d ms is %s older than its newest sample and out-of-order ingestion is off",
				storage.ErrOutOfOrderSample, s.lset, smp.t, time.Duration(maxT-smp.t)*time.Millisecond)
		case smp.t < maxT-db.oooWindow:
			db.reject("too_old")
			return storage.SeriesRef(s.ref), fmt.Errorf("%w: series %s sample at %d ms is %s older than its newest sample, beyond the %s out-of-order window",
				storage.ErrTooOldSample, s.lset, smp.t, time.Duration(maxT-smp.t)*time.Millisecond, db.opts.OutOfOrderWindow)
		}
	}
	a.tx.pending = append(a.tx.pending, pendingSample{s: s, smp: smp})
	return storage.SeriesRef(s.ref), nil
}

func (db *DB) reject(reason string) {
	db.rejected.Add(1)
	db.m.samplesRejected.WithLabelValues(reason).Inc()
}

func histSample(t, st int64, h *histogram.Histogram, fh *histogram.FloatHistogram) (sample, error) {
	switch {
	case h != nil:
		if err := h.Validate(); err != nil {
			return sample{}, fmt.Errorf("append: invalid histogram: %w", err)
		}
		return sample{t: t, st: st, h: h.Copy()}, nil
	case fh != nil:
		if err := fh.Validate(); err != nil {
			return sample{}, fmt.Errorf("append: invalid float histogram: %w", err)
		}
		return sample{t: t, st: st, fh: fh.Copy()}, nil
	}
	return sample{}, errors.New("append: histogram sample without a histogram")
}

// Append implements storage.Appender.
func (a *appender) Append(ref storage.SeriesRef, l labels.Labels, t int64, v float64) (storage.SeriesRef, error) {
	return a.add(ref, l, sample{t: t, v: v}, false)
}

// AppendHistogram implements storage.Appender.
func (a *appender) AppendHistogram(ref storage.SeriesRef, l labels.Labels, t int64, h *histogram.Histogram, fh *histogram.FloatHistogram) (storage.SeriesRef, error) {
	smp, err := histSample(t, 0, h, fh)
	if err != nil {
		return 0, err
	}
	return a.add(ref, l, smp, false)
}

// AppendSTZeroSample implements storage.Appender: a zero at the start timestamp.
func (a *appender) AppendSTZeroSample(ref storage.SeriesRef, l labels.Labels, t, st int64) (storage.SeriesRef, error) {
	if st >= t {
		return 0, storage.ErrSTNewerThanSample
	}
	s, err := a.series(ref, l)
	if err != nil {
		return 0, err
	}
	if st <= s.maxT.Load() {
		return storage.SeriesRef(s.ref), storage.ErrOutOfOrderST
	}
	return a.add(storage.SeriesRef(s.ref), l, sample{t: st}, false)
}

// AppendHistogramSTZeroSample implements storage.Appender.
func (a *appender) AppendHistogramSTZeroSample(ref storage.SeriesRef, l labels.Labels, t, st int64, h *histogram.Histogram, fh *histogram.FloatHistogram) (storage.SeriesRef, error) {
	if st >= t {
		return 0, storage.ErrSTNewerThanSample
	}
	s, err := a.series(ref, l)
	if err != nil {
		return 0, err
	}
	if st <= s.maxT.Load() {
		return storage.SeriesRef(s.ref), storage.ErrOutOfOrderST
	}
	smp := sample{t: st}
	switch {
	case h != nil:
		smp.h = &histogram.Histogram{Schema: h.Schema, ZeroThreshold: h.ZeroThreshold, CustomValues: h.CustomValues, CounterResetHint: histogram.CounterReset}
	case fh != nil:
		smp.fh = &histogram.FloatHistogram{Schema: fh.Schema, ZeroThreshold: fh.ZeroThreshold, CustomValues: fh.CustomValues, CounterResetHint: histogram.CounterReset}
	default:
		return 0, errors.New("append: histogram start-time sample without a histogram")
	}
	return a.add(storage.SeriesRef(s.ref), l, smp, false)
}

// AppendExemplar implements storage.Appender; exemplars are not stored.
func (a *appender) AppendExemplar(ref storage.SeriesRef, _ labels.Labels, _ exemplar.Exemplar) (storage.SeriesRef, error) {
	return ref, nil
}

// UpdateMetadata implements storage.Appender; metadata is not stored.
func (a *appender) UpdateMetadata(ref storage.SeriesRef, _ labels.Labels, _ metadata.Metadata) (storage.SeriesRef, error) {
	return ref, nil
}

// SetOptions implements storage.Appender.
func (a *appender) SetOptions(opts *storage.AppendOptions) {
	a.discardOOO = opts != nil && opts.DiscardOutOfOrder
}

// AppendV2 entry point: implements storage.AppenderV2.Append.
func (a *appender) appendV2(ref storage.SeriesRef, ls labels.Labels, st, t int64, v float64, h *histogram.Histogram, fh *histogram.FloatHistogram, opts storage.AppendV2Options) (storage.SeriesRef, error) {
	smp := sample{t: t, st: st, v: v}
	if h != nil || fh != nil {
		var err error
		if smp, err = histSample(t, st, h, fh); err != nil {
			return 0, err
		}
	}
	return a.add(ref, ls, smp, opts.RejectOutOfOrder)
}

// Commit writes the buffered samples to the WAL (one write) and the head.
func (a *appender) Commit() error {
	if a.tx == nil {
		return errAppenderDone
	}
	defer a.release()
	pending := a.tx.pending
	if len(pending) == 0 {
		return nil
	}
	db := a.db
	db.commitMu.RLock()
	if db.closed.Load() {
		db.commitMu.RUnlock()
		return fmt.Errorf("commit: %w", errClosed)
	}
	buf := append(a.tx.buf[:0], make([]byte, walFrameHeader)...)
	// A series record goes into every commit that finds the series not yet
	// logged, and walLogged is set only once a write carrying it succeeded:
	// a concurrent commit must not rely on a record another commit has yet
	// to write (or fails to write), or its samples would precede their
	// series in the WAL and be skipped on replay. Replaying a series record
	// twice is harmless.
	var logged map[*memSeries]struct{}
	for i := range pending {
		p := &pending[i]
		if p.s.deleted {
			// Retention removed the series since Append; re-create it.
			p.s, _ = db.ix.getOrCreate(p.s.hash, p.s.lset, 0)
		}
		if !p.s.walLogged.Load() {
			if _, ok := logged[p.s]; !ok {
				if logged == nil {
					logged = map[*memSeries]struct{}{}
				}
				logged[p.s] = struct{}{}
				buf = appendWALSeries(buf, p.s.ref, p.s.lset)
			}
		}
		buf = appendWALSample(buf, p.s.ref, &p.smp)
	}
	frameWALRecord(buf)
	a.tx.buf = buf
	if db.opts.beforeWALWrite != nil {
		db.opts.beforeWALWrite()
	}
	if err := db.wal.write(buf); err != nil {
		db.commitMu.RUnlock()
		return fmt.Errorf("commit %d samples: %w", len(pending), err)
	}
	for s := range logged {
		s.walLogged.Store(true)
	}
	var inOrder, ooo, dups int64
	var locked *memSeries
	for i := range pending {
		p := &pending[i]
		if p.s != locked {
			if locked != nil {
				locked.maybeFreeze()
				locked.mu.Unlock()
			}
			locked = p.s
			locked.mu.Lock()
		}
		older := p.smp.t < p.s.maxT.Load()
		if p.s.appendsToOpenChunk(&p.smp) {
			// The common case, a plain float newer than the head: straight
			// into the open chunk, without a round trip through the head
			// slice (another cache line per sample at 100k series).
			p.s.freezeOne(p.smp.t, p.smp.v)
			if older {
				ooo++ // older than a sealed block, newer than the head
			} else {
				inOrder++
			}
			p.s.bumpMaxT(p.smp.t)
			continue
		}
		switch p.s.insertHead(p.smp) {
		case replacedDuplicate:
			dups++
		default:
			if older {
				ooo++
			} else {
				inOrder++
			}
		}
		p.s.bumpMaxT(p.smp.t)
	}
	locked.maybeFreeze()
	locked.mu.Unlock()
	db.commitMu.RUnlock()

	db.headSamples.Add(inOrder + ooo)
	if ooo > 0 {
		db.acceptedOOO.Add(ooo)
		db.m.appendedOOO.Add(float64(ooo))
	}
	if dups > 0 {
		db.duplicates.Add(dups)
		db.m.appendedDup.Add(float64(dups))
	}
	db.m.appendedInOrder.Add(float64(inOrder))
	if db.opts.sealEveryCommit {
		return db.Flush(context.Background())
	}
	if db.headSamples.Load() >= int64(db.opts.HeadMaxSamples) {
		select {
		case db.sealCh <- struct{}{}:
		default:
		}
	}
	return nil
}

// Rollback discards the buffered samples.
func (a *appender) Rollback() error {
	a.release()
	return nil
}

// appenderV2 adapts appender to storage.AppenderV2 (whose Append has a
// different signature from storage.Appender's).
type appenderV2 struct{ *appender }

func (a appenderV2) Append(ref storage.SeriesRef, ls labels.Labels, st, t int64, v float64, h *histogram.Histogram, fh *histogram.FloatHistogram, opts storage.AppendV2Options) (storage.SeriesRef, error) {
	return a.appendV2(ref, ls, st, t, v, h, fh, opts)
}
