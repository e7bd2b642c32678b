package training

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/internal/series"
	"github.com/mlectl/mlectl/registry"
)

// Run is one training job; the wire type lives in package api.
type Run = api.TrainingRun

// keyPrefix namespaces training runs inside the metadata database.
var keyPrefix = []byte("tr/")

// ErrInvalid marks a run refused for one of its fields (a 400).
var ErrInvalid = errors.New("invalid training run")

// ErrUnknownModel marks a run for a model the registry does not know.
var ErrUnknownModel = errors.New("unknown model")

// MaxFutureSkew is how far ahead of the collector's clock a run may end.
const MaxFutureSkew = 10 * time.Minute

// DefaultLimit bounds a listing that sets no limit.
const DefaultLimit = 1000

// Models says whether a model is known (the registry).
type Models interface {
	Known(ctx context.Context, model string) (bool, error)
}

type countKey struct{ model, status string }

// Store is the badger-backed training-run log with its counters. It is
// safe for concurrent use.
type Store struct {
	db     *badger.DB
	models Models
	now    func() time.Time

	mu    sync.Mutex
	seq   uint64
	runs  map[countKey]int64
	costs map[string]float64
}

// Open returns the log kept in db and counts what it holds. models may be
// nil (every model is known); now is time.Now when nil.
func Open(ctx context.Context, db *badger.DB, models Models, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	s := &Store{db: db, models: models, now: now, runs: map[countKey]int64{}, costs: map[string]float64{}}
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 100, Prefix: keyPrefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			if k := item.Key(); len(k) == len(keyPrefix)+16 {
				s.seq = max(s.seq, binary.BigEndian.Uint64(k[len(keyPrefix)+8:]))
			}
			var r Run
			if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
				return fmt.Errorf("decoding training run %x: %w", item.Key(), err)
			}
			s.count(r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the training-run log: %w", err)
	}
	return s, nil
}

func (s *Store) count(r Run) {
	s.runs[countKey{r.Model, r.Status}]++
	s.costs[r.Model] += r.Cost
}

// Validate reports the first field that makes r unfit for the log, worded
// for the sender; now is the collector's clock.
func Validate(r Run, now time.Time) error {
	switch {
	case r.Model == "":
		return fmt.Errorf("%w: field model is empty", ErrInvalid)
	case len(r.Model) > 256:
		return fmt.Errorf("%w: field model is longer than 256 bytes", ErrInvalid)
	case len(r.Version) > 256:
		return fmt.Errorf("%w: field version is longer than 256 bytes", ErrInvalid)
	case !slices.Contains(api.TrainingStatuses, r.Status):
		return fmt.Errorf("%w: field status %q is not one of %v", ErrInvalid, r.Status, api.TrainingStatuses)
	case r.Started.IsZero():
		return fmt.Errorf("%w: field started is missing (RFC 3339 time the run started)", ErrInvalid)
	case r.Started.UnixNano() <= 0:
		return fmt.Errorf("%w: field started %s is not after 1970", ErrInvalid, r.Started.Format(time.RFC3339))
	case r.Ended.IsZero():
		return fmt.Errorf("%w: field ended is missing (RFC 3339 time the run ended)", ErrInvalid)
	case r.Ended.Before(r.Started):
		return fmt.Errorf("%w: field ended %s is before started %s", ErrInvalid, r.Ended.Format(time.RFC3339), r.Started.Format(time.RFC3339))
	case r.Ended.After(now.Add(MaxFutureSkew)):
		return fmt.Errorf("%w: field ended %s is in the future (the collector's clock says %s)", ErrInvalid, r.Ended.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case math.IsNaN(r.Cost) || math.IsInf(r.Cost, 0):
		return fmt.Errorf("%w: field cost is not a finite number", ErrInvalid)
	case r.Cost < 0:
		return fmt.Errorf("%w: field cost %g is negative", ErrInvalid, r.Cost)
	}
	return nil
}

func runKey(t time.Time, seq uint64) []byte {
	k := make([]byte, 0, len(keyPrefix)+16)
	k = append(k, keyPrefix...)
	k = binary.BigEndian.AppendUint64(k, uint64(t.UnixNano()))
	return binary.BigEndian.AppendUint64(k, seq)
}

// Add validates r, checks its model is known and stores it durably; it
// returns the run as stored, with its ID. A refused run stores nothing.
func (s *Store) Add(ctx context.Context, r Run) (Run, error) {
	if err := ctx.Err(); err != nil {
		return Run{}, err
	}
	now := s.now()
	r.ID, r.Recorded = "", time.Time{}
	if err := Validate(r, now); err != nil {
		return Run{}, err
	}
	if s.models != nil {
		known, err := s.models.Known(ctx, r.Model)
		if err != nil {
			return Run{}, fmt.Errorf("looking up model %s: %w", r.Model, err)
		}
		if !known {
			return Run{}, fmt.Errorf("%w: field model: %s is not registered (register it, or declare it under models: in the collector config)", ErrUnknownModel, r.Model)
		}
	}
	r.Started, r.Ended, r.Recorded = r.Started.UTC(), r.Ended.UTC(), now.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	key := runKey(r.Started, s.seq)
	r.ID = hex.EncodeToString(key[len(keyPrefix):])
	val, err := json.Marshal(r)
	if err != nil {
		return Run{}, fmt.Errorf("encoding training run: %w", err)
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(key, val) }); err != nil {
		return Run{}, fmt.Errorf("storing training run: %w", err)
	}
	s.count(r)
	return r, nil
}

