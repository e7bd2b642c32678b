package tsdb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/internal/diskguard"
	"github.com/mlectl/mlectl/tsdb/chunks"
)

// DB is an embedded time-series store implementing storage.Storage.
type DB struct {
	dir       string
	opts      Options
	log       *slog.Logger
	now       func() time.Time
	oooWindow int64 // ms; negative disables out-of-order ingestion

	bdb *badger.DB
	wal *wal
	ix  *seriesIndex
	m   *metrics

	cache *blockCache // encoded blocks recently written or read; nil when off

	// commitMu is held shared by each Commit across its WAL write and head
	// update, and exclusively to rotate the WAL and to delete series, so a
	// rotation never separates a WAL record from its head update.
	commitMu sync.RWMutex
	sealMu   sync.Mutex // one seal, compaction or retention pass at a time
	// blocksMu is held exclusively by compaction across each transaction's
	// commit and the block list update that follows, so a reader holding
	// it shared sees block lists that match its badger transaction.
	blocksMu sync.RWMutex

	blockSeq     atomic.Uint64
	headSamples  atomic.Int64
	blockSamples atomic.Int64
	blockBytes   atomic.Int64
	blockCount   atomic.Int64
	rejected     atomic.Int64
	acceptedOOO  atomic.Int64
	duplicates   atomic.Int64

	daysMu sync.Mutex
	days   map[int32]int // blocks per UTC day

	txPool    sync.Pool
	sealCh    chan struct{}
	compactCh chan struct{}
	stop      chan struct{}
	wg        sync.WaitGroup
	closed    atomic.Bool
	closeMu   sync.Mutex
	// sealDeferred: a seal was put off for lack of disk space; run retries
	// it on every WAL sync tick until it goes through.
	sealDeferred atomic.Bool
	// autoCache: the block cache's bound follows the series count (see
	// Options.BlockCacheBytes); seals adjust it.
	autoCache bool
}

var _ storage.Storage = (*DB)(nil)

// Open opens (creating if needed) the DB in dir, loading the series index
// and block metadata from badger and replaying the WAL into the head.
func Open(dir string, opts Options) (*DB, error) {
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.OutOfOrderWindow == 0 {
		opts.OutOfOrderWindow = DefaultOutOfOrderWindow
	}
	if opts.BlockSamples <= 0 {
		opts.BlockSamples = DefaultBlockSamples
	}
	if opts.BlockSamples > 1<<16 {
		opts.BlockSamples = 1 << 16
	}
	if opts.HeadMaxAge <= 0 {
		opts.HeadMaxAge = DefaultHeadMaxAge
	}
	if opts.HeadMaxSamples <= 0 {
		opts.HeadMaxSamples = DefaultHeadMaxSamples
	}
	autoCache := opts.BlockCacheBytes == 0
	if autoCache {
		opts.BlockCacheBytes = DefaultBlockCacheBytes
	}
	if opts.WALSyncInterval <= 0 {
		opts.WALSyncInterval = DefaultWALSyncInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	db := &DB{
		dir:       dir,
		opts:      opts,
		log:       opts.Logger,
		now:       opts.Now,
		oooWindow: opts.OutOfOrderWindow.Milliseconds(),
		ix:        newSeriesIndex(),
		cache:     newBlockCache(opts.BlockCacheBytes),
		autoCache: autoCache,
		days:      map[int32]int{},
		sealCh:    make(chan struct{}, 1),
		compactCh: make(chan struct{}, 1),
		stop:      make(chan struct{}),
	}
	if opts.OutOfOrderWindow < 0 {
		db.oooWindow = -1
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create tsdb dir %s: %w", dir, err)
	}
	bopts := badger.DefaultOptions(filepath.Join(dir, "badger")).
		WithLogger(badgerLogger{db.log}).
		WithValueThreshold(1 << 20).     // blocks stay inline in the SSTs, so DropPrefix frees them
		WithCompression(options.Snappy). // see doc.go: compresses the block keys
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBaseTableSize(4 << 20).
		WithValueLogFileSize(16 << 20).
		WithBlockCacheSize(16 << 20).
		WithIndexCacheSize(8 << 20).
		WithNumCompactors(2).
		WithCompactL0OnClose(true).
		WithDetectConflicts(false).
		WithMetricsEnabled(false).
		WithSyncWrites(false)
	bdb, err := badger.Open(bopts)
	if err != nil {
		return nil, fmt.Errorf("open badger in %s: %w", dir, err)
	}
	db.bdb = bdb
	db.m = newMetrics(opts.Registerer, db)
	if err := db.load(); err != nil {
		bdb.Close()
		return nil, err
	}
	db.resizeAutoCache()
	walDir := filepath.Join(dir, "wal")
	if err := os.MkdirAll(walDir, 0o755); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("create WAL dir: %w", err)
	}
	lastSeg, err := db.replay(walDir)
	if err != nil {
		bdb.Close()
		return nil, err
	}
	if db.wal, err = openWAL(walDir, lastSeg+1, opts.SyncEveryCommit, opts.walOpen); err != nil {
		bdb.Close()
		return nil, err
	}
	db.txPool.New = func() any { return &txBuffers{} }
	db.wg.Add(2)
	go db.run()
	go db.compactLoop()
	return db, nil
}

