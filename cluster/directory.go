package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/internal/series"
)

// ErrNoOwner is wrapped by Owner's error for a model that no collector
// lists under ownership: list.
var ErrNoOwner = errors.New("no collector owns the model")

// Directory answers who owns a model and where a collector is. Its sources,
// first match wins: this collector's own models list; the owner series
// (mle_model_owner, newest announcement) read back through the query path;
// the peers' models lists; the rendezvous hash over this collector and its
// peers (ownership: hash). Collectors' URLs come from the configuration,
// then from mle_collector_info.
type Directory struct {
	cfg    Config
	logger *slog.Logger

	mu        sync.RWMutex
	announced map[string]announcement // model → newest owner announcement
	urls      map[string]string       // collector → URL, announced
	readErr   error                   // the last read of the series failed

	// owners caches Owner's answers (model → ownerAnswer): ingest asks
	// for every record. Read replaces it with an empty one.
	owners  atomic.Pointer[sync.Map]
	cached  atomic.Int64 // answers stored in owners (or tried to)
	members []Member     // this collector and its peers, the hash's candidates
}

// maxCachedOwners bounds Owner's cache.
const maxCachedOwners = 100_000

type ownerAnswer struct {
	m   Member
	err error
}

type announcement struct {
	collector string
	at        int64
}

// NewDirectory builds the directory of a validated configuration.
func NewDirectory(cfg Config, logger *slog.Logger) *Directory {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &Directory{cfg: cfg, logger: logger, announced: map[string]announcement{}, urls: map[string]string{}, members: cfg.Members()}
	d.owners.Store(&sync.Map{})
	return d
}

// Self is this collector.
func (d *Directory) Self() Member { return d.cfg.Self() }

// Config is the configuration the directory was built from.
func (d *Directory) Config() Config { return d.cfg }

// Owner is the collector that owns model.
func (d *Directory) Owner(model string) (Member, error) {
	cache := d.owners.Load()
	if a, ok := cache.Load(model); ok {
		return a.(ownerAnswer).m, a.(ownerAnswer).err
	}
	m, err := d.owner(model)
	// Bounded: records naming ever new models must not grow it until the
	// next Read.
	if d.cached.Add(1) <= maxCachedOwners {
		cache.Store(model, ownerAnswer{m, err})
	}
	return m, err
}

func (d *Directory) owner(model string) (Member, error) {
	if d.cfg.ownsStatically(model) {
		return d.cfg.Self(), nil
	}
	d.mu.RLock()
	a, ok := d.announced[model]
	d.mu.RUnlock()
	if ok {
		if m, found := d.Member(a.collector); found {
			return m, nil
		}
	}
	for _, p := range d.cfg.Peers {
		for _, m := range p.Models {
			if m == model {
				return Member{Name: p.Name, URL: trimURL(p.URL)}, nil
			}
		}
	}
	if d.cfg.Ownership == OwnershipList {
		return Member{}, fmt.Errorf("%w: model %q is in no collector's cluster.models (ownership: list); add it to the models of the collector that should own it", ErrNoOwner, model)
	}
	return *HashOwner(model, d.members), nil
}

// Owns reports whether this collector owns model.
func (d *Directory) Owns(model string) bool {
	o, err := d.Owner(model)
	return err == nil && o.Name == d.cfg.Name
}

