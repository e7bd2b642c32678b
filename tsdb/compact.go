package tsdb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Limits of one compaction transaction. Badger refuses a transaction above
// 15% of the memtable size (2.4 MiB with our 16 MiB memtables); staying well
// below it means a transaction only fails that way when a single run is
// huge, and then that run alone is skipped.
const (
	compactTxnBytes = 1 << 20
	compactTxnOps   = 2000
	// compactRunBytes bounds the old blocks merged in one run so a run of a
	// dense series fits in one transaction.
	compactRunBytes = 256 << 10
)

// compactJob replaces the blocks old (seq order) of series s with fresh ones.
type compactJob struct {
	s    *memSeries
	old  []blockMeta
	new  []blockMeta
	vals [][]byte // encoded new blocks, for the block cache
}

// compactScratch is the reusable memory of one compaction pass.
type compactScratch struct {
	samples []sample
	tsBuf   []int64
	vsBuf   []float64
	key     []byte
}

// Compact merges, per series and UTC day, runs of blocks that overlap in
// time or hold fewer than Options.BlockSamples samples into as few blocks
// of up to BlockSamples samples as the data needs, keeping the last write
// of each timestamp (the read path's rule, so query results do not change).
//
// Each transaction deletes the old blocks and writes their replacements
// atomically, so a crash at any point leaves every sample stored exactly
// once or in its old, equivalent blocks. The in-memory block lists and the
// SamplesStored/Blocks/BlockBytes counters change only after a transaction
// commits. Compact runs in the background after every seal and on Close.
func (db *DB) Compact(ctx context.Context) error {
	db.sealMu.Lock()
	defer db.sealMu.Unlock()
	if err := db.opts.DiskGuard.Check(); err != nil {
		return fmt.Errorf("compact blocks: %w", err)
	}
	start := time.Now()
	n, err := db.compact(ctx)
	if err != nil {
		db.m.compactionFailures.Inc()
		return err
	}
	if n > 0 {
		db.m.compactions.Inc()
		db.m.compactDuration.Observe(time.Since(start).Seconds())
	}
	return nil
}

// compact runs one pass; the caller holds sealMu, which also serialises
// every other writer of memSeries.blocks (seal, retention), so the block
// lists snapshotted here stay current until the pass applies its changes.
// It returns the number of runs rewritten.
func (db *DB) compact(ctx context.Context) (int, error) {
	series := db.ix.allSeries()
	slices.SortFunc(series, func(a, b *memSeries) int { return cmp.Compare(a.ref, b.ref) })
	maxOps := compactTxnOps
	if db.opts.compactMaxTxnOps > 0 {
		maxOps = db.opts.compactMaxTxnOps
	}
	var (
		sc       compactScratch
		batch    []compactJob
		txn      *badger.Txn
		txnBytes int
		txnOps   int
		rewrote  int
		txns     int
	)
	defer func() {
		if txn != nil {
			txn.Discard()
		}
	}()
	commit := func() error {
		if txn == nil {
			return nil
		}
		if db.opts.compactCommitHook != nil {
			if err := db.opts.compactCommitHook(txns); err != nil {
				return err
			}
		}
		// Readers that must see block lists and badger agree open their
		// transaction under blocksMu (see materialize).
		db.blocksMu.Lock()
		err := txn.Commit()
		if err == nil {
			db.applyCompaction(batch)
		}
		db.blocksMu.Unlock()
		txn = nil
		if err != nil {
			return fmt.Errorf("compact blocks: commit to badger: %w", err)
		}
		txns++
		rewrote += len(batch)
		batch = batch[:0]
		txnBytes, txnOps = 0, 0
		return nil
	}
	for i, s := range series {
		if i%256 == 0 && ctx.Err() != nil {
			return rewrote, fmt.Errorf("compact blocks: %w", ctx.Err())
		}
		s.mu.Lock()
		if s.deleted || len(s.blocks) < 2 {
			s.mu.Unlock()
			continue
		}
		blocks := slices.Clone(s.blocks)
		s.mu.Unlock()
		for _, run := range planCompaction(blocks, db.opts.BlockSamples) {
			job := compactJob{s: s, old: run}
			oldBytes := 0
			for _, m := range run {
				oldBytes += int(m.bytes) + 12
			}
			// A merged run is about as large as the blocks it replaces, so
			// twice their size (new values plus deleted keys, with margin)
			// estimates what the run adds to the transaction.
			if txn != nil && (txnBytes+2*oldBytes > compactTxnBytes || txnOps+2*len(run) > maxOps) {
				if err := commit(); err != nil {
					return rewrote, err
				}
			}
			if txn == nil {
				txn = db.bdb.NewTransaction(true)
			}
			var err error
			job.new, err = db.rewriteRun(txn, &sc, &job)
			if errors.Is(err, badger.ErrTxnTooBig) && len(batch) > 0 {
				// The estimate was off: give up the staged runs (nothing of
				// them is written; the next pass retries them) and retry
				// this run in a transaction of its own.
				txn.Discard()
				txn = db.bdb.NewTransaction(true)
				batch, txnBytes, txnOps = batch[:0], 0, 0
				job.new, err = db.rewriteRun(txn, &sc, &job)
			}
			if errors.Is(err, badger.ErrTxnTooBig) {
				txn.Discard()
				txn = nil
				db.log.Warn("a run of blocks is too large to compact in one transaction; left as is",
					"series", s.lset.String(), "blocks", len(run), "bytes", oldBytes)
				continue
			}
			if err != nil {
				return rewrote, err
			}
			batch = append(batch, job)
			txnBytes += 2 * oldBytes
			txnOps += len(run) + len(job.new)
		}
	}
	return rewrote, commit()
}