// load reads the series index and block metadata from badger.
func (db *DB) load() error {
	return db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixSeries}, PrefetchValues: false})
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			k := item.Key()
			if len(k) != 9 {
				it.Close()
				return fmt.Errorf("load series index: %w: key of %d bytes", errCorrupt, len(k))
			}
			ref := beUint64(k[1:])
			var lsErr error
			err := item.Value(func(v []byte) error {
				ls, err := decodeLabels(v)
				if err != nil {
					lsErr = err
					return nil
				}
				s, _ := db.ix.getOrCreate(ls.Hash(), ls, ref)
				s.indexed = true
				return nil
			})
			if err == nil {
				err = lsErr
			}
			if err != nil {
				it.Close()
				return fmt.Errorf("load series %d: %w", ref, err)
			}
		}
		it.Close()

		it = txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixBlock}, PrefetchValues: false})
		defer it.Close()
		orphans := 0
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			ref, m, err := parseBlockKey(item.Key())
			if err != nil {
				return fmt.Errorf("load block index: %w", err)
			}
			m.bytes = uint32(len(item.Key()) + int(item.ValueSize()))
			s := db.ix.getByRef(ref)
			if s == nil {
				orphans++
				continue
			}
			s.blocks = append(s.blocks, m)
			s.bumpMaxT(m.maxT)
			db.accountBlock(m, 1)
			for {
				cur := db.blockSeq.Load()
				if cur >= m.seq || db.blockSeq.CompareAndSwap(cur, m.seq) {
					break
				}
			}
		}
		if orphans > 0 {
			db.log.Warn("blocks without a series in the index are ignored", "blocks", orphans)
		}
		for _, s := range db.ix.allSeries() {
			slices.SortFunc(s.blocks, func(a, b blockMeta) int { return cmp.Compare(a.seq, b.seq) })
		}
		return nil
	})
}

func beUint64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[7]) | uint64(b[6])<<8 | uint64(b[5])<<16 | uint64(b[4])<<24 |
		uint64(b[3])<<32 | uint64(b[2])<<40 | uint64(b[1])<<48 | uint64(b[0])<<56
}

func (db *DB) accountBlock(m blockMeta, sign int64) {
	db.blockSamples.Add(sign * int64(m.count))
	db.blockBytes.Add(sign * int64(m.bytes))
	db.blockCount.Add(sign)
	// Before the seal or compaction that wrote m puts it in the cache.
	db.resizeAutoCache()
	db.daysMu.Lock()
	db.days[m.day] += int(sign)
	if db.days[m.day] <= 0 {
		delete(db.days, m.day)
	}
	db.daysMu.Unlock()
}

// resizeAutoCache sets the default block cache's bound from the series
// count and the blocks' average size.
func (db *DB) resizeAutoCache() {
	if !db.autoCache {
		return
	}
	var avg int64
	if n := db.blockCount.Load(); n > 0 {
		avg = db.blockBytes.Load() / n
	}
	db.cache.setBound(autoBlockCacheBytes(db.ix.count.Load(), avg))
}

