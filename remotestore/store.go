package remotestore

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/annotations"
)

// Store is the collector's storage in remote mode: appends go to the
// forwarding queue (acknowledged once logged) and, when set, to a local
// cache; queries go to the backend's Prometheus API.
type Store struct {
	queue  *Queue
	cache  storage.Storage // nil: no local copy
	reads  *QueryClient
	logger *slog.Logger
}

// NewStore builds the remote-mode store. cache may be nil.
func NewStore(queue *Queue, reads *QueryClient, cache storage.Storage, logger *slog.Logger) *Store {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Store{queue: queue, cache: cache, reads: reads, logger: logger}
}

// Querier reads from the backend.
func (s *Store) Querier(mint, maxt int64) (storage.Querier, error) {
	return s.reads.Querier(mint, maxt)
}

// ChunkQuerier reads from the backend (for remote read of the collector).
func (s *Store) ChunkQuerier(mint, maxt int64) (storage.ChunkQuerier, error) {
	q, err := s.reads.Querier(mint, maxt)
	if err != nil {
		return nil, err
	}
	return chunkQuerier{q}, nil
}

// LimiterQueryable is what the collector's series limits count existing
// series from: the local cache (empty without one), so that ingest never
// waits on the backend.
func (s *Store) LimiterQueryable() storage.Queryable {
	if s.cache == nil {
		return storage.QueryableFunc(func(int64, int64) (storage.Querier, error) { return storage.NoopQuerier(), nil })
	}
	return s.cache
}

// StartTime is unknown: the backend keeps its own retention.
func (*Store) StartTime() (int64, error) { return 0, nil }

// Close does nothing: the queue and the cache have their own owners.
func (*Store) Close() error { return nil }

// Appender collects samples until Commit logs them to the queue.
func (s *Store) Appender(ctx context.Context) storage.Appender { return &appender{s: s, ctx: ctx} }

// AppenderV2 is Appender for the V2 interface.
func (s *Store) AppenderV2(ctx context.Context) storage.AppenderV2 {
	return appenderV2{&appender{s: s, ctx: ctx}}
}

type appender struct {
	s       *Store
	ctx     context.Context
	samples []Sample
}

// add buffers a sample; the queue assigns its own series refs, so the
// ref returned is the labels' hash, computed once per series when the
// caller hands it back.
func (a *appender) add(ref storage.SeriesRef, l labels.Labels, t int64, v float64, h *histogram.Histogram, fh *histogram.FloatHistogram) storage.SeriesRef {
	if a.samples == nil {
		a.samples = getSamples()
	}
	a.samples = append(a.samples, Sample{Labels: l, T: t, V: v, H: h, FH: fh})
	if ref != 0 {
		return ref
	}
	return storage.SeriesRef(l.Hash())
}

func (a *appender) Append(ref storage.SeriesRef, l labels.Labels, t int64, v float64) (storage.SeriesRef, error) {
	return a.add(ref, l, t, v, nil, nil), nil
}

func (a *appender) AppendHistogram(ref storage.SeriesRef, l labels.Labels, t int64, h *histogram.Histogram, fh *histogram.FloatHistogram) (storage.SeriesRef, error) {
	return a.add(ref, l, t, 0, h, fh), nil
}

// AppendExemplar forwards e with the series' last sample appended here
// (an exemplar of no sample of this append is dropped).
func (a *appender) AppendExemplar(ref storage.SeriesRef, l labels.Labels, e exemplar.Exemplar) (storage.SeriesRef, error) {
	if n := len(a.samples); n > 0 && labels.Equal(a.samples[n-1].Labels, l) {
		a.samples[n-1].Exemplars = append(a.samples[n-1].Exemplars, e)
	}
	return ref, nil
}

// UpdateMetadata forwards m as the metadata of the series' metric name,
// with the series' last sample appended here.
func (a *appender) UpdateMetadata(ref storage.SeriesRef, l labels.Labels, m metadata.Metadata) (storage.SeriesRef, error) {
	if n := len(a.samples); n > 0 && labels.Equal(a.samples[n-1].Labels, l) {
		a.samples[n-1].Metadata = &FamilyMetadata{Family: l.Get(labels.MetricName), Metadata: m}
	}
	return ref, nil
}

// Start-time zero samples are not forwarded.
func (*appender) AppendSTZeroSample(ref storage.SeriesRef, _ labels.Labels, _, _ int64) (storage.SeriesRef, error) {
	return ref, nil
}
func (*appender) AppendHistogramSTZeroSample(ref storage.SeriesRef, _ labels.Labels, _, _ int64, _ *histogram.Histogram, _ *histogram.FloatHistogram) (storage.SeriesRef, error) {
	return ref, nil
}
func (*appender) SetOptions(*storage.AppendOptions) {}