// rewriteRun reads the run's blocks in txn, merges them (later blocks win
// on equal timestamps) and stages, in txn, the deletion of the old blocks
// and the writing of the merged ones, whose metadata it returns.
func (db *DB) rewriteRun(txn *badger.Txn, sc *compactScratch, job *compactJob) ([]blockMeta, error) {
	ref := job.s.ref
	sc.samples = sc.samples[:0]
	job.vals = job.vals[:0]
	for _, m := range job.old {
		sc.key = appendBlockKey(sc.key[:0], ref, m)
		item, err := txn.Get(sc.key)
		if err != nil {
			return nil, fmt.Errorf("compact blocks: read block of series %s: %w", job.s.lset, err)
		}
		if err := item.Value(func(v []byte) error {
			var derr error
			sc.samples, sc.tsBuf, sc.vsBuf, derr = decodeBlock(sc.samples, v, sc.tsBuf, sc.vsBuf)
			return derr
		}); err != nil {
			return nil, fmt.Errorf("compact blocks: decode block of series %s: %w", job.s.lset, err)
		}
	}
	merged := dedupLastWins(sc.samples)
	var metas []blockMeta
	err := db.encodeBlocks(merged, &sc.tsBuf, &sc.vsBuf, func(m blockMeta, val []byte) error {
		key := appendBlockKey(nil, ref, m)
		m.bytes = uint32(len(key) + len(val))
		metas = append(metas, m)
		job.vals = append(job.vals, val)
		return txn.Set(key, val)
	})
	if err != nil {
		return nil, fmt.Errorf("compact blocks: write merged block of series %s: %w", job.s.lset, err)
	}
	for _, m := range job.old {
		if err := txn.Delete(appendBlockKey(nil, ref, m)); err != nil {
			return nil, fmt.Errorf("compact blocks: delete old block of series %s: %w", job.s.lset, err)
		}
	}
	clear(sc.samples) // drop histogram pointers
	return metas, nil
}

// applyCompaction swaps committed jobs into the series' block lists and the
// counters. New blocks carry the highest seqs, so appending them keeps each
// list in seq order.
func (db *DB) applyCompaction(jobs []compactJob) {
	for _, j := range jobs {
		s := j.s
		s.mu.Lock()
		s.blocks = slices.DeleteFunc(s.blocks, func(m blockMeta) bool {
			return slices.ContainsFunc(j.old, func(o blockMeta) bool { return o.seq == m.seq })
		})
		s.blocks = append(s.blocks, j.new...)
		s.mu.Unlock()
		// Merged blocks replace their old ones in the block cache where a
		// query had cached one; the others wait for a query to ask.
		cached := false
		for _, m := range j.old {
			db.accountBlock(m, -1)
			if _, ok := db.cache.get(s.ref, m.seq); ok {
				cached = true
				db.cache.drop(s.ref, m.seq)
			}
		}
		for i, m := range j.new {
			db.accountBlock(m, 1)
			if cached {
				db.cache.put(s.ref, m.seq, j.vals[i])
			}
		}
		db.m.blocksCompacted.Add(float64(len(j.old)))
	}
}