// replayJob is one WAL sample for a replay worker.
type replayJob struct {
	s   *memSeries
	smp sample
}

// replayBatch is how many samples the WAL reader hands a worker at once.
const replayBatch = 4096

// replay loads the WAL into the head. One goroutine reads and decodes the
// segments and creates series as their records come; the samples go, in
// batches, to one worker per core chosen by series, so each series' samples
// are applied in WAL order by one goroutine, without locks, as before; a
// 2 h head of 100k series replayed on one core took twice Prometheus's time.
func (db *DB) replay(walDir string) (int, error) {
	// WAL refs name the series' index refs, except where the index holds
	// the series under another ref; those few are remapped.
	remap := map[uint64]*memSeries{}
	unknown := 0
	samples := 0
	workers := max(1, runtime.GOMAXPROCS(0))
	queues := make([]chan []replayJob, workers)
	free := make(chan []replayJob, 4*workers)
	added := make([]int64, workers)
	var wg sync.WaitGroup
	for w := range queues {
		queues[w] = make(chan []replayJob, 2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jobs := range queues[w] {
				for i := range jobs {
					added[w] += db.replaySample(jobs[i].s, &jobs[i].smp)
				}
				clear(jobs)
				select {
				case free <- jobs[:0]:
				default:
				}
			}
		}()
	}
	pending := make([][]replayJob, workers)
	send := func(w int) {
		queues[w] <- pending[w]
		select {
		case pending[w] = <-free:
		default:
			pending[w] = make([]replayJob, 0, replayBatch)
		}
	}
	for w := range pending {
		pending[w] = make([]replayJob, 0, replayBatch)
	}
	last, err := replayWAL(walDir, db.log.Warn, func(e *walEntry) error {
		if e.typ == walSeries {
			s, _ := db.ix.getOrCreate(e.lset.Hash(), e.lset, e.ref)
			if s.ref != e.ref {
				remap[e.ref] = s
			} else {
				delete(remap, e.ref)
			}
			return nil
		}
		var s *memSeries
		if len(remap) > 0 {
			s = remap[e.ref]
		}
		if s == nil {
			s = db.ix.getByRef(e.ref)
		}
		if s == nil {
			unknown++
			return nil
		}
		w := int(s.ref % uint64(workers))
		pending[w] = append(pending[w], replayJob{s: s, smp: e.smp})
		if len(pending[w]) == replayBatch {
			send(w)
		}
		samples++
		return nil
	})
	for w := range queues {
		if len(pending[w]) > 0 {
			queues[w] <- pending[w]
		}
		close(queues[w])
	}
	wg.Wait()
	for _, n := range added {
		db.headSamples.Add(n)
	}
	if err != nil {
		return 0, fmt.Errorf("replay WAL in %s: %w", walDir, err)
	}
	if unknown > 0 {
		db.log.Warn("WAL samples for unknown series were skipped", "samples", unknown)
	}
	if samples > 0 {
		db.log.Info("replayed WAL", "samples", samples)
	}
	return last, nil
}

// replaySample applies one WAL sample to s as Commit does, so a replayed
// head is as compact as a live one, and returns how many samples the head
// gained (0 for an overwrite).
func (db *DB) replaySample(s *memSeries, smp *sample) int64 {
	defer s.bumpMaxT(smp.t)
	if s.appendsToOpenChunk(smp) {
		s.freezeOne(smp.t, smp.v)
		return 1
	}
	n := int64(1)
	if s.insertHead(*smp) == replacedDuplicate {
		n = 0
	}
	s.maybeFreeze()
	return n
}