// Filter selects runs. Zero fields match everything; From is inclusive and
// To exclusive, on the start time.
type Filter struct {
	Model    string
	From, To time.Time
	// Limit caps the runs returned (0: DefaultLimit), the newest kept.
	Limit int
}

// List returns the runs that match f, oldest start first; when more match
// than the limit, the newest ones.
func (s *Store) List(ctx context.Context, f Filter) ([]Run, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	var out []Run
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 100, Prefix: keyPrefix, Reverse: true})
		defer it.Close()
		seek := append(bytes.Clone(keyPrefix), 0xff)
		if !f.To.IsZero() && f.To.UnixNano() > 0 {
			seek = runKey(f.To, 0)
		}
		var from []byte
		if !f.From.IsZero() && f.From.UnixNano() > 0 {
			from = runKey(f.From, 0)
		}
		for it.Seek(seek); it.ValidForPrefix(keyPrefix); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			if !f.To.IsZero() && bytes.Compare(item.Key(), seek) >= 0 {
				continue // Seek lands on the last key at or before To
			}
			if from != nil && bytes.Compare(item.Key(), from) < 0 {
				break
			}
			var r Run
			if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
				return fmt.Errorf("decoding training run %x: %w", item.Key(), err)
			}
			if f.Model != "" && r.Model != f.Model {
				continue
			}
			out = append(out, r)
			if len(out) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading training runs: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// AppendTo writes the counters at ts.
func (s *Store) AppendTo(ctx context.Context, db storage.Appendable, ts time.Time) error {
	s.mu.Lock()
	samples := make([]series.Sample, 0, len(s.runs)+len(s.costs))
	for k, n := range s.runs {
		samples = append(samples, series.Sample{Labels: labels.FromStrings("__name__", api.MetricTrainingRunsTotal, "model", k.model, "status", k.status), V: float64(n)})
	}
	for m, c := range s.costs {
		samples = append(samples, series.Sample{Labels: labels.FromStrings("__name__", api.MetricTrainingCostTotal, "model", m), V: c})
	}
	s.mu.Unlock()
	sort.Slice(samples, func(i, j int) bool { return labels.Compare(samples[i].Labels, samples[j].Labels) < 0 })
	return series.AppendFinite(ctx, db, ts, "training-run series", samples)
}

// RegistryModels is Models over the model registry.
type RegistryModels struct{ Registry *registry.Registry }

// Known reports whether the registry has the model.
func (m RegistryModels) Known(ctx context.Context, model string) (bool, error) {
	_, err := m.Registry.Get(ctx, model)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, registry.ErrNotFound):
		return false, nil
	}
	return false, err
}
