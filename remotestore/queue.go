package remotestore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/storage/remote"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/tsdb/record"
	"github.com/prometheus/prometheus/tsdb/wlog"
	"github.com/prometheus/prometheus/util/compression"

	"github.com/mlectl/mlectl/api"
)

// Sample is one sample to forward: a float (H and FH nil), an integer
// histogram (H) or a float histogram (FH).
type Sample struct {
	Labels labels.Labels
	T      int64
	V      float64
	H      *histogram.Histogram
	FH     *histogram.FloatHistogram
	// Exemplars are forwarded with the series (TimeSeries.exemplars).
	Exemplars []exemplar.Exemplar
	// Metadata, when set, is the metric metadata of the sample's family,
	// forwarded in the request's WriteRequest.metadata.
	Metadata *FamilyMetadata
}

// FamilyMetadata is a metric family's metadata as remote write 1.0 sends
// it (prompb.MetricMetadata).
type FamilyMetadata struct {
	Family string // the metric family name (__name__ when unknown)
	metadata.Metadata
}

// QueueOptions configures a Queue.
type QueueOptions struct {
	// Dir holds the log (wal/) and the sender's position (position.json).
	Dir string
	// Client sends one remote-write request (remote.NewWriteClient).
	Client remote.WriteClient
	Queue  QueueConfig
	Logger *slog.Logger
	// Registerer gets the mle_forward_* metrics (nil: none).
	Registerer prometheus.Registerer
	// SegmentSize is the log's segment size (0: wlog.DefaultSegmentSize).
	SegmentSize int
	// Now is the clock of the pending-age metric (time.Now when nil).
	Now func() time.Time

	// sleep replaces the retry waits in tests (nil: a timer).
	sleep func(ctx context.Context, d time.Duration) bool
}

// position is where the sender resumes: the next record of a segment.
type position struct {
	Segment int `json:"segment"`
	Record  int `json:"record"`
}

// enqueueMark is when the samples from index first on were appended.
type enqueueMark struct {
	first int64
	at    time.Time
}

// Queue is the durable forwarding queue: Append logs samples (the
// acknowledgement), Run forwards them in log order and keeps its position
// on disk, so a restart resumes where the backend last acknowledged.
//
// Every segment is self-contained: a series record is written again the
// first time a series is used in a new segment, so the sender may resume
// at any segment and older segments can be deleted once passed.
type Queue struct {
	opts QueueOptions
	q    QueueConfig
	wl   *wlog.WL
	now  func() time.Time

	mu        sync.Mutex // the writer: refs, segment bookkeeping, marks
	enc       record.Encoder
	refs      map[uint64][]seriesRef
	nextRef   chunks.HeadSeriesRef
	segBytes  int
	cutBytes  int
	inSegment map[chunks.HeadSeriesRef]struct{}
	marks     []enqueueMark
	lastMeta  map[string]metadata.Metadata // per family, logged in this segment
	// Append's reused buffers.
	appSeries             []record.RefSeries
	appFloats             []record.RefSample
	appRecs               [][]byte
	seriesRec, samplesRec []byte
	closed                bool

	writerSeg atomic.Int64
	appended  atomic.Int64 // samples logged since Open, plus the backlog found then
	done      atomic.Int64 // samples sent or dropped since Open
	notify    chan struct{}

	// The sender's reused buffers (Run's goroutine and its shards).
	grouped   []int32
	shardBufs []*shardBuf

	posMu     sync.Mutex
	pos       position
	posSaved  time.Time
	sent      prometheus.Counter
	failed    prometheus.Counter
	retries   prometheus.Counter
	sentBytes prometheus.Counter
	sendDur   prometheus.Histogram
}

type seriesRef struct {
	ls  labels.Labels
	ref chunks.HeadSeriesRef
}