func (db *DB) run() {
	defer db.wg.Done()
	syncT := time.NewTicker(db.opts.WALSyncInterval)
	defer syncT.Stop()
	sealT := time.NewTicker(db.opts.HeadMaxAge)
	defer sealT.Stop()
	retT := time.NewTicker(5 * time.Minute)
	defer retT.Stop()
	ctx := context.Background()
	for {
		select {
		case <-db.stop:
			return
		case <-syncT.C:
			if err := db.wal.sync(); err != nil {
				db.log.Error("fsync WAL failed", "err", err)
			}
			if db.sealDeferred.Load() && db.opts.DiskGuard.CheckFor(db.sealNeeds()) == nil {
				db.sealLogged(ctx)
			}
		case <-sealT.C:
			db.sealLogged(ctx)
		case <-db.sealCh:
			// Commits signal every time they find the head over its limit,
			// so a signal sent while a seal ran is stale once that seal
			// emptied the head: sealing again at once would only cut what
			// arrived meanwhile into small blocks for compaction to merge,
			// and a background pass would still be running when the data
			// is queried.
			db.sealIfOverLimit(ctx)
		case <-retT.C:
			if err := db.ApplyRetention(ctx); err != nil {
				db.log.Error("retention failed", "err", err)
			}
		}
	}
}

// sealIfOverLimit seals when the head still holds HeadMaxSamples or more.
func (db *DB) sealIfOverLimit(ctx context.Context) bool {
	if db.headSamples.Load() < int64(db.opts.HeadMaxSamples) {
		return false
	}
	db.sealLogged(ctx)
	return true
}

func (db *DB) sealLogged(ctx context.Context) {
	if err := db.Flush(ctx); err != nil {
		if errors.Is(err, diskguard.ErrFull) {
			db.log.Warn("sealing the head deferred until disk space returns; the data stays in the head and WAL", "err", err)
			return
		}
		if !db.closed.Load() {
			db.log.Error("sealing the head into blocks failed; data stays in the head and WAL", "err", err)
		}
		return
	}
	select {
	case db.compactCh <- struct{}{}:
	default:
	}
}

// compactLoop compacts after background seals, in its own goroutine so a
// long pass never delays WAL fsyncs or seals by more than one run.
func (db *DB) compactLoop() {
	defer db.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-db.stop
		cancel()
	}()
	for {
		select {
		case <-db.stop:
			return
		case <-db.compactCh:
			if err := db.Compact(ctx); err != nil && ctx.Err() == nil {
				db.log.Error("compacting blocks failed; blocks stay as they were", "err", err)
			}
		}
	}
}

type sealPending struct {
	s     *memSeries
	n     int // head samples in the snapshot
	tailN int // of which in memSeries.head (the others were frozen)
	mods  uint64
	// The snapshot, kept compact until the end of the seal: the frozen
	// chunks (shared: the seal cut the open one or paused freezing, and
	// thawing only drops them, so their bytes stay as they were) and a
	// copy of the slice.
	chunks []frozenChunk
	tail   []sample
	metas  []blockMeta
}

// Flush seals every head sample into compressed blocks in badger and
// truncates the WAL.
func (db *DB) Flush(ctx context.Context) error {
	db.sealMu.Lock()
	defer db.sealMu.Unlock()
	if err := db.opts.DiskGuard.CheckFor(db.sealNeeds()); err != nil {
		db.sealDeferred.Store(true)
		db.m.sealsDeferred.Inc()
		return fmt.Errorf("seal head: %w", err)
	}
	start := time.Now()
	if err := db.seal(ctx); err != nil {
		db.m.sealFailures.Inc()
		return err
	}
	db.sealDeferred.Store(false)
	db.m.seals.Inc()
	db.m.sealDuration.Observe(time.Since(start).Seconds())
	return nil
}

// sealNeeds estimates the disk a seal takes beyond the reserve: badger
// writes the blocks to its memtable log and again to a table, at well
// under 16 bytes per head sample.
func (db *DB) sealNeeds() uint64 { return uint64(max(db.headSamples.Load(), 0)) * 32 }

