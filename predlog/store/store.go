package store

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/klauspost/compress/zstd"

	"github.com/mlectl/mlectl/internal/diskguard"
	"github.com/mlectl/mlectl/predlog"
)

// Options configures a Store. The zero value gives the documented defaults.
type Options struct {
	// SyncWrites fsyncs every Append (survives power loss, not only kill -9).
	SyncWrites bool
	// MaxBlockRecords caps the records of one block. Default 16384.
	MaxBlockRecords int
	// Logger receives badger's warnings; nil discards them.
	Logger *slog.Logger
	// DiskGuard, when set, is asked before every write to badger (whose
	// memory-mapped writes die of SIGBUS on a full disk): below its reserve
	// Append and PutMeta fail with an error wrapping diskguard.ErrFull and
	// write nothing, so nothing stored before is put at risk.
	DiskGuard *diskguard.Guard
}

// Store is the prediction log. It is safe for concurrent use.
type Store struct {
	db   *badger.DB
	seq  *badger.Sequence
	opts Options
	zenc *zstd.Encoder
	zdec *zstd.Decoder
	encs sync.Pool // *blockEncoder

	records, storedBytes atomic.Int64
	compactMu            sync.Mutex
}

// Open opens (creating if needed) the prediction log in dir.
func Open(dir string, opts Options) (*Store, error) {
	if opts.MaxBlockRecords <= 0 {
		opts.MaxBlockRecords = 16384
	}
	bopts := badger.DefaultOptions(dir).
		WithSyncWrites(opts.SyncWrites).
		WithLogger(badgerLogger{opts.Logger}).
		WithCompression(0). // blocks are zstd already
		WithValueThreshold(1 << 10).
		WithNumVersionsToKeep(1)
	db, err := badger.Open(bopts)
	if err != nil {
		return nil, fmt.Errorf("open prediction log in %s: %w", dir, err)
	}
	seq, err := db.GetSequence([]byte("\xffseq"), 1024)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open prediction log sequence: %w", err)
	}
	zenc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
	if err != nil {
		return nil, err
	}
	zdec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		return nil, err
	}
	return &Store{db: db, seq: seq, opts: opts, zenc: zenc, zdec: zdec}, nil
}

// Close releases the sequence and closes badger.
func (s *Store) Close() error {
	err := s.seq.Release()
	s.zdec.Close()
	if cerr := s.db.Close(); cerr != nil {
		return fmt.Errorf("close prediction log: %w", cerr)
	}
	return err
}

// Stats are running totals since Open.
type Stats struct {
	// Records appended and the bytes of their blocks (keys and values).
	Records, StoredBytes int64
}

// Stats returns what Append wrote since Open.
func (s *Store) Stats() Stats {
	return Stats{Records: s.records.Load(), StoredBytes: s.storedBytes.Load()}
}

func ordTS(t int64) uint64   { return uint64(t) ^ (1 << 63) }
func unordTS(u uint64) int64 { return int64(u ^ (1 << 63)) }

func modelPrefix(dst []byte, model string) []byte {
	dst = append(dst, 'b')
	dst = append(dst, model...)
	return append(dst, 0)
}

func blockKey(model, version string, minTS, maxTS int64, seq uint64) []byte {
	k := make([]byte, 0, len(model)+len(version)+28)
	k = modelPrefix(k, model)
	k = append(k, version...)
	k = append(k, 0)
	k = binary.BigEndian.AppendUint64(k, ordTS(minTS))
	k = binary.BigEndian.AppendUint64(k, ordTS(maxTS))
	return binary.BigEndian.AppendUint64(k, seq)
}

// parseBlockKey splits a block key; ok is false for a key of another kind.
func parseBlockKey(k []byte) (model, version []byte, minTS, maxTS int64, ok bool) {
	if len(k) < 27 || k[0] != 'b' {
		return nil, nil, 0, 0, false
	}
	tail := k[len(k)-24:]
	head := k[1 : len(k)-24]
	i := bytes.IndexByte(head, 0)
	if i < 0 || head[len(head)-1] != 0 {
		return nil, nil, 0, 0, false
	}
	return head[:i], head[i+1 : len(head)-1], unordTS(binary.BigEndian.Uint64(tail)), unordTS(binary.BigEndian.Uint64(tail[8:])), true
}