// Member finds a collector by name: this one, a peer, or one that
// announced itself in the store.
func (d *Directory) Member(name string) (Member, bool) {
	for _, m := range d.cfg.Members() {
		if m.Name == name {
			return m, true
		}
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if u, ok := d.urls[name]; ok {
		return Member{Name: name, URL: u}, true
	}
	return Member{}, false
}

// Peers are the other collectors: the configured peers and those that
// announced themselves in the store, sorted by name.
func (d *Directory) Peers() []Member {
	seen := map[string]bool{d.cfg.Name: true}
	var out []Member
	for _, m := range d.cfg.Members()[1:] {
		seen[m.Name] = true
		out = append(out, m)
	}
	d.mu.RLock()
	for n, u := range d.urls {
		if !seen[n] {
			out = append(out, Member{Name: n, URL: u})
		}
	}
	d.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// KnownModels are the models the directory can place without asking
// anyone: every configured list and every announcement, with owners.
func (d *Directory) KnownModels() map[string]Member {
	out := map[string]Member{}
	d.mu.RLock()
	models := make([]string, 0, len(d.announced))
	for m := range d.announced {
		models = append(models, m)
	}
	d.mu.RUnlock()
	models = append(models, d.cfg.Models...)
	for _, p := range d.cfg.Peers {
		models = append(models, p.Models...)
	}
	for _, m := range models {
		if o, err := d.Owner(m); err == nil {
			out[m] = o
		}
	}
	return out
}

// lookback is how far back the owner series count: three refreshes, at
// least 5 minutes (a collector that stopped announcing longer ago than
// that is routed by the configuration again).
func (d *Directory) lookback() time.Duration { return max(3*d.cfg.refresh(), 5*time.Minute) }

// Read reloads the announcements from q (the query path: the shared store
// in remote mode, the embedded TSDB otherwise). On error the previous
// announcements stay.
func (d *Directory) Read(ctx context.Context, q storage.Queryable, now time.Time) error {
	mint, maxt := now.Add(-d.lookback()).UnixMilli(), now.UnixMilli()
	owners := map[string]announcement{}
	urls := map[string]string{}
	urlAt := map[string]int64{}
	err := func() error {
		qr, err := q.Querier(mint, maxt)
		if err != nil {
			return err
		}
		defer qr.Close()
		if err := eachLatest(ctx, qr, api.MetricModelOwner, func(ls labels.Labels, t int64) {
			m, c := ls.Get("model"), ls.Get("collector")
			if m == "" || c == "" {
				return
			}
			if prev, ok := owners[m]; !ok || t > prev.at || t == prev.at && c < prev.collector {
				owners[m] = announcement{collector: c, at: t}
			}
		}); err != nil {
			return err
		}
		return eachLatest(ctx, qr, api.MetricCollectorInfo, func(ls labels.Labels, t int64) {
			c, u := ls.Get("collector"), ls.Get("url")
			if c == "" || u == "" || t < urlAt[c] {
				return
			}
			urls[c], urlAt[c] = trimURL(u), t
		})
	}()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.readErr = err
	if err != nil {
		return fmt.Errorf("read the model owner series: %w", err)
	}
	d.announced, d.urls = owners, urls
	d.owners.Store(&sync.Map{})
	d.cached.Store(0)
	return nil
}

// eachLatest calls f with every series of metric and its newest sample's
// timestamp.
func eachLatest(ctx context.Context, qr storage.Querier, metric string, f func(labels.Labels, int64)) error {
	set := qr.Select(ctx, false, nil, labels.MustNewMatcher(labels.MatchEqual, labels.MetricName, metric))
	var it chunkenc.Iterator
	for set.Next() {
		s := set.At()
		it = s.Iterator(it)
		last := int64(-1 << 63)
		for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
			last = it.AtT()
		}
		if err := it.Err(); err != nil {
			return err
		}
		if last != int64(-1<<63) {
			f(s.Labels(), last)
		}
	}
	return set.Err()
}

// Announce appends this collector's mle_collector_info{collector,url} and
// one mle_model_owner{model,collector} per model it owns at ts: its models
// list and those of known (the registry's models) that it owns.
func (d *Directory) Announce(ctx context.Context, db storage.Appendable, ts time.Time, known []string) error {
	self := d.cfg.Self()
	samples := []series.Sample{{Labels: labels.FromStrings(labels.MetricName, api.MetricCollectorInfo, "collector", self.Name, "url", self.URL), V: 1}}
	seen := map[string]bool{}
	for _, m := range append(append([]string(nil), d.cfg.Models...), known...) {
		if seen[m] || !d.Owns(m) {
			continue
		}
		seen[m] = true
		samples = append(samples, series.Sample{Labels: labels.FromStrings(labels.MetricName, api.MetricModelOwner, "collector", self.Name, "model", m), V: 1})
	}
	return series.AppendFinite(ctx, db, ts, "cluster owner series", samples)
}

// Run announces and reads the directory back every refresh until ctx is
// done. known lists the models this collector holds (its registry).
func (d *Directory) Run(ctx context.Context, db storage.Appendable, q storage.Queryable, known func(context.Context) ([]string, error)) {
	t := time.NewTicker(d.cfg.refresh())
	defer t.Stop()
	for {
		now := time.Now()
		models, err := known(ctx)
		if err != nil && ctx.Err() == nil {
			d.logger.Warn("listing this collector's models to announce failed", "err", err)
		}
		if err := d.Announce(ctx, db, now, models); err != nil && ctx.Err() == nil {
			d.logger.Warn("writing the model owner series failed", "err", err)
		}
		if err := d.Read(ctx, q, now); err != nil && ctx.Err() == nil {
			d.logger.Warn("reading the model owner series failed; routing by the configuration", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func trimURL(u string) string {
	for len(u) > 0 && u[len(u)-1] == '/' {
		u = u[:len(u)-1]
	}
	return u
}
