package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/dgraph-io/badger/v4"

	"github.com/mlectl/mlectl/predlog"
)

// DefaultCompactBelow is the block size (records) below which Compact
// merges blocks.
const DefaultCompactBelow = 1024

// CompactStats says what one Compact call did.
type CompactStats struct {
	BlocksIn, BlocksOut int
	BytesIn, BytesOut   int64
}

// Compact merges runs of small blocks (fewer than below records each) of
// each model version into blocks of up to Options.MaxBlockRecords records.
// Clients that post one record per request produce one block each, whose
// zstd frame and header cost more than the record; merged, they compress
// like a batch. Each merge replaces its blocks in one transaction, so a
// crash leaves either the old blocks or the new one, and a concurrent Scan
// sees one of the two.
func (s *Store) Compact(ctx context.Context, below int) (CompactStats, error) {
	if below <= 0 {
		below = DefaultCompactBelow
	}
	if err := s.opts.DiskGuard.Check(); err != nil {
		return CompactStats{}, fmt.Errorf("compact prediction log: %w", err)
	}
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	type small struct {
		key   []byte
		n     int
		bytes int
	}
	type mv struct{ model, version string }
	groups := map[mv][]small{}
	var order []mv
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{'b'}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			m, v, _, _, ok := parseBlockKey(item.Key())
			if !ok {
				continue
			}
			var n int
			if err := item.Value(func(val []byte) error {
				h, _, err := decodeHeader(val)
				n = h.n
				return err
			}); err != nil {
				return fmt.Errorf("compact: block %q: %w", item.Key(), err)
			}
			if n >= below {
				continue
			}
			k := mv{string(m), string(v)}
			if _, seen := groups[k]; !seen {
				order = append(order, k)
			}
			groups[k] = append(groups[k], small{item.KeyCopy(nil), n, int(item.EstimatedSize())})
		}
		return nil
	})
	if err != nil {
		return CompactStats{}, err
	}
	var st CompactStats
	for _, k := range order {
		blocks := groups[k]
		for len(blocks) > 1 {
			// Take blocks (in time order, as keys sort) while they fit.
			end, total := 0, 0
			for end < len(blocks) && total+blocks[end].n <= s.opts.MaxBlockRecords {
				total += blocks[end].n
				end++
			}
			run := blocks[:max(end, 1)]
			blocks = blocks[max(end, 1):]
			if len(run) < 2 {
				continue
			}
			keys := make([][]byte, len(run))
			var in int64
			for i, b := range run {
				keys[i] = b.key
				in += int64(len(b.key) + b.bytes)
			}
			out, err := s.merge(ctx, k.model, k.version, keys)
			if err != nil {
				return st, err
			}
			st.BlocksIn += len(run)
			st.BlocksOut++
			st.BytesIn += in
			st.BytesOut += out
		}
	}
	return st, nil
}

// merge replaces the blocks at keys by one block holding all their records.
func (s *Store) merge(ctx context.Context, model, version string, keys [][]byte) (int64, error) {
	var recs []predlog.Record
	err := s.db.View(func(txn *badger.Txn) error {
		var buf []byte
		for _, key := range keys {
			_, _, minTS, _, _ := parseBlockKey(key)
			item, err := txn.Get(key)
			if err != nil {
				return err
			}
			if err := item.Value(func(v []byte) error {
				h, comp, err := decodeHeader(v)
				if err != nil {
					return err
				}
				if buf, err = s.zdec.DecodeAll(comp, buf[:0]); err != nil {
					return fmt.Errorf("%w: %v", errCorrupt, err)
				}
				got, err := decodeBlock(model, version, h, minTS, buf)
				recs = append(recs, got...)
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("compact %s/%s: %w", model, version, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	sort.SliceStable(recs, func(a, b int) bool { return recs[a].TS < recs[b].TS })
	enc := &blockEncoder{}
	hdr, err := enc.encode(nil, recs)
	if err != nil {
		return 0, err
	}
	val := s.zenc.EncodeAll(enc.payload, hdr)
	seq, err := s.seq.Next()
	if err != nil {
		return 0, fmt.Errorf("prediction log sequence: %w", err)
	}
	key := blockKey(model, version, recs[0].TS, recs[len(recs)-1].TS, seq)
	err = s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(key, val); err != nil {
			return err
		}
		for _, k := range keys {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("compact %s/%s: %w", model, version, err)
	}
	return int64(len(key) + len(val)), nil
}