// Open opens (or creates) the queue in opts.Dir and counts the samples
// still to send from the saved position.
func Open(opts QueueOptions) (*Queue, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SegmentSize == 0 {
		opts.SegmentSize = wlog.DefaultSegmentSize
	}
	q := &Queue{opts: opts, q: opts.Queue.withDefaults(), now: opts.Now,
		refs: map[uint64][]seriesRef{}, inSegment: map[chunks.HeadSeriesRef]struct{}{},
		// A cut before a quarter of the segment keeps wlog from cutting on
		// its own in the middle of one Append (which would split a series
		// record from its samples across segments).
		cutBytes: opts.SegmentSize / 4,
		notify:   make(chan struct{}, 1),
	}
	walDir := filepath.Join(opts.Dir, "wal")
	pos, err := loadPosition(filepath.Join(opts.Dir, "position.json"))
	if err != nil {
		return nil, err
	}
	first, _, err := wlog.Segments(walDir)
	if err == nil && first > pos.Segment {
		// The position's segment is gone (deleted by hand): resume at the
		// oldest segment there is.
		pos = position{Segment: first}
	}
	q.pos = pos
	backlog, err := countFrom(walDir, pos, opts.Logger)
	if err != nil {
		return nil, err
	}
	if q.wl, err = wlog.NewSize(opts.Logger, nil, walDir, opts.SegmentSize, compression.None); err != nil {
		return nil, fmt.Errorf("open forwarding queue in %s: %w", walDir, err)
	}
	_, last, err := wlog.Segments(walDir)
	if err != nil {
		_ = q.wl.Close()
		return nil, fmt.Errorf("open forwarding queue in %s: %w", walDir, err)
	}
	q.writerSeg.Store(int64(last))
	q.appended.Store(backlog)
	if backlog > 0 {
		q.marks = append(q.marks, enqueueMark{first: 0, at: q.now()})
		opts.Logger.Info("forwarding queue: resuming", "pending_samples", backlog, "segment", pos.Segment, "record", pos.Record)
	}
	q.registerMetrics(opts.Registerer)
	return q, nil
}

func (q *Queue) registerMetrics(reg prometheus.Registerer) {
	q.sent = prometheus.NewCounter(prometheus.CounterOpts{Name: api.MetricForwardSentSamplesTotal, Help: "Samples the remote-write backend acknowledged."})
	q.failed = prometheus.NewCounter(prometheus.CounterOpts{Name: api.MetricForwardFailedSamplesTotal, Help: "Samples the remote-write backend refused for good (a 4xx answer); they are dropped."})
	q.retries = prometheus.NewCounter(prometheus.CounterOpts{Name: api.MetricForwardRetriesTotal, Help: "Remote-write requests retried after a recoverable failure (network error, 5xx, 429)."})
	q.sentBytes = prometheus.NewCounter(prometheus.CounterOpts{Name: api.MetricForwardSentBytesTotal, Help: "Compressed remote-write request bytes acknowledged by the backend."})
	q.sendDur = prometheus.NewHistogram(prometheus.HistogramOpts{Name: api.MetricForwardSendDurationSeconds, Help: "Duration of remote-write requests to the backend, retries included.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)})
	if reg == nil {
		return
	}
	reg.MustRegister(q.sent, q.failed, q.retries, q.sentBytes, q.sendDur,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: api.MetricForwardPendingSamples, Help: "Samples acknowledged to their senders and not yet acknowledged by the remote-write backend."},
			func() float64 { return float64(q.Pending()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: api.MetricForwardOldestPendingSeconds, Help: "How long the oldest pending sample has waited in the forwarding queue (0 when none waits)."},
			func() float64 { return q.OldestPending().Seconds() }))
}

// Pending is how many samples wait for the backend.
func (q *Queue) Pending() int64 { return q.appended.Load() - q.done.Load() }

// OldestPending is how long the oldest pending sample has been queued
// (since Open for the backlog found at Open).
func (q *Queue) OldestPending() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	done := q.done.Load()
	if done >= q.appended.Load() {
		return 0
	}
	i := 0
	for i+1 < len(q.marks) && q.marks[i+1].first <= done {
		i++
	}
	q.marks = q.marks[i:]
	if len(q.marks) == 0 {
		return 0
	}
	return q.now().Sub(q.marks[0].at)
}

