package store

import (
	"context"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// DeleteBefore deletes every block whose newest record is older than
// before and returns how many records went. Blocks straddling before are
// kept whole (an export filters by time anyway).
func (s *Store) DeleteBefore(ctx context.Context, before time.Time) (int, error) {
	cut := before.UnixMilli()
	var keys [][]byte
	var records int
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{'b'}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			if _, _, _, maxTS, ok := parseBlockKey(item.Key()); !ok || maxTS >= cut {
				continue
			}
			if err := item.Value(func(v []byte) error {
				h, _, err := decodeHeader(v)
				records += h.n
				return err
			}); err != nil {
				return err
			}
			keys = append(keys, item.KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prediction log retention: %w", err)
	}
	if err := s.deleteKeys(keys); err != nil {
		return 0, fmt.Errorf("prediction log retention: %w", err)
	}
	return records, nil
}

// DeleteMetaIf deletes the documents of namespace ns for which drop says
// so (label retention).
func (s *Store) DeleteMetaIf(ctx context.Context, ns string, drop func(key string, val []byte) bool) (int, error) {
	var keys [][]byte
	prefix := metaKey(ns, "")
	err := s.ListMeta(ctx, ns, func(key string, val []byte) error {
		if drop(key, val) {
			keys = append(keys, append(append([]byte(nil), prefix...), key...))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if err := s.deleteKeys(keys); err != nil {
		return 0, fmt.Errorf("delete %s documents: %w", ns, err)
	}
	return len(keys), nil
}

func (s *Store) deleteKeys(keys [][]byte) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range keys {
		if err := wb.Delete(k); err != nil {
			return err
		}
	}
	return wb.Flush()
}
