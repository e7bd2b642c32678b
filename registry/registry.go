package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/events"
)

// EventRecorder is where the registry reports version changes and actions.
type EventRecorder interface {
	Record(ctx context.Context, e events.Event) error
}

// Options tune a Registry. Zero values are usable.
type Options struct {
	Now         func() time.Time
	Events      EventRecorder
	NewActuator func(actuator.Config) (actuator.Actuator, error)
	// RollbackGuard is how long after a rollback another rollback without
	// an explicit target is refused with ErrConflict, so two responders
	// reacting to the same page do not roll back twice (DefaultRollbackGuard
	// when 0; negative disables).
	RollbackGuard time.Duration
}

// DefaultRollbackGuard is the default Options.RollbackGuard.
const DefaultRollbackGuard = 10 * time.Minute

// Registry is the badger-backed model registry. Safe for concurrent use.
type Registry struct {
	db   *badger.DB
	opts Options

	mu     sync.Mutex
	active map[string]inflight // model name → running action
}

type inflight struct {
	what  string
	actor string
	since time.Time
}

// New returns the registry kept in db.
func New(db *badger.DB, opts Options) *Registry {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RollbackGuard == 0 {
		opts.RollbackGuard = DefaultRollbackGuard
	}
	if opts.NewActuator == nil {
		opts.NewActuator = actuator.New
	}
	return &Registry{db: db, opts: opts, active: map[string]inflight{}}
}

func modelKey(name string) []byte { return []byte("reg/m/" + name) }
func versionPrefix(model string) []byte {
	return []byte("reg/v/" + model + "/")
}
func versionKey(model, version string) []byte {
	return append(versionPrefix(model), version...)
}

// lock claims the model for one change; a second claim fails with
// ErrConflict naming the running one.
func (r *Registry) lock(model, what, actor string) (func(), error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur, ok := r.active[model]; ok {
		return nil, fmt.Errorf("%w: %s on model %s by %s is in progress since %s; retry when it finishes",
			ErrConflict, cur.what, model, cur.actor, cur.since.UTC().Format(time.RFC3339))
	}
	r.active[model] = inflight{what: what, actor: actor, since: r.opts.Now()}
	return func() {
		r.mu.Lock()
		delete(r.active, model)
		r.mu.Unlock()
	}, nil
}

func getJSON(txn *badger.Txn, key []byte, v any) error {
	item, err := txn.Get(key)
	if err != nil {
		return err
	}
	return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

func setJSON(txn *badger.Txn, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(key, b)
}

func readState(txn *badger.Txn, name string) (ModelState, error) {
	var st ModelState
	if err := getJSON(txn, modelKey(name), &st.Model); err != nil {
		if errors.Is(err, badger.ErrKeyNotFound) {
			return st, fmt.Errorf("%w: model %q is not registered", ErrNotFound, name)
		}
		return st, fmt.Errorf("reading model %s: %w", name, err)
	}
	p := versionPrefix(name)
	it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: p})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var v Version
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
			return st, fmt.Errorf("decoding version %s: %w", it.Item().Key(), err)
		}
		st.Versions = append(st.Versions, v)
		if v.Stage == StageProduction {
			st.Production = v.Version
		}
	}
	sort.SliceStable(st.Versions, func(i, j int) bool {
		a, b := st.Versions[i], st.Versions[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.Version < b.Version
	})
	return st, nil
}

// Get returns a model with its versions.
func (r *Registry) Get(ctx context.Context, name string) (ModelState, error) {
	var st ModelState
	err := r.db.View(func(txn *badger.Txn) error {
		var err error
		st, err = readState(txn, name)
		return err
	})
	return st, err
}

// List returns every model with its versions, by name.
func (r *Registry) List(ctx context.Context) ([]ModelState, error) {
	var out []ModelState
	err := r.db.View(func(txn *badger.Txn) error {
		p := []byte("reg/m/")
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
		var names []string
		for it.Rewind(); it.Valid(); it.Next() {
			names = append(names, string(it.Item().Key()[len(p):]))
		}
		it.Close()
		for _, n := range names {
			if err := ctx.Err(); err != nil {
				return err
			}
			st, err := readState(txn, n)
			if err != nil {
				return err
			}
			out = append(out, st)
		}
		return nil
	})
	return out, err
}