// Append logs samples; once it returns nil they will reach the backend
// (at least once) whatever happens to the process or the backend.
func (q *Queue) Append(samples []Sample) error {
	if len(samples) == 0 {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errors.New("forwarding queue is closed")
	}
	if q.segBytes >= q.cutBytes {
		seg, err := q.wl.NextSegment()
		if err != nil {
			return fmt.Errorf("forwarding queue: start a new segment: %w", err)
		}
		q.writerSeg.Store(int64(seg))
		q.segBytes = 0
		clear(q.inSegment)
		clear(q.refs) // refs restart per segment: memory follows the live series
		clear(q.lastMeta)
	}
	// The record buffers are reused: wl.Log copies the records.
	newSeries, floats := q.appSeries[:0], q.appFloats[:0]
	var (
		hists  []record.RefHistogramSample
		fhists []record.RefFloatHistogramSample
		exs    []record.RefExemplar
		metas  []record.RefMetadata
	)
	defer func() {
		clear(newSeries) // the labels are the refs' own; keep none alive here
		q.appSeries, q.appFloats = newSeries[:0], floats[:0]
	}()
	var prev labels.Labels
	var ref chunks.HeadSeriesRef
	for i, s := range samples {
		// A series' samples usually come together: same labels, same ref.
		if i == 0 || !labels.Equal(prev, s.Labels) {
			var copied labels.Labels
			ref, copied = q.ref(s.Labels)
			prev = s.Labels
			if _, ok := q.inSegment[ref]; !ok {
				q.inSegment[ref] = struct{}{}
				newSeries = append(newSeries, record.RefSeries{Ref: ref, Labels: copied})
			}
		}
		for _, e := range s.Exemplars {
			t := s.T
			if e.HasTs {
				t = e.Ts
			}
			exs = append(exs, record.RefExemplar{Ref: ref, T: t, V: e.Value, Labels: e.Labels})
		}
		if m := s.Metadata; m != nil && q.lastMeta[m.Family] != m.Metadata {
			if q.lastMeta == nil {
				q.lastMeta = map[string]metadata.Metadata{}
			}
			q.lastMeta[m.Family] = m.Metadata
			// Metadata belongs to a family, not a series: it rides on a
			// series of the family's name alone (no samples of its own).
			fref, copied := q.ref(labels.FromStrings(labels.MetricName, m.Family))
			if _, ok := q.inSegment[fref]; !ok {
				q.inSegment[fref] = struct{}{}
				newSeries = append(newSeries, record.RefSeries{Ref: fref, Labels: copied})
			}
			metas = append(metas, record.RefMetadata{Ref: fref, Type: uint8(record.GetMetricType(m.Type)), Unit: m.Unit, Help: m.Help})
		}
		switch {
		case s.FH != nil:
			fhists = append(fhists, record.RefFloatHistogramSample{Ref: ref, T: s.T, FH: s.FH})
		case s.H != nil:
			hists = append(hists, record.RefHistogramSample{Ref: ref, T: s.T, H: s.H})
		default:
			floats = append(floats, record.RefSample{Ref: ref, T: s.T, V: s.V})
		}
	}
	recs := q.appRecs[:0]
	if len(newSeries) > 0 {
		q.seriesRec = q.enc.Series(newSeries, q.seriesRec[:0])
		recs = append(recs, q.seriesRec)
	}
	// Metadata and exemplars before the samples: the sender sends them in
	// the round of the samples they came with.
	if len(metas) > 0 {
		recs = append(recs, q.enc.Metadata(metas, nil))
	}
	if len(exs) > 0 {
		recs = append(recs, q.enc.Exemplars(exs, nil))
	}
	if len(floats) > 0 {
		q.samplesRec = q.enc.Samples(floats, q.samplesRec[:0])
		recs = append(recs, q.samplesRec)
	}
	if len(hists) > 0 {
		rec, custom := q.enc.HistogramSamples(hists, nil)
		if len(rec) > 1 {
			recs = append(recs, rec)
		}
		if len(custom) > 0 {
			recs = append(recs, q.enc.CustomBucketsHistogramSamples(custom, nil))
		}
	}
	if len(fhists) > 0 {
		rec, custom := q.enc.FloatHistogramSamples(fhists, nil)
		if len(rec) > 1 {
			recs = append(recs, rec)
		}
		if len(custom) > 0 {
			recs = append(recs, q.enc.CustomBucketsFloatHistogramSamples(custom, nil))
		}
	}
	q.appRecs = recs[:0]
	if err := q.wl.Log(recs...); err != nil {
		// The segment may hold part of this append: start the next one
		// with every series record again.
		q.segBytes = q.cutBytes
		return fmt.Errorf("forwarding queue: write to %s: %w", q.wl.Dir(), err)
	}
	for _, r := range recs {
		q.segBytes += len(r)
	}
	first := q.appended.Load()
	if n := len(q.marks); n == 0 || q.now().Sub(q.marks[n-1].at) > 100*time.Millisecond {
		q.marks = append(q.marks, enqueueMark{first: first, at: q.now()})
	}
	q.appended.Add(int64(len(samples)))
	select {
	case q.notify <- struct{}{}:
	default:
	}
	return nil
}