// ErrInvalidName is returned for a model or version that cannot be a key.
var ErrInvalidName = errors.New("model and version must be non-empty and free of NUL bytes")

func validName(s string) bool { return s != "" && len(s) <= 1024 && !bytes.ContainsRune([]byte(s), 0) }

// Append stores recs durably: when it returns nil every record is in
// badger's write-ahead log. Records are grouped by model and version into
// blocks; recs is not modified or retained.
func (s *Store) Append(ctx context.Context, recs []predlog.Record) error {
	if len(recs) == 0 {
		return nil
	}
	type mv struct{ model, version string }
	groups := map[mv][]int{}
	var order []mv
	for i := range recs {
		k := mv{recs[i].Model, recs[i].Version}
		if !validName(k.model) || !validName(k.version) {
			return fmt.Errorf("record %d (%q/%q): %w", i, k.model, k.version, ErrInvalidName)
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	if err := s.opts.DiskGuard.Check(); err != nil {
		return fmt.Errorf("append %d prediction records: %w", len(recs), err)
	}
	enc, _ := s.encs.Get().(*blockEncoder)
	if enc == nil {
		enc = &blockEncoder{}
	}
	defer s.encs.Put(enc)

	type kv struct{ k, v []byte }
	var entries []kv
	var total int64
	var group []predlog.Record
	for _, k := range order {
		idx := groups[k]
		for len(idx) > 0 {
			n := min(len(idx), s.opts.MaxBlockRecords)
			group = group[:0]
			for _, i := range idx[:n] {
				group = append(group, recs[i])
			}
			idx = idx[n:]
			// Stable sort by time: deltas stay small and exports come out ordered.
			sort.SliceStable(group, func(a, b int) bool { return group[a].TS < group[b].TS })
			hdr, err := enc.encode(nil, group)
			if err != nil {
				return err
			}
			val := s.zenc.EncodeAll(enc.payload, hdr)
			seq, err := s.seq.Next()
			if err != nil {
				return fmt.Errorf("prediction log sequence: %w", err)
			}
			key := blockKey(k.model, k.version, group[0].TS, group[len(group)-1].TS, seq)
			entries = append(entries, kv{key, val})
			total += int64(len(key) + len(val))
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The blocks go to badger's memtable log and later into a table.
	if err := s.opts.DiskGuard.CheckFor(2 * uint64(total)); err != nil {
		return fmt.Errorf("append %d prediction records: %w", len(recs), err)
	}
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	for _, e := range entries {
		err := txn.Set(e.k, e.v)
		if errors.Is(err, badger.ErrTxnTooBig) {
			if err = txn.Commit(); err != nil {
				return fmt.Errorf("commit prediction log batch: %w", err)
			}
			txn = s.db.NewTransaction(true)
			err = txn.Set(e.k, e.v)
		}
		if err != nil {
			return fmt.Errorf("write prediction log block: %w", err)
		}
	}
	if err := txn.Commit(); err != nil {
		return fmt.Errorf("commit prediction log batch: %w", err)
	}
	s.records.Add(int64(len(recs)))
	s.storedBytes.Add(total)
	return nil
}

// Query selects records of one model; Version "" means every version. From
// is inclusive, To exclusive; a zero time leaves that side open.
type Query struct {
	Model, Version string
	From, To       time.Time
}

func (q Query) bounds() (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if !q.From.IsZero() {
		lo = q.From.UnixMilli()
	}
	if !q.To.IsZero() {
		hi = q.To.UnixMilli()
	}
	return lo, hi
}

type blockRef struct {
	key          []byte
	version      string
	minTS, maxTS int64
}

// blocks lists the blocks overlapping q, ordered by start time.
func (s *Store) blocks(ctx context.Context, txn *badger.Txn, q Query) ([]blockRef, error) {
	if q.Model == "" {
		return nil, fmt.Errorf("query: model is required")
	}
	lo, hi := q.bounds()
	prefix := modelPrefix(nil, q.Model)
	if q.Version != "" {
		prefix = append(append(prefix, q.Version...), 0)
	}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	var refs []blockRef
	for it.Rewind(); it.Valid(); it.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k := it.Item().KeyCopy(nil)
		model, version, minTS, maxTS, ok := parseBlockKey(k)
		if !ok || string(model) != q.Model {
			continue
		}
		if maxTS < lo || minTS >= hi {
			continue
		}
		refs = append(refs, blockRef{key: k, version: string(version), minTS: minTS, maxTS: maxTS})
	}
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].minTS < refs[j].minTS })
	return refs, nil
}