// Commit acknowledges the samples once they are in the queue's log; the
// local cache is best effort (a sample it refuses, e.g. out of order for
// it, is still forwarded).
func (a *appender) Commit() error {
	samples := a.samples
	a.samples = nil
	defer putSamples(samples)
	if err := a.s.queue.Append(samples); err != nil {
		return err
	}
	if a.s.cache == nil || len(samples) == 0 {
		return nil
	}
	app := a.s.cache.Appender(a.ctx)
	refused := 0
	for _, smp := range samples {
		var err error
		if smp.H != nil || smp.FH != nil {
			_, err = app.AppendHistogram(0, smp.Labels, smp.T, smp.H, smp.FH)
		} else {
			_, err = app.Append(0, smp.Labels, smp.T, smp.V)
		}
		if err != nil {
			refused++
		}
	}
	if err := app.Commit(); err != nil {
		a.s.logger.Warn("local cache: commit failed (the samples are forwarded all the same)", "err", err)
	} else if refused > 0 {
		a.s.logger.Debug("local cache refused samples (they are forwarded all the same)", "samples", refused)
	}
	return nil
}

func (a *appender) Rollback() error {
	putSamples(a.samples)
	a.samples = nil
	return nil
}

// samplesPool keeps appenders' sample buffers: a remote-write request's
// samples pass through one on their way into the queue's log.
var samplesPool sync.Pool

func getSamples() []Sample {
	if p, ok := samplesPool.Get().(*[]Sample); ok {
		return (*p)[:0]
	}
	return make([]Sample, 0, 1024)
}

// putSamples gives a buffer back, unless it is too big to keep.
func putSamples(s []Sample) {
	if s == nil || cap(s) > 1<<16 {
		return
	}
	clear(s) // drop the labels and histograms for the GC
	s = s[:0]
	samplesPool.Put(&s)
}

type appenderV2 struct{ a *appender }

// Prometheus's remote-write 2.0 handler needs AppendExemplars; without
// it the collector drops 2.0's exemplars.
var _ storage.ExemplarAppenderV2 = appenderV2{}

// Append buffers a sample with the exemplars and metadata of opts (the
// queue logs a family's metadata only when it changes).
func (v appenderV2) Append(ref storage.SeriesRef, ls labels.Labels, _, t int64, f float64, h *histogram.Histogram, fh *histogram.FloatHistogram, opts storage.AppendV2Options) (storage.SeriesRef, error) {
	ref = v.a.add(ref, ls, t, f, h, fh)
	if len(opts.Exemplars) > 0 || !opts.Metadata.IsEmpty() {
		smp := &v.a.samples[len(v.a.samples)-1]
		if len(opts.Exemplars) > 0 {
			smp.Exemplars = slices.Clone(opts.Exemplars) // the caller's slice is not ours to keep
		}
		if !opts.Metadata.IsEmpty() {
			fam := opts.MetricFamilyName
			if fam == "" {
				fam = ls.Get(labels.MetricName)
			}
			smp.Metadata = &FamilyMetadata{Family: fam, Metadata: opts.Metadata}
		}
	}
	return ref, nil
}

// AppendExemplars forwards exemplars with the series' first sample of this
// append, as a remote-write 1.0 series' exemplars are (an exemplar without
// a timestamp takes that sample's); Prometheus's remote-write 2.0 handler
// calls it after the series' samples.
func (v appenderV2) AppendExemplars(ref storage.SeriesRef, ls labels.Labels, exs []exemplar.Exemplar) (storage.SeriesRef, error) {
	smps := v.a.samples
	n := len(smps)
	if n == 0 || !labels.Equal(smps[n-1].Labels, ls) {
		return ref, fmt.Errorf("exemplars of series %s: %w (no sample of it in this append)", ls.String(), storage.ErrNotFound)
	}
	for n > 1 && labels.Equal(smps[n-2].Labels, ls) {
		n--
	}
	// The caller's slice is not ours to keep.
	smps[n-1].Exemplars = append(smps[n-1].Exemplars, exs...)
	return ref, nil
}

func (v appenderV2) Commit() error   { return v.a.Commit() }
func (v appenderV2) Rollback() error { return v.a.Rollback() }

// chunkQuerier serves chunk reads from a sample querier.
type chunkQuerier struct{ q storage.Querier }

func (c chunkQuerier) Select(ctx context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.ChunkSeriesSet {
	return storage.NewSeriesSetToChunkSet(c.q.Select(ctx, sortSeries, hints, ms...))
}
func (c chunkQuerier) LabelValues(ctx context.Context, name string, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return c.q.LabelValues(ctx, name, hints, ms...)
}
func (c chunkQuerier) LabelNames(ctx context.Context, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return c.q.LabelNames(ctx, hints, ms...)
}
func (c chunkQuerier) Close() error { return c.q.Close() }