// ref is the series' ref in this segment and the queue's own copy of its
// labels (callers may reuse theirs).
func (q *Queue) ref(ls labels.Labels) (chunks.HeadSeriesRef, labels.Labels) {
	h := ls.Hash()
	for _, r := range q.refs[h] {
		if labels.Equal(r.ls, ls) {
			return r.ref, r.ls
		}
	}
	q.nextRef++
	c := ls.Copy()
	q.refs[h] = append(q.refs[h], seriesRef{ls: c, ref: q.nextRef})
	return q.nextRef, c
}

// Close stops accepting samples, saves the sender's position and closes
// the log. Stop Run (its context) first.
func (q *Queue) Close() error {
	q.mu.Lock()
	wasClosed := q.closed
	q.closed = true
	q.mu.Unlock()
	if wasClosed {
		return nil
	}
	q.posMu.Lock()
	err := q.savePosition(q.pos)
	q.posMu.Unlock()
	return errors.Join(err, q.wl.Close())
}

// round is what the sender reads ahead before sending: the samples in
// log order, each naming its series' slot; send groups them by series.
type round struct {
	slotOf  map[chunks.HeadSeriesRef]int32
	slots   []roundSeries
	entries []roundEntry
	hists   []prompb.Histogram
	// exemplars are TimeSeries.exemplars by slot; metadata the round's
	// WriteRequest.metadata, by family.
	exemplars map[int32][]prompb.Exemplar
	metadata  map[string]prompb.MetricMetadata
	n         int
	started   time.Time
	// The last series looked up: a series' samples usually come together.
	lastRef  chunks.HeadSeriesRef
	lastSlot int32
}

// roundSeries is one series of a round.
type roundSeries struct {
	ref    chunks.HeadSeriesRef
	labels []byte // marshalled TimeSeries.labels
	n      int32  // samples of the round
	next   int32  // send: where its next sample goes in the grouped order
}

// roundEntry is a float sample (hist < 0) or a histogram (hists[hist]).
type roundEntry struct {
	slot int32
	hist int32
	t    int64
	v    float64
}

func (r *round) reset() {
	if r.slotOf == nil {
		r.slotOf = map[chunks.HeadSeriesRef]int32{}
	}
	clear(r.slotOf)
	r.slots = r.slots[:0]
	r.entries = r.entries[:0]
	clear(r.hists) // drop the buckets for the GC
	r.hists = r.hists[:0]
	clear(r.exemplars)
	clear(r.metadata)
	r.n = 0
	r.lastSlot = -1
}

// slot is the series' index in the round; series maps the segment's refs
// to their marshalled labels.
func (r *round) slot(ref chunks.HeadSeriesRef, series map[chunks.HeadSeriesRef][]byte) int32 {
	if r.n == 0 {
		r.started = time.Now()
	}
	r.n++
	return r.slotOf0(ref, series, 1)
}