// dedupLastWins sorts samples by timestamp, keeping for each timestamp the
// sample that came last in the input.
func dedupLastWins(samples []sample) []sample {
	if slices.IsSortedFunc(samples, func(a, b sample) int { return cmp.Compare(a.t, b.t) }) {
		unique := true
		for i := 1; i < len(samples) && unique; i++ {
			unique = samples[i].t != samples[i-1].t
		}
		if unique {
			return samples
		}
	}
	slices.SortStableFunc(samples, func(a, b sample) int { return cmp.Compare(a.t, b.t) })
	out := samples[:0]
	for i := range samples {
		if i+1 < len(samples) && samples[i+1].t == samples[i].t {
			continue
		}
		out = append(out, samples[i])
	}
	clear(samples[len(out):])
	return out
}

// planCompaction picks, from one series' blocks, the runs worth rewriting;
// each run is returned in seq order (the order that decides duplicates).
//
// Per UTC day the blocks are grouped into clusters that overlap in time
// (transitively), which makes clusters disjoint in time. A run is a maximal
// sequence of adjacent clusters that each either hold several (overlapping)
// blocks or one block below blockSamples. A run is rewritten when it holds
// overlapping blocks or when merging it needs fewer blocks. Because a run
// shares no time with any block outside it, its merged blocks can take
// fresh (highest) seqs without changing which write wins anywhere.
func planCompaction(blocks []blockMeta, blockSamples int) [][]blockMeta {
	byTime := slices.Clone(blocks)
	slices.SortFunc(byTime, func(a, b blockMeta) int {
		if c := cmp.Compare(a.day, b.day); c != 0 {
			return c
		}
		if c := cmp.Compare(a.minT, b.minT); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	var (
		runs                 [][]blockMeta
		run                  []blockMeta
		runSamples, runBytes int
		runOverlaps          bool
	)
	flush := func() {
		need := (runSamples + blockSamples - 1) / blockSamples
		if len(run) > 1 && (runOverlaps || need < len(run)) {
			r := slices.Clone(run)
			slices.SortFunc(r, func(a, b blockMeta) int { return cmp.Compare(a.seq, b.seq) })
			runs = append(runs, r)
		}
		run, runSamples, runBytes, runOverlaps = run[:0], 0, 0, false
	}
	for i := 0; i < len(byTime); {
		// The cluster starting at i.
		j, maxT := i+1, byTime[i].maxT
		for j < len(byTime) && byTime[j].day == byTime[i].day && byTime[j].minT <= maxT {
			maxT = max(maxT, byTime[j].maxT)
			j++
		}
		cluster := byTime[i:j]
		samples, bytes := 0, 0
		for _, m := range cluster {
			samples += int(m.count)
			bytes += int(m.bytes)
		}
		mergeable := len(cluster) > 1 || int(cluster[0].count) < blockSamples
		if !mergeable || (len(run) > 0 && (run[0].day != cluster[0].day || runBytes+bytes > compactRunBytes)) {
			flush()
		}
		if mergeable {
			run = append(run, cluster...)
			runSamples += samples
			runBytes += bytes
			runOverlaps = runOverlaps || len(cluster) > 1
		}
		i = j
	}
	flush()
	return runs
}

// encodeBlocks splits sorted samples with unique timestamps into blocks of
// at most BlockSamples samples, each within one UTC day and of one kind,
// assigns each a fresh seq and hands it to emit, which owns val (badger
// keeps a staged value until the write commits).
func (db *DB) encodeBlocks(samples []sample, tsBuf *[]int64, vsBuf *[]float64, emit func(m blockMeta, val []byte) error) error {
	for lo := 0; lo < len(samples); {
		day, kind := dayOf(samples[lo].t), samples[lo].kind()
		hi := lo + 1
		for hi < len(samples) && hi-lo < db.opts.BlockSamples && dayOf(samples[hi].t) == day && samples[hi].kind() == kind {
			hi++
		}
		var (
			val []byte
			err error
		)
		val, *tsBuf, *vsBuf, err = appendBlock(nil, samples[lo:hi], *tsBuf, *vsBuf)
		if err != nil {
			return fmt.Errorf("encode block: %w", err)
		}
		m := blockMeta{minT: samples[lo].t, maxT: samples[hi-1].t, seq: db.blockSeq.Add(1), day: day, count: uint32(hi - lo)}
		if err := emit(m, val); err != nil {
			return err
		}
		lo = hi
	}
	return nil
}