// FeatureNames returns the union of the feature names of q's blocks, in
// order of first appearance; it reads only block headers.
func (s *Store) FeatureNames(ctx context.Context, q Query) ([]string, error) {
	var names []string
	seen := map[string]bool{}
	err := s.db.View(func(txn *badger.Txn) error {
		refs, err := s.blocks(ctx, txn, q)
		if err != nil {
			return err
		}
		for _, ref := range refs {
			item, err := txn.Get(ref.key)
			if err != nil {
				return fmt.Errorf("read prediction log block: %w", err)
			}
			if err := item.Value(func(v []byte) error {
				h, _, err := decodeHeader(v)
				for _, n := range h.features {
					if !seen[n] {
						seen[n] = true
						names = append(names, n)
					}
				}
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return names, err
}

// Scan calls fn for every record of q in time order (records of equal time
// in the order they were stored). Blocks whose time ranges overlap are
// merged, so at most the overlapping blocks are decoded at once. fn must not
// retain r.
func (s *Store) Scan(ctx context.Context, q Query, fn func(r *predlog.Record) error) error {
	lo, hi := q.bounds()
	return s.db.View(func(txn *badger.Txn) error {
		refs, err := s.blocks(ctx, txn, q)
		if err != nil {
			return err
		}
		var buf []byte
		load := func(ref blockRef) ([]predlog.Record, error) {
			item, err := txn.Get(ref.key)
			if err != nil {
				return nil, fmt.Errorf("read prediction log block: %w", err)
			}
			var recs []predlog.Record
			err = item.Value(func(v []byte) error {
				h, comp, err := decodeHeader(v)
				if err != nil {
					return err
				}
				buf, err = s.zdec.DecodeAll(comp, buf[:0])
				if err != nil {
					return fmt.Errorf("%w: %v", errCorrupt, err)
				}
				recs, err = decodeBlock(q.Model, ref.version, h, ref.minTS, buf)
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("prediction log block %s/%s at %d: %w", q.Model, ref.version, ref.minTS, err)
			}
			return recs, nil
		}
		var open cursorHeap
		next := 0
		for next < len(refs) || len(open) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			// Open every block that may hold a record before the earliest
			// open one's current record.
			for next < len(refs) && (len(open) == 0 || refs[next].minTS <= open.top().ts()) {
				recs, err := load(refs[next])
				if err != nil {
					return err
				}
				if len(recs) > 0 {
					heap.Push(&open, &cursor{recs: recs, order: next})
				}
				next++
			}
			c := open.top()
			r := &c.recs[c.i]
			if r.TS >= lo && r.TS < hi {
				if err := fn(r); err != nil {
					return err
				}
			}
			c.i++
			if c.i == len(c.recs) {
				heap.Pop(&open)
			} else {
				heap.Fix(&open, 0)
			}
		}
		return nil
	})
}

type cursor struct {
	recs  []predlog.Record
	i     int
	order int
}

func (c *cursor) ts() int64 { return c.recs[c.i].TS }

type cursorHeap []*cursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	if h[i].ts() != h[j].ts() {
		return h[i].ts() < h[j].ts()
	}
	return h[i].order < h[j].order
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
func (h cursorHeap) top() *cursor { return h[0] }

// ModelVersion names one model version present in the log.
type ModelVersion struct{ Model, Version string }

// Models lists the model versions that have records.
func (s *Store) Models(ctx context.Context) ([]ModelVersion, error) {
	var out []ModelVersion
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{'b'}})
		defer it.Close()
		for it.Rewind(); it.Valid(); {
			if err := ctx.Err(); err != nil {
				return err
			}
			m, v, _, _, ok := parseBlockKey(it.Item().Key())
			if !ok {
				it.Next()
				continue
			}
			mv := ModelVersion{string(m), string(v)}
			out = append(out, mv)
			// Jump past this version's blocks: its keys all start with
			// model 0 version 0, and 1 sorts after 0.
			it.Seek(append(append(modelPrefix(nil, mv.Model), mv.Version...), 1))
		}
		return nil
	})
	return out, err
}

func metaKey(ns, key string) []byte {
	k := make([]byte, 0, 2+len(ns)+len(key))
	k = append(k, 'm')
	k = append(k, ns...)
	k = append(k, 0)
	return append(k, key...)
}

// ErrNotFound is returned by GetMeta for a missing key.
var ErrNotFound = errors.New("not found")

// PutMeta durably stores a small document (a baseline profile, a contract)
// under namespace ns.
func (s *Store) PutMeta(ctx context.Context, ns, key string, val []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.opts.DiskGuard.CheckFor(2 * uint64(len(val))); err != nil {
		return fmt.Errorf("store %s %q: %w", ns, key, err)
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(metaKey(ns, key), val) }); err != nil {
		return fmt.Errorf("store %s %q: %w", ns, key, err)
	}
	return nil
}