// slotOf0 is the series' slot, counting n samples to it.
func (r *round) slotOf0(ref chunks.HeadSeriesRef, series map[chunks.HeadSeriesRef][]byte, n int32) int32 {
	if r.lastSlot >= 0 && r.lastRef == ref {
		r.slots[r.lastSlot].n += n
		return r.lastSlot
	}
	i, ok := r.slotOf[ref]
	if !ok {
		i = int32(len(r.slots))
		r.slots = append(r.slots, roundSeries{ref: ref, labels: series[ref]})
		r.slotOf[ref] = i
	}
	r.slots[i].n += n
	r.lastRef, r.lastSlot = ref, i
	return i
}

func (r *round) addFloat(ref chunks.HeadSeriesRef, series map[chunks.HeadSeriesRef][]byte, t int64, v float64) {
	r.entries = append(r.entries, roundEntry{slot: r.slot(ref, series), hist: -1, t: t, v: v})
}

func (r *round) addHistogram(ref chunks.HeadSeriesRef, series map[chunks.HeadSeriesRef][]byte, h prompb.Histogram) {
	r.entries = append(r.entries, roundEntry{slot: r.slot(ref, series), hist: int32(len(r.hists)), t: h.Timestamp})
	r.hists = append(r.hists, h)
}

// addExemplar attaches an exemplar to its series in the round (a slot
// without samples when they come in a later round).
func (r *round) addExemplar(ref chunks.HeadSeriesRef, series map[chunks.HeadSeriesRef][]byte, e prompb.Exemplar) {
	if r.exemplars == nil {
		r.exemplars = map[int32][]prompb.Exemplar{}
	}
	i := r.slotOf0(ref, series, 0)
	r.exemplars[i] = append(r.exemplars[i], e)
}

// addMetadata keeps a family's newest metadata for the round's request.
func (r *round) addMetadata(m prompb.MetricMetadata) {
	if r.metadata == nil {
		r.metadata = map[string]prompb.MetricMetadata{}
	}
	r.metadata[m.MetricFamilyName] = m
}