func (db *DB) seal(ctx context.Context) error {
	db.commitMu.Lock()
	newSeg, err := db.wal.rotate()
	db.commitMu.Unlock()
	if err != nil {
		return fmt.Errorf("rotate WAL before sealing: %w", err)
	}
	// The series are sealed a group at a time, each group committed and
	// its sealed head chunks dropped before the next is encoded, so a seal
	// holds one group's encoded blocks and old chunks at once, not the
	// whole head's twice. The WAL segments go only after every group: a
	// crash in between replays samples that are also in blocks, which the
	// read path deduplicates, as after a crash within one group.
	series := db.ix.allSeries()
	group := sealGroupSeries
	if db.opts.sealGroupSeries > 0 {
		group = db.opts.sealGroupSeries
	}
	for lo := 0; lo < len(series); lo += group {
		if err := db.sealGroup(ctx, series[lo:min(lo+group, len(series))], lo == 0); err != nil {
			return err
		}
	}
	if err := db.wal.removeBefore(newSeg); err != nil {
		return fmt.Errorf("truncate WAL after sealing: %w", err)
	}
	return nil
}

// sealGroup seals the heads of series: encodes them into blocks on every
// core, writes the blocks in one badger batch, syncs, and drops the sealed
// samples from the heads. first says it is the seal's first group (the
// test hook runs after its snapshot).
func (db *DB) sealGroup(ctx context.Context, series []*memSeries, first bool) error {
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	// Encoding the blocks is nearly all of a seal's CPU and each series is
	// independent, so it runs on every core: contiguous shares of the
	// series, one per worker, each with its own scratch (badger's write
	// batch takes its own lock). Seqs come from one atomic counter, so a
	// series' new blocks still outrank its older ones.
	workers := min(runtime.GOMAXPROCS(0), maxSealWorkers, max(len(series)/sealSeriesPerWorker, 1))
	shares := make([]sealShare, workers)
	var failed atomic.Bool
	var wg sync.WaitGroup
	for w := range shares {
		lo, hi := w*len(series)/workers, (w+1)*len(series)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			sh := &shares[w]
			if sh.err = db.sealSeries(ctx, wb, series[lo:hi], sh, &failed); sh.err != nil {
				failed.Store(true)
			}
		}()
	}
	wg.Wait()
	if first && db.opts.afterSealSnapshot != nil {
		db.opts.afterSealSnapshot()
	}
	var pend []sealPending
	var marked []*memSeries // series whose s.sealing this seal set
	defer func() {
		for _, s := range marked { // cleared already unless the seal failed
			s.mu.Lock()
			s.sealing = false
			s.mu.Unlock()
		}
	}()
	for i := range shares {
		marked = append(marked, shares[i].marked...)
	}
	for i := range shares {
		if err := shares[i].err; err != nil {
			return err
		}
		pend = append(pend, shares[i].pend...)
	}
	var dsc decodeScratch
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("write blocks to badger: %w", err)
	}
	if err := db.bdb.Sync(); err != nil {
		return fmt.Errorf("sync badger: %w", err)
	}
	for _, p := range pend {
		s := p.s
		s.mu.Lock()
		s.indexed = true
		s.blocks = append(s.blocks, p.metas...)
		s.sealing = false
		switch {
		case p.n == 0 || s.deleted:
		case s.mods == p.mods:
			// Only in-order appends happened meanwhile: they follow the
			// sealed prefix (in chunks after the snapshot's, or, while
			// freezing paused, in the head slice after its tail), and
			// nothing was thawed.
			s.dropFrozenPrefix(len(p.chunks))
			rest := copy(s.head, s.head[p.tailN:])
			clear(s.head[rest:])
			s.head = s.head[:rest]
			db.headSamples.Add(-int64(p.n))
		default:
			// Out-of-order inserts or overwrites raced with the seal: drop
			// only the samples that are unchanged since the snapshot.
			s.thawAll()
			before := len(s.head)
			s.head = removeSealed(s.head, snapshotSamples(nil, p.chunks, p.tail, &dsc))
			db.headSamples.Add(-int64(before - len(s.head)))
		}
		if !s.deleted {
			// Appends during the seal that waited in the head slice (40
			// bytes a sample, where freezing paused) are compressed now
			// rather than on the series' next append, which never comes
			// once ingest has ended.
			s.maybeFreeze()
			if len(s.head) == 0 {
				s.head = nil
			}
		}
		s.mu.Unlock()
		// The blocks are not put in the block cache: the first query to
		// read one does, and until then a seal's output is not held in
		// memory twice (at 100k series, 70 MB of blocks no query asked for).
		for _, m := range p.metas {
			db.accountBlock(m, 1)
		}
	}
	return nil
}

