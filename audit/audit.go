package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/mlectl/mlectl/api"
)

var (
	entryPrefix = []byte("audit/e/")
	headKey     = []byte("audit/head")
)

// genesisHash is the PrevHash of the first entry.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Entry is one audit record (api.AuditEntry).
type Entry = api.AuditEntry

// computeHash returns sha256 over the canonical JSON of e with Hash empty.
// encoding/json writes struct fields in declaration order and times in
// RFC 3339 with nanoseconds, so the encoding is deterministic.
func computeHash(e Entry) (string, error) {
	e.Hash = ""
	b, err := json.Marshal(e)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

type head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// Log is the audit log in the metadata database. Appends are serialised.
type Log struct {
	db  *badger.DB
	now func() time.Time
	mu  sync.Mutex
	// repeats are the refusal groups of the current windows (see Append).
	repeats map[refusalKey]*refusalGroup
}

// NewLog returns the audit log kept in db.
func NewLog(db *badger.DB, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{db: db, now: now, repeats: map[refusalKey]*refusalGroup{}}
}

func entryKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(bytes.Clone(entryPrefix), seq)
}

func readHead(txn *badger.Txn) (head, error) {
	item, err := txn.Get(headKey)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return head{Hash: genesisHash}, nil
	}
	if err != nil {
		return head{}, err
	}
	var h head
	err = item.Value(func(v []byte) error { return json.Unmarshal(v, &h) })
	return h, err
}

// Append chains e after the last entry and stores it; Seq, Time (when zero),
// PrevHash and Hash are filled in. It returns the stored entry.
//
// Fields are bounded (path 256 bytes, detail 2 KiB, …; see bound), so that a
// caller cannot grow the log by a megabyte per call. A refusal (401, 403,
// 429) like one already stored in the last RepeatWindow (same actor, role,
// method, status, source and detail; any path) is not stored: it is counted,
// and one summary entry with Repeats set is appended when the window is
// over (on a later Append, List, Verify or Flush). Append then returns
// the first entry of the group with Repeats so far and no error.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.UTC()
	e = bound(e)
	if err := l.flushRepeats(false); err != nil {
		return Entry{}, err
	}
	if isRefusal(e.Status) {
		k := keyOf(e)
		if g := l.repeats[k]; g != nil {
			g.count++
			g.last = e
			first := g.first
			first.Repeats = g.count
			return first, nil
		}
	}
	stored, err := l.append(e)
	if err != nil {
		return Entry{}, err
	}
	if isRefusal(e.Status) {
		if len(l.repeats) >= maxRepeatGroups {
			if err := l.flushRepeats(true); err != nil {
				return stored, err
			}
		}
		l.repeats[keyOf(e)] = &refusalGroup{first: stored}
	}
	return stored, nil
}

// Flush appends the summary entries of every pending refusal group, window
// over or not (call it before closing the database).
func (l *Log) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.flushRepeats(true)
}

// append stores e at the head of the chain; l.mu is held.
func (l *Log) append(e Entry) (Entry, error) {
	err := l.db.Update(func(txn *badger.Txn) error {
		h, err := readHead(txn)
		if err != nil {
			return fmt.Errorf("reading audit head: %w", err)
		}
		e.Seq = h.Seq + 1
		e.PrevHash = h.Hash
		if e.Hash, err = computeHash(e); err != nil {
			return err
		}
		val, err := json.Marshal(e)
		if err != nil {
			return err
		}
		hv, err := json.Marshal(head{Seq: e.Seq, Hash: e.Hash})
		if err != nil {
			return err
		}
		if err := txn.Set(entryKey(e.Seq), val); err != nil {
			return err
		}
		return txn.Set(headKey, hv)
	})
	if err != nil {
		return Entry{}, fmt.Errorf("appending audit entry: %w", err)
	}
	return e, nil
}

// List returns up to limit entries starting at sequence number from (1-based).
func (l *Log) List(ctx context.Context, from uint64, limit int) ([]Entry, error) {
	if limit <= 0 {
		limit = 1000
	}
	l.mu.Lock()
	err := l.flushRepeats(false)
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []Entry
	err = l.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 100, Prefix: entryPrefix})
		defer it.Close()
		for it.Seek(entryKey(from)); it.ValidForPrefix(entryPrefix) && len(out) < limit; it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var e Entry
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &e) }); err != nil {
				return fmt.Errorf("decoding audit entry %x: %w", it.Item().Key(), err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Report is the outcome of Verify (api.AuditReport).
type Report = api.AuditReport

// Verify walks the whole chain. A broken chain is reported in Report, not as
// an error; err is only for failures to read the database.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.flushRepeats(false); err != nil {
		return Report{}, err
	}
	var r Report
	err := l.db.View(func(txn *badger.Txn) error {
		h, err := readHead(txn)
		if err != nil {
			return fmt.Errorf("reading audit head: %w", err)
		}
		r.HeadSeq, r.HeadHash = h.Seq, h.Hash
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 100, Prefix: entryPrefix})
		defer it.Close()
		wantSeq, prev := uint64(1), genesisHash
		fail := func(seq uint64, format string, a ...any) {
			r.BadSeq, r.Problem = seq, fmt.Sprintf(format, a...)
		}
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			k := item.Key()
			if len(k) != len(entryPrefix)+8 {
				fail(wantSeq, "malformed audit key %x", k)
				return nil
			}
			keySeq := binary.BigEndian.Uint64(k[len(entryPrefix):])
			var e Entry
			if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &e) }); err != nil {
				fail(keySeq, "entry %d does not decode: %v", keySeq, err)
				return nil
			}
			r.Entries++
			switch {
			case keySeq != wantSeq:
				fail(wantSeq, "entry %d is missing (next stored entry is %d)", wantSeq, keySeq)
			case e.Seq != keySeq:
				fail(keySeq, "entry %d claims sequence number %d", keySeq, e.Seq)
			case e.PrevHash != prev:
				fail(keySeq, "entry %d does not chain to entry %d (prev_hash %.12s…, expected %.12s…)", keySeq, keySeq-1, e.PrevHash, prev)
			default:
				got, err := computeHash(e)
				if err != nil {
					return err
				}
				if got != e.Hash {
					fail(keySeq, "entry %d was modified (stored hash %.12s…, content hashes to %.12s…)", keySeq, e.Hash, got)
				}
			}
			if r.Problem != "" {
				return nil
			}
			prev, wantSeq = e.Hash, wantSeq+1
		}
		last := wantSeq - 1
		switch {
		case last != h.Seq:
			fail(last+1, "audit head records %d entries but the chain ends at entry %d: entries after %d were removed", h.Seq, last, last)
		case prev != h.Hash:
			fail(last, "audit head hash %.12s… does not match the last entry %d (%.12s…)", h.Hash, last, prev)
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("verifying audit log: %w", err)
	}
	r.OK = r.Problem == ""
	return r, nil
}