// Run forwards the log to the backend until ctx is done.
func (q *Queue) Run(ctx context.Context) error {
	q.posMu.Lock()
	pos := q.pos
	q.posMu.Unlock()
	walDir := q.wl.Dir()
	dec := record.NewDecoder(nil, q.opts.Logger)
	var r round
	r.reset()
	var (
		floats []record.RefSample
		hists  []record.RefHistogramSample
		fhists []record.RefFloatHistogramSample
		exs    []record.RefExemplar
		metas  []record.RefMetadata
	)
	for seg := pos.Segment; ; seg++ {
		skip := 0
		if seg == pos.Segment {
			skip = pos.Record
		}
		f, err := wlog.OpenReadSegment(wlog.SegmentName(walDir, seg))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && int64(seg) < q.writerSeg.Load() {
				continue
			}
			if errors.Is(err, fs.ErrNotExist) {
				if !q.wait(ctx, time.Second) {
					return nil
				}
				seg--
				continue
			}
			return fmt.Errorf("forwarding queue: open segment %d: %w", seg, err)
		}
		lr := wlog.NewLiveReader(q.opts.Logger, nil, f)
		series := map[chunks.HeadSeriesRef][]byte{}   // marshalled labels
		families := map[chunks.HeadSeriesRef]string{} // metric names, for metadata records
		rec := 0
		for {
			complete := q.writerSeg.Load() > int64(seg)
			for lr.Next() {
				b := lr.Record()
				switch dec.Type(b) {
				case record.Series:
					ss, err := dec.Series(b, nil)
					if err != nil {
						q.opts.Logger.Error("forwarding queue: undecodable series record, skipped", "segment", seg, "record", rec, "err", err)
						break
					}
					for _, s := range ss {
						series[s.Ref] = marshalLabels(s.Labels)
						if s.Labels.Len() == 1 {
							families[s.Ref] = s.Labels.Get(labels.MetricName) // a family's metadata series
						}
					}
				case record.Exemplars:
					if rec < skip {
						break
					}
					if exs, err = dec.Exemplars(b, exs[:0]); err != nil {
						q.opts.Logger.Error("forwarding queue: undecodable exemplar record, skipped", "segment", seg, "record", rec, "err", err)
						break
					}
					for _, e := range exs {
						r.addExemplar(e.Ref, series, prompb.Exemplar{Labels: prompb.FromLabels(e.Labels, nil), Value: e.V, Timestamp: e.T})
					}
				case record.Metadata:
					if rec < skip {
						break
					}
					if metas, err = dec.Metadata(b, metas[:0]); err != nil {
						q.opts.Logger.Error("forwarding queue: undecodable metadata record, skipped", "segment", seg, "record", rec, "err", err)
						break
					}
					for _, m := range metas {
						if fam, ok := families[m.Ref]; ok {
							r.addMetadata(prompb.MetricMetadata{Type: prompb.FromMetadataType(record.ToMetricType(m.Type)), MetricFamilyName: fam, Help: m.Help, Unit: m.Unit})
						}
					}
				case record.Samples, record.SamplesV2:
					if rec < skip {
						break
					}
					if floats, err = dec.Samples(b, floats[:0]); err != nil {
						q.opts.Logger.Error("forwarding queue: undecodable samples record, skipped", "segment", seg, "record", rec, "err", err)
						break
					}
					for _, s := range floats {
						r.addFloat(s.Ref, series, s.T, s.V)
					}
				case record.HistogramSamples, record.HistogramSamplesV2, record.CustomBucketsHistogramSamples:
					if rec < skip {
						break
					}
					if hists, err = dec.HistogramSamples(b, hists[:0]); err != nil {
						q.opts.Logger.Error("forwarding queue: undecodable histogram record, skipped", "segment", seg, "record", rec, "err", err)
						break
					}
					for _, s := range hists {
						r.addHistogram(s.Ref, series, prompb.FromIntHistogram(s.T, s.H))
					}
				case record.FloatHistogramSamples, record.FloatHistogramSamplesV2, record.CustomBucketsFloatHistogramSamples:
					if rec < skip {
						break
					}
					if fhists, err = dec.FloatHistogramSamples(b, fhists[:0]); err != nil {
						q.opts.Logger.Error("forwarding queue: undecodable float histogram record, skipped", "segment", seg, "record", rec, "err", err)
						break
					}
					for _, s := range fhists {
						r.addHistogram(s.Ref, series, prompb.FromFloatHistogram(s.T, s.FH))
					}
				}
				rec++
				if r.n >= q.q.Capacity {
					if err := q.send(ctx, &r, position{seg, rec}); err != nil {
						_ = f.Close()
						return nil // ctx done: the round is sent again after the restart
					}
				}
			}
			if err := lr.Err(); err != nil && !errors.Is(err, io.EOF) {
				q.opts.Logger.Error("forwarding queue: corrupt segment, the rest of it is skipped", "segment", seg, "record", rec, "err", err)
				complete = true
				for int64(seg) >= q.writerSeg.Load() { // never skip the segment being written
					if !q.wait(ctx, time.Second) {
						_ = f.Close()
						return nil
					}
				}
			}
			if r.n > 0 && (complete || r.n >= q.q.MaxSamplesPerSend || time.Since(r.started) >= q.q.BatchSendDeadline) {
				if err := q.send(ctx, &r, position{seg, rec}); err != nil {
					_ = f.Close()
					return nil
				}
			}
			if complete {
				break
			}
			wait := time.Second
			if r.n > 0 {
				wait = max(time.Millisecond, q.q.BatchSendDeadline-time.Since(r.started))
			}
			if !q.wait(ctx, wait) {
				_ = f.Close()
				return nil
			}
		}
		_ = f.Close()
		q.advance(position{Segment: seg + 1}, true)
	}
}

// wait waits for an Append, d, or ctx; false when ctx is done.
func (q *Queue) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-q.notify:
	case <-t.C:
	}
	return true
}