// sealGroupSeries is how many series a seal encodes and commits at once.
const sealGroupSeries = 16384

// maxSealWorkers bounds a seal's encoding goroutines; sealSeriesPerWorker
// is the least work worth a goroutine.
const (
	maxSealWorkers      = 8
	sealSeriesPerWorker = 1024
)

// sealShare is one seal worker's output.
type sealShare struct {
	pend   []sealPending
	marked []*memSeries // series whose s.sealing this worker set
	err    error
}

// sealSeries snapshots each series' head, encodes it into blocks and stages
// them (and missing series records) in wb, collecting in sh what the seal
// applies once the batch is written. It stops early when failed is set (by
// another worker's error).
func (db *DB) sealSeries(ctx context.Context, wb *badger.WriteBatch, series []*memSeries, sh *sealShare, failed *atomic.Bool) error {
	var (
		snap  []sample
		dsc   decodeScratch
		tsBuf []int64
		vsBuf []float64
	)
	for i, s := range series {
		if i%1024 == 0 {
			if ctx.Err() != nil {
				return fmt.Errorf("seal head: %w", ctx.Err())
			}
			if failed.Load() {
				return nil
			}
		}
		s.mu.Lock()
		if s.deleted {
			s.mu.Unlock()
			continue
		}
		p := sealPending{s: s, n: s.headLen(), tailN: len(s.head), mods: s.mods}
		s.syncOpen() // the snapshot shares the open chunk's data
		if p.n > 0 {
			if p.tailN == 0 {
				// Only chunks: the open one is cut, so appends during the
				// seal open a new chunk after the snapshot's instead of
				// waiting in the head slice at 40 bytes a sample (at 2M
				// samples/s and a 10-s seal, 250 MB of a 100k-series head).
				s.closeOpen()
			} else {
				// The head slice's positions are the snapshot's
				// bookkeeping: freezing pauses until the seal ends.
				s.sealing = true
				sh.marked = append(sh.marked, s)
			}
			p.chunks, p.tail = slices.Clone(s.frozen), slices.Clone(s.head)
		}
		needIndex := !s.indexed
		s.mu.Unlock()
		if needIndex {
			if err := wb.Set(appendSeriesKey(nil, s.ref), appendLabels(nil, s.lset)); err != nil {
				return fmt.Errorf("write series index: %w", err)
			}
		}
		emit := func(m blockMeta, val []byte) error {
			key := appendBlockKey(nil, s.ref, m)
			m.bytes = uint32(len(key) + len(val))
			if err := wb.Set(key, val); err != nil {
				return fmt.Errorf("write block: %w", err)
			}
			p.metas = append(p.metas, m)
			return nil
		}
		var err error
		if c, ok := db.sealsAsIs(p.chunks, p.tail); ok {
			tsBuf, vsBuf, err = db.sealChunk(c, tsBuf, vsBuf, emit)
		} else {
			snap = snapshotSamples(snap[:0], p.chunks, p.tail, &dsc)
			err = db.encodeBlocks(snap, &tsBuf, &vsBuf, emit)
		}
		if err != nil {
			return fmt.Errorf("seal series %s: %w", s.lset, err)
		}
		if needIndex || p.n > 0 {
			sh.pend = append(sh.pend, p)
		}
	}
	return nil
}

// sealsAsIs returns the head's one chunk when a head snapshot is a single
// full chunk the block codec packed and that fits one block (one UTC day,
// at most BlockSamples samples): the block an encode of its samples would
// write is that chunk plus the zstd trial its packing skipped, so the seal
// reuses it rather than decoding and re-encoding (at 100k series the
// encode was most of a seal's CPU).
func (db *DB) sealsAsIs(frozen []frozenChunk, tail []sample) (*frozenChunk, bool) {
	if len(tail) != 0 || len(frozen) != 1 {
		return nil, false
	}
	c := &frozen[0]
	return c, c.packed && c.n > 0 && c.n <= db.opts.BlockSamples && dayOf(c.minT) == dayOf(c.maxT)
}

