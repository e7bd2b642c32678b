package gameday

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Store keeps injections durable, so that an acknowledged start survives a
// crash of the collector (predlog/api's Log implements it with its meta
// namespace).
type Store interface {
	PutMeta(ctx context.Context, ns, key string, val []byte) error
	ListMeta(ctx context.Context, ns string, fn func(key string, val []byte) error) error
}

// storeNamespace is the meta namespace injections are kept under.
const storeNamespace = "gameday"

// storedInjection is an injection as stored: what the API shows and the
// spec it was started with (its seed and exact duration).
type storedInjection struct {
	Injection
	Spec storedSpec `json:"spec"`
}

type storedSpec struct {
	DurationNS int64  `json:"duration_ns"`
	Seed       uint64 `json:"seed,omitempty"`
}

func putInjection(ctx context.Context, st Store, inj Injection, spec Spec) error {
	b, err := json.Marshal(storedInjection{Injection: inj, Spec: storedSpec{DurationNS: int64(spec.Duration), Seed: spec.Seed}})
	if err != nil {
		return err
	}
	return st.PutMeta(ctx, storeNamespace, inj.ID, b)
}

// Restore makes st the injector's store and loads what it holds: an
// injection still active when the collector went down without a graceful
// stop (kill -9, a crash) resumes until its end, one whose end passed in
// the meantime ends now with its stop event dated at its end (reason
// "duration over"), and ended ones are listed again. Call it once, before
// the API is served.
func (in *Injector) Restore(ctx context.Context, st Store) error {
	var loaded []*injection
	err := st.ListMeta(ctx, storeNamespace, func(key string, val []byte) error {
		var si storedInjection
		if err := json.Unmarshal(val, &si); err != nil {
			return fmt.Errorf("injection %s: %w", key, err)
		}
		spec := Spec{Model: si.Model, Version: si.Version, Feature: si.Feature, Kind: si.Kind,
			Magnitude: si.Magnitude, Duration: time.Duration(si.Spec.DurationNS), Seed: si.Spec.Seed}
		seed := spec.Seed
		if seed == 0 {
			seed = seedOf(si.ID)
		}
		si.Active = si.StoppedAt == nil
		loaded = append(loaded, &injection{Injection: si.Injection, spec: spec, rng: NewRand(seed), stopped: !si.Active})
		return nil
	})
	if err != nil {
		return fmt.Errorf("restoring game-day injections: %w", err)
	}
	slices.SortFunc(loaded, func(a, b *injection) int { return a.StartedAt.Compare(b.StartedAt) })
	in.mu.Lock()
	in.store = st
	known := map[string]bool{}
	for _, x := range in.injs {
		known[x.ID] = true
	}
	resumed := 0
	for _, x := range loaded {
		if known[x.ID] {
			continue
		}
		in.injs = append(in.injs, x)
		if !x.stopped {
			resumed++
		}
	}
	slices.SortStableFunc(in.injs, func(a, b *injection) int { return a.StartedAt.Compare(b.StartedAt) })
	in.expireLocked(in.opts.Now().UTC())
	in.mu.Unlock()
	if resumed > 0 {
		in.opts.Logger.Info("game-day injections restored after an unclean stop", "active", resumed)
	}
	in.flush(ctx, nil)
	return nil
}
