package events

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// keyPrefix namespaces events inside the shared metadata database.
var keyPrefix = []byte("ev/")

// Store is the badger-backed event log. It is safe for concurrent use.
type Store struct {
	db  *badger.DB
	now func() time.Time

	mu        sync.Mutex
	seq       uint64
	observers []func(Event)
}

// Observe calls fn with every event appended from now on, as stored (with
// its ID and time), after it is committed. Counters derived from the log
// (package delivery) count the log once at start and follow it this way.
// fn must be quick and must not append to the log.
func (s *Store) Observe(fn func(Event)) {
	s.mu.Lock()
	s.observers = append(s.observers, fn)
	s.mu.Unlock()
}

// NewStore returns the event log kept in db. now supplies the time of events
// recorded without one (time.Now when nil).
func NewStore(db *badger.DB, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	s := &Store{db: db, now: now}
	// Continue the sequence after the last stored key so IDs stay unique
	// across restarts even when the clock stands still.
	err := db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Reverse = true
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		seekKey := append(bytes.Clone(keyPrefix), 0xff)
		it.Seek(seekKey)
		if it.ValidForPrefix(keyPrefix) {
			k := it.Item().Key()
			if len(k) == len(keyPrefix)+16 {
				s.seq = binary.BigEndian.Uint64(k[len(keyPrefix)+8:])
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading event log position: %w", err)
	}
	return s, nil
}

func eventKey(t time.Time, seq uint64) []byte {
	k := make([]byte, 0, len(keyPrefix)+16)
	k = append(k, keyPrefix...)
	k = binary.BigEndian.AppendUint64(k, uint64(t.UnixNano()))
	return binary.BigEndian.AppendUint64(k, seq)
}

// Record appends e. A zero Time is replaced by the current time.
func (s *Store) Record(ctx context.Context, e Event) error {
	_, err := s.Append(ctx, e)
	return err
}

// Append appends e and returns it as stored: with its ID and time.
func (s *Store) Append(ctx context.Context, e Event) (Event, error) {
	if err := ctx.Err(); err != nil {
		return Event{}, err
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = e.Time.UTC()
	if e.Time.UnixNano() < 0 {
		return Event{}, fmt.Errorf("event field time %s is before 1970", e.Time)
	}
	s.mu.Lock()
	s.seq++
	seq := s.seq
	observers := s.observers
	s.mu.Unlock()
	key := eventKey(e.Time, seq)
	e.ID = hex.EncodeToString(key[len(keyPrefix):])
	val, err := json.Marshal(e)
	if err != nil {
		return Event{}, fmt.Errorf("encoding event: %w", err)
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(key, val) }); err != nil {
		return Event{}, fmt.Errorf("storing %s event: %w", e.Kind, err)
	}
	for _, fn := range observers {
		fn(e)
	}
	return e, nil
}

// Query returns the events that match f, oldest first.
func (s *Store) Query(ctx context.Context, f Filter) ([]Event, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	var out []Event
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 100, Prefix: keyPrefix})
		defer it.Close()
		start := bytes.Clone(keyPrefix)
		if !f.From.IsZero() && f.From.UnixNano() > 0 {
			start = eventKey(f.From, 0)
		}
		var end []byte
		if !f.To.IsZero() {
			end = eventKey(f.To, 0)
		}
		for it.Seek(start); it.ValidForPrefix(keyPrefix); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			if end != nil && bytes.Compare(item.Key(), end) >= 0 {
				break
			}
			var e Event
			if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &e) }); err != nil {
				return fmt.Errorf("decoding event %x: %w", item.Key(), err)
			}
			if !f.match(&e) {
				continue
			}
			out = append(out, e)
			if len(out) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	return out, nil
}