// sealChunk writes packed head chunk c as one block through emit: c's bytes,
// or the zstd frame of its samples where zstd wins, exactly what
// appendBlock writes for them.
func (db *DB) sealChunk(c *frozenChunk, tsBuf []int64, vsBuf []float64, emit func(m blockMeta, val []byte) error) ([]int64, []float64, error) {
	tsBuf, vsBuf, err := chunks.Decode(c.data, tsBuf[:0], vsBuf[:0])
	if err != nil {
		panic("tsdb: packed head chunk unreadable: " + err.Error()) // encoded in memory by pack
	}
	val := append(make([]byte, 0, 1+len(c.data)), blockFloat)
	if val, _, err = chunks.AppendWithZstdTrial(val, c.data, tsBuf, vsBuf); err != nil {
		return tsBuf, vsBuf, fmt.Errorf("encode block: %w", err)
	}
	m := blockMeta{minT: c.minT, maxT: c.maxT, seq: db.blockSeq.Add(1), day: dayOf(c.minT), count: uint32(c.n)}
	return tsBuf, vsBuf, emit(m, val)
}

// ApplyRetention deletes every UTC day of data that lies entirely before
// Now()-Retention (badger DropPrefix, which removes the SSTs' data) and
// removes series left without data.
func (db *DB) ApplyRetention(ctx context.Context) error {
	db.sealMu.Lock()
	defer db.sealMu.Unlock()
	cutoff := db.now().Add(-db.opts.Retention).UnixMilli()
	cutoffDay := dayOf(cutoff)
	db.daysMu.Lock()
	var prefixes [][]byte
	for d := range db.days {
		if d < cutoffDay {
			prefixes = append(prefixes, appendDayPrefix(nil, d))
		}
	}
	db.daysMu.Unlock()
	if len(prefixes) > 0 {
		if err := db.bdb.DropPrefix(prefixes...); err != nil {
			return fmt.Errorf("drop expired days from badger: %w", err)
		}
		db.m.retentionDropped.Add(float64(len(prefixes)))
		db.log.Info("retention dropped expired days", "days", len(prefixes), "cutoff", time.UnixMilli(cutoff).UTC())
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Series deletion excludes commits so none lands in a deleted series.
	db.commitMu.Lock()
	defer db.commitMu.Unlock()
	var gone []*memSeries
	for _, s := range db.ix.allSeries() {
		s.mu.Lock()
		keep := s.blocks[:0]
		for _, m := range s.blocks {
			if m.day < cutoffDay {
				db.accountBlock(m, -1)
				continue
			}
			keep = append(keep, m)
		}
		s.blocks = keep
		if len(s.frozen) > 0 && dayOf(s.frozen[0].minT) < cutoffDay {
			s.thawAll()
		}
		n := 0
		for n < len(s.head) && dayOf(s.head[n].t) < cutoffDay {
			n++
		}
		if n > 0 {
			rest := copy(s.head, s.head[n:])
			clear(s.head[rest:])
			s.head = s.head[:rest]
			s.mods++
			db.headSamples.Add(-int64(n))
		}
		if len(s.blocks) == 0 && s.headLen() == 0 {
			s.deleted = true
			gone = append(gone, s)
		}
		s.mu.Unlock()
	}
	if len(gone) == 0 {
		return nil
	}
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	for _, s := range gone {
		db.ix.remove(s)
		if s.indexed {
			if err := wb.Delete(appendSeriesKey(nil, s.ref)); err != nil {
				return fmt.Errorf("delete expired series: %w", err)
			}
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("delete expired series: %w", err)
	}
	db.m.seriesRemoved.Add(float64(len(gone)))
	return nil
}

// StartTime returns the oldest timestamp stored, or now when empty.
func (db *DB) StartTime() (int64, error) {
	minT := int64(maxInt64)
	for _, s := range db.ix.allSeries() {
		s.mu.Lock()
		for _, m := range s.blocks {
			minT = min(minT, m.minT)
		}
		if lo, _, ok := s.headBounds(); ok {
			minT = min(minT, lo)
		}
		s.mu.Unlock()
	}
	if minT == maxInt64 {
		return db.now().UnixMilli(), nil
	}
	return minT, nil
}

// Close seals the head into blocks (leaving the WAL empty), compacts the
// blocks and closes badger.
func (db *DB) Close() error {
	db.closeMu.Lock()
	defer db.closeMu.Unlock()
	if db.closed.Load() {
		return nil
	}
	close(db.stop)
	db.wg.Wait()
	// Refuse new commits and wait for in-flight ones, then seal everything.
	db.commitMu.Lock()
	db.closed.Store(true)
	db.commitMu.Unlock()
	ferr := db.Flush(context.Background())
	var cerr error
	if ferr == nil {
		cerr = db.Compact(context.Background())
	}
	werr := db.wal.close()
	berr := db.bdb.Close()
	if berr == nil {
		db.removeIdleDiscardStats()
	}
	if ferr != nil {
		return fmt.Errorf("close tsdb: seal head: %w", ferr)
	}
	if cerr != nil {
		return fmt.Errorf("close tsdb: compact blocks (no data lost; the blocks stay as they were): %w", cerr)
	}
	if werr != nil {
		return fmt.Errorf("close tsdb: close WAL: %w", werr)
	}
	if berr != nil {
		return fmt.Errorf("close tsdb: close badger: %w", berr)
	}
	return nil
}

// vlogHeaderSize is the size of an empty badger value log file.
const vlogHeaderSize = 20

// removeIdleDiscardStats deletes badger's DISCARD file after a clean close
// when the value log holds no values. DISCARD is a 1 MiB table of garbage
// counts per value log file that badger consults only for value log GC;
// blocks are stored inline in the SSTs, so it holds nothing, and badger
// recreates it on open. Left alone it would be most of a small DB's
// directory.
func (db *DB) removeIdleDiscardStats() {
	bdir := filepath.Join(db.dir, "badger")
	vlogs, err := filepath.Glob(filepath.Join(bdir, "*.vlog"))
	if err != nil {
		return
	}
	for _, v := range vlogs {
		if fi, err := os.Stat(v); err != nil || fi.Size() > vlogHeaderSize {
			return
		}
	}
	if err := os.Remove(filepath.Join(bdir, "DISCARD")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		db.log.Warn("could not remove badger's unused DISCARD file", "err", err)
	}
}

// dirUsage returns the bytes allocated on disk by the files under dir.
func dirUsage(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			n += st.Blocks * 512
		} else {
			n += fi.Size()
		}
		return nil
	})
	return n
}