// send sends a round over the shards (a series always on the same shard,
// its samples in order), retrying recoverable failures until they succeed
// or ctx ends; then the position moves to end.
func (q *Queue) send(ctx context.Context, r *round, end position) error {
	shards := min(q.q.MaxShards, (r.n+q.q.MaxSamplesPerSend-1)/q.q.MaxSamplesPerSend)
	// Group the entries by series, each series' in log order (a counting
	// sort: slots in first-seen order, then their samples).
	at := int32(0)
	for i := range r.slots {
		r.slots[i].next = at
		at += r.slots[i].n
	}
	q.grouped = slices.Grow(q.grouped[:0], len(r.entries))[:len(r.entries)]
	for i := range r.entries {
		s := &r.slots[r.entries[i].slot]
		q.grouped[s.next] = int32(i)
		s.next++
	}
	for len(q.shardBufs) < shards {
		q.shardBufs = append(q.shardBufs, &shardBuf{})
	}
	var wg sync.WaitGroup
	errs := make([]error, shards)
	for i := range shards {
		wg.Go(func() { errs[i] = q.sendShard(ctx, r, i, shards, q.shardBufs[i]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	q.done.Add(int64(r.n))
	r.reset()
	q.advance(end, false)
	return nil
}

// shardBuf is a shard's reused request buffers.
type shardBuf struct {
	raw, body []byte
}

// sendShard sends the round's series of shard i of n in requests of at
// most max_samples_per_send samples, one after the other.
func (q *Queue) sendShard(ctx context.Context, r *round, shard, shards int, buf *shardBuf) error {
	// A request's bytes: the labels once per series, ~20 bytes a sample.
	raw, n := slices.Grow(buf.raw[:0], 64*1024+24*q.q.MaxSamplesPerSend), 0
	defer func() { buf.raw = raw[:0] }()
	flush := func() error {
		if len(raw) == 0 {
			return nil
		}
		buf.body = snappy.Encode(buf.body[:cap(buf.body)], raw)
		err := q.sendRequest(ctx, buf.body, n)
		raw, n = raw[:0], 0
		return err
	}
	if shard == 0 {
		// The round's metadata goes with shard 0's first request.
		for _, fam := range slices.Sorted(maps.Keys(r.metadata)) {
			raw = appendMetadata(raw, r.metadata[fam])
		}
	}
	var first int32 // the series' first sample in q.grouped
	for si := range r.slots {
		s := &r.slots[si]
		idx := q.grouped[first : first+s.n]
		first += s.n
		if uint64(s.ref)%uint64(shards) != uint64(shard) {
			continue
		}
		exs := r.exemplars[int32(si)]
		if len(idx) == 0 && len(exs) > 0 {
			raw = appendTimeSeries(raw, r, s.labels, nil, exs) // exemplars whose samples came earlier
		}
		for len(idx) > 0 {
			take := min(q.q.MaxSamplesPerSend-n, len(idx))
			raw = appendTimeSeries(raw, r, s.labels, idx[:take], exs)
			exs = nil // with the series' first samples only
			idx, n = idx[take:], n+take
			if n >= q.q.MaxSamplesPerSend {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// appendTimeSeries appends a WriteRequest.timeseries field: the labels,
// the entries idx of the round and exs.
func appendTimeSeries(b []byte, r *round, lbls []byte, idx []int32, exs []prompb.Exemplar) []byte {
	size := len(lbls)
	for i := range exs {
		size += fieldLen(exs[i].Size())
	}
	for _, i := range idx {
		e := &r.entries[i]
		if e.hist < 0 {
			size += fieldLen(sampleSize(e.t, e.v))
		} else {
			size += fieldLen(r.hists[e.hist].Size())
		}
	}
	b = append(b, tagWriteRequestTimeseries)
	b = binary.AppendUvarint(b, uint64(size))
	b = append(b, lbls...)
	for _, i := range idx {
		e := &r.entries[i]
		if e.hist < 0 {
			b = appendSample(b, e.t, e.v)
		} else {
			b = appendHistogram(b, &r.hists[e.hist])
		}
	}
	for i := range exs {
		b = appendMessage(b, tagTimeSeriesExemplars, &exs[i])
	}
	return b
}

// sendRequest sends one snappy-compressed request body.
func (q *Queue) sendRequest(ctx context.Context, body []byte, n int) error {
	start := time.Now()
	defer func() { q.sendDur.Observe(time.Since(start).Seconds()) }()
	backoff := q.q.MinBackoff
	for attempt := 0; ; attempt++ {
		actx, ra := withRetryAfter(ctx)
		_, err := q.opts.Client.Store(actx, body, attempt)
		if err == nil {
			q.sent.Add(float64(n))
			q.sentBytes.Add(float64(len(body)))
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var rec remote.RecoverableError
		if !errors.As(err, &rec) {
			// 4xx: the backend will never take these samples; keeping
			// them would block everything behind them.
			q.failed.Add(float64(n))
			q.opts.Logger.Error("forwarding: the backend refused samples; they are dropped", "samples", n, "err", err)
			return nil
		}
		q.retries.Inc()
		// The backend's Retry-After (429, 503) when it asks for longer
		// than the backoff, within max_backoff: a longer wait would
		// stall every shard behind this request.
		wait := retryWait(backoff, ra, q.q.MaxBackoff)
		if attempt == 0 || attempt%10 == 0 {
			q.opts.Logger.Warn("forwarding: the backend failed, retrying", "samples", n, "attempt", attempt+1, "wait", wait, "err", err)
		}
		if !q.sleep(ctx, wait) {
			return ctx.Err()
		}
		backoff = min(2*backoff, q.q.MaxBackoff)
	}
}

// sleep waits d or until ctx is done (false); tests replace it through
// QueueOptions.sleep to see the waits without spending them.
func (q *Queue) sleep(ctx context.Context, d time.Duration) bool {
	if q.opts.sleep != nil {
		return q.opts.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// advance moves the sender's position; it is saved at most once a
// second (and always when a segment is left, which then is deleted).
func (q *Queue) advance(p position, segmentDone bool) {
	q.posMu.Lock()
	defer q.posMu.Unlock()
	q.pos = p
	if !segmentDone && time.Since(q.posSaved) < time.Second {
		return
	}
	if err := q.savePosition(p); err != nil {
		q.opts.Logger.Error("forwarding queue: saving the position failed (samples since the last save will be sent again after a restart)", "err", err)
		return
	}
	q.posSaved = time.Now()
	if segmentDone {
		if err := q.wl.Truncate(p.Segment); err != nil {
			q.opts.Logger.Warn("forwarding queue: deleting sent segments failed", "err", err)
		}
	}
}

func (q *Queue) savePosition(p position) error {
	b, _ := json.Marshal(p)
	path := filepath.Join(q.opts.Dir, "position.json")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("save forwarding position: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save forwarding position: %w", err)
	}
	return nil
}

func loadPosition(path string) (position, error) {
	var p position
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("read forwarding position: %w", err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("read forwarding position %s: %w", path, err)
	}
	return p, nil
}

// countFrom counts the samples in the log from p on (the backlog).
func countFrom(walDir string, p position, logger *slog.Logger) (int64, error) {
	_, last, err := wlog.Segments(walDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("list forwarding queue segments: %w", err)
	}
	dec := record.NewDecoder(nil, logger)
	var n int64
	var floats []record.RefSample
	var hists []record.RefHistogramSample
	var fhists []record.RefFloatHistogramSample
	for seg := p.Segment; seg <= last; seg++ {
		f, err := wlog.OpenReadSegment(wlog.SegmentName(walDir, seg))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("count forwarding backlog: %w", err)
		}
		lr := wlog.NewLiveReader(logger, nil, f)
		for rec := 0; lr.Next(); rec++ {
			if seg == p.Segment && rec < p.Record {
				continue
			}
			b := lr.Record()
			switch dec.Type(b) {
			case record.Samples, record.SamplesV2:
				floats, _ = dec.Samples(b, floats[:0])
				n += int64(len(floats))
			case record.HistogramSamples, record.HistogramSamplesV2, record.CustomBucketsHistogramSamples:
				hists, _ = dec.HistogramSamples(b, hists[:0])
				n += int64(len(hists))
			case record.FloatHistogramSamples, record.FloatHistogramSamplesV2, record.CustomBucketsFloatHistogramSamples:
				fhists, _ = dec.FloatHistogramSamples(b, fhists[:0])
				n += int64(len(fhists))
			}
		}
		_ = f.Close()
	}
	return n, nil
}