// PutModel creates a model or updates its owner, description and actuator.
func (r *Registry) PutModel(ctx context.Context, m Model, actor string) (Model, error) {
	if !ValidName(m.Name) {
		return Model{}, fmt.Errorf("%w: field name %q must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}", ErrInvalid, m.Name)
	}
	if err := m.Actuator.Validate(); err != nil {
		return Model{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	unlock, err := r.lock(m.Name, "model update", actor)
	if err != nil {
		return Model{}, err
	}
	defer unlock()
	now := r.opts.Now().UTC()
	var out Model
	err = r.db.Update(func(txn *badger.Txn) error {
		var cur Model
		err := getJSON(txn, modelKey(m.Name), &cur)
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
			cur = Model{Name: m.Name, CreatedAt: now}
		case err != nil:
			return err
		}
		cur.Owner, cur.Description, cur.Actuator = m.Owner, m.Description, m.Actuator
		cur.Revision++
		cur.UpdatedAt = now
		out = cur
		return setJSON(txn, modelKey(m.Name), cur)
	})
	if err != nil {
		return Model{}, fmt.Errorf("storing model %s: %w", m.Name, err)
	}
	return out, nil
}

// Register adds a version. Stage may be none or shadow, or production when
// the model has no production version yet (bootstrapping); anything else
// goes through an action.
func (r *Registry) Register(ctx context.Context, v Version, actor string) (Version, error) {
	if err := v.Validate(); err != nil {
		return Version{}, err
	}
	stage, err := ParseStage(string(v.Stage))
	if err != nil {
		return Version{}, fmt.Errorf("%w: field %v", ErrInvalid, err)
	}
	if stage != StageNone && stage != StageShadow && stage != StageProduction {
		return Version{}, fmt.Errorf("%w: field stage: a new version starts as none, shadow or (first version only) production; use promote or set-traffic", ErrInvalid)
	}
	unlock, err := r.lock(v.Model, "version registration", actor)
	if err != nil {
		return Version{}, err
	}
	defer unlock()
	now := r.opts.Now().UTC()
	if v.CreatedAt.IsZero() {
		v.CreatedAt = now
	}
	v.CreatedAt = v.CreatedAt.UTC()
	v.Stage, v.TrafficPercent, v.StageChangedAt = stage, 0, now
	if stage == StageProduction {
		v.TrafficPercent = 100
	}
	err = r.db.Update(func(txn *badger.Txn) error {
		st, err := readState(txn, v.Model)
		if err != nil {
			return err
		}
		if _, err := txn.Get(versionKey(v.Model, v.Version)); err == nil {
			return fmt.Errorf("%w: version %s of model %s is already registered (versions are immutable; register a new one)", ErrExists, v.Version, v.Model)
		}
		if stage == StageProduction && st.Production != "" {
			return fmt.Errorf("%w: model %s already has production version %s; register as none/shadow and promote", ErrPrecheck, v.Model, st.Production)
		}
		return setJSON(txn, versionKey(v.Model, v.Version), v)
	})
	if err != nil {
		return Version{}, err
	}
	// The stage label tells a deploy to production from a registration
	// as shadow or none (package delivery counts only the former).
	r.record(ctx, events.Event{Time: now, Kind: events.KindDeploy, Model: v.Model, Version: v.Version, Actor: actor,
		Labels: map[string]string{api.LabelStage: string(stage)},
		Text:   fmt.Sprintf("registered %s %s (%s) as %s", v.Model, v.Version, v.ArtifactURI, v.Stage)})
	return v, nil
}

// Archive moves a version that serves nothing or only shadow traffic to
// archived (or back to none with unarchive); production and canary
// versions must be moved by an action first.
func (r *Registry) Archive(ctx context.Context, model, version string, archived bool, actor string) (Version, error) {
	unlock, err := r.lock(model, "archive", actor)
	if err != nil {
		return Version{}, err
	}
	defer unlock()
	var v Version
	now := r.opts.Now().UTC()
	err = r.db.Update(func(txn *badger.Txn) error {
		if err := getJSON(txn, versionKey(model, version), &v); err != nil {
			if errors.Is(err, badger.ErrKeyNotFound) {
				return fmt.Errorf("%w: version %s of model %s is not registered", ErrNotFound, version, model)
			}
			return err
		}
		if archived && (v.Stage == StageProduction || v.Stage == StageCanary) {
			return fmt.Errorf("%w: version %s is %s; roll back or set its traffic to another version first", ErrPrecheck, version, v.Stage)
		}
		if archived {
			v.Stage = StageArchived
		} else if v.Stage == StageArchived {
			v.Stage = StageNone
		}
		v.TrafficPercent, v.StageChangedAt = 0, now
		return setJSON(txn, versionKey(model, version), v)
	})
	if err != nil {
		return Version{}, err
	}
	r.record(ctx, events.Event{Time: now, Kind: events.KindVersionChange, Model: model, Version: version, Actor: actor,
		Text: fmt.Sprintf("%s %s is now %s", model, version, v.Stage)})
	return v, nil
}

func (r *Registry) record(ctx context.Context, e events.Event) {
	if r.opts.Events == nil {
		return
	}
	// The registry change is already committed; a failed event write must
	// not turn it into a reported failure. The API logs its own errors.
	_ = r.opts.Events.Record(context.WithoutCancel(ctx), e)
}

func findVersion(st *ModelState, v string) *Version {
	for i := range st.Versions {
		if st.Versions[i].Version == v {
			return &st.Versions[i]
		}
	}
	return nil
}

func removeAll(s []string, v string) []string {
	return slices.DeleteFunc(slices.Clone(s), func(x string) bool { return x == v })
}