var errClosed = errors.New("tsdb is closed")

type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error("badger: " + fmt.Sprintf(f, a...)) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn("badger: " + fmt.Sprintf(f, a...)) }
func (b badgerLogger) Infof(string, ...any)        {}
func (b badgerLogger) Debugf(string, ...any)       {}

// autoBlockCacheBytes is the default block cache bound for n series whose
// blocks average avgBlock bytes: room for one block per series, with a
// quarter to spare — a query over every series walks them in the same
// order each time, and a second-chance cache (like an LRU) even slightly
// smaller than such a walk misses on every read of it (at 100k series and
// 2 h of data, 700-byte blocks against 512 B per series, the cardinality
// query read 87% of its blocks from badger).
func autoBlockCacheBytes(n, avgBlock int64) int64 {
	per := max(blockCacheBytesPerSeries, (avgBlock+cacheEntryOverhead)*5/4)
	return min(max(DefaultBlockCacheBytes, n*per), maxAutoBlockCacheBytes)
}

// removeSealed removes from head (sorted) the samples identical to one in
// sealed (sorted); a sample overwritten since the snapshot stays.
func removeSealed(head, sealed []sample) []sample {
	out := head[:0]
	j := 0
	for _, h := range head {
		for j < len(sealed) && sealed[j].t < h.t {
			j++
		}
		if j < len(sealed) && sameSample(&sealed[j], &h) {
			continue
		}
		out = append(out, h)
	}
	clear(head[len(out):])
	return out
}

func sameSample(a, b *sample) bool {
	return a.t == b.t && a.st == b.st && math.Float64bits(a.v) == math.Float64bits(b.v) && a.h == b.h && a.fh == b.fh
}