// PutMetaBatch durably stores several documents of namespace ns at once.
func (s *Store) PutMetaBatch(ctx context.Context, ns string, keys []string, vals [][]byte) error {
	if len(keys) != len(vals) {
		return errors.New("PutMetaBatch: keys and values differ in number")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.opts.DiskGuard.Check(); err != nil {
		return fmt.Errorf("store %s batch: %w", ns, err)
	}
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	for i := range keys {
		err := txn.Set(metaKey(ns, keys[i]), vals[i])
		if errors.Is(err, badger.ErrTxnTooBig) {
			if err = txn.Commit(); err != nil {
				return fmt.Errorf("store %s batch: %w", ns, err)
			}
			txn = s.db.NewTransaction(true)
			err = txn.Set(metaKey(ns, keys[i]), vals[i])
		}
		if err != nil {
			return fmt.Errorf("store %s %q: %w", ns, keys[i], err)
		}
	}
	if err := txn.Commit(); err != nil {
		return fmt.Errorf("store %s batch: %w", ns, err)
	}
	return nil
}

// GetMeta returns the document stored under ns/key, or ErrNotFound.
func (s *Store) GetMeta(ctx context.Context, ns, key string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(metaKey(ns, key))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		out, err = item.ValueCopy(nil)
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("read %s %q: %w", ns, key, err)
	}
	return out, err
}

// ListMeta calls fn for every document in namespace ns, in key order.
func (s *Store) ListMeta(ctx context.Context, ns string, fn func(key string, val []byte) error) error {
	prefix := metaKey(ns, "")
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 16})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			key := string(item.Key()[len(prefix):])
			if err := item.Value(func(v []byte) error { return fn(key, v) }); err != nil {
				return err
			}
		}
		return nil
	})
}

type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) log(level slog.Level, format string, a ...any) {
	if b.l != nil {
		b.l.Log(context.Background(), level, "predlog badger: "+fmt.Sprintf(format, a...))
	}
}
func (b badgerLogger) Errorf(f string, a ...any)   { b.log(slog.LevelError, f, a...) }
func (b badgerLogger) Warningf(f string, a ...any) { b.log(slog.LevelWarn, f, a...) }
func (b badgerLogger) Infof(string, ...any)        {}
func (b badgerLogger) Debugf(string, ...any)       {}
