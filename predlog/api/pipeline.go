package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/contract"
	"github.com/mlectl/mlectl/mlmetrics"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/predlog/sli"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/quality"
)

// PipelineOptions configures OpenPipeline; the zero value gives defaults.
type PipelineOptions struct {
	Store   store.Options
	Quality quality.Options
	Skew    skew.Options
	// SLI configures the explanation and freshness windows; its Window
	// defaults to Skew.Window, so both series move together.
	SLI    sli.Options
	Limits Limits
	Logger *slog.Logger
	// Middleware wraps each route in Mount; see Config.Middleware.
	Middleware func(pattern string, h http.Handler) http.Handler
	// Transformers rewrite records before they are stored (the game-day
	// injector); Baselines are told about every training profile besides
	// the streaming drift windows. See Config.
	Transformers []Transformer
	Baselines    []BaselineSink
	// Owner, when set, refuses records of models another collector owns
	// (see Config.Owner).
	Owner func(model string) error
	// CompactEvery is how often Run merges small blocks and applies
	// retention; default 1m.
	CompactEvery time.Duration
	// Retention: records older than this are deleted. Default 30 days.
	Retention time.Duration
	// RestoreJoins: on open, predictions of this long before now are read
	// back from the log into the label joiner, and stored labels replayed,
	// so a restart does not lose pending joins nor the quality windows.
	// Default 24h; negative disables.
	RestoreJoins time.Duration
}

// DefaultRetention is PipelineOptions.Retention's default.
const DefaultRetention = 30 * 24 * time.Hour

// Pipeline is the whole prediction-log side of a collector, wired: the log
// in <data-dir>/predlog, traffic series, data contracts, label joins, the
// streaming drift windows, and the Handler serving them.
type Pipeline struct {
	Log       *store.Store
	Traffic   *mlmetrics.Aggregator
	Contracts *contract.Checker
	Joiner    *quality.Joiner
	Skew      *skew.Tracker
	SLI       *sli.Tracker
	*Handler
	compactEvery time.Duration
	retention    time.Duration
	horizon      time.Duration
	logger       *slog.Logger
}

// OpenPipeline opens the prediction log under dataDir and builds the
// pipeline. Mount it with Mount(mux) (or serve it as an http.Handler) and
// run Run(ctx, store, interval) to write its series into the TSDB.
func OpenPipeline(ctx context.Context, dataDir string, opts PipelineOptions) (*Pipeline, error) {
	opts.Store.Logger = opts.Logger
	lg, err := store.Open(filepath.Join(dataDir, "predlog"), opts.Store)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{
		Log:       lg,
		Traffic:   mlmetrics.NewAggregator(),
		Contracts: contract.NewChecker(),
		Joiner:    quality.NewJoiner(opts.Quality),
		Skew:      skew.New(opts.Skew),
	}
	if opts.SLI.Window == 0 {
		opts.SLI.Window = opts.Skew.Window
	}
	p.SLI = sli.New(opts.SLI)
	h, err := New(ctx, Config{
		Log: lg, Traffic: p.Traffic, Contracts: p.Contracts, Joiner: p.Joiner,
		Observers: []Observer{p.Skew, p.SLI}, Series: []SeriesWriter{p.Skew, p.SLI},
		Baselines:    append([]BaselineSink{p.Skew}, opts.Baselines...),
		Transformers: opts.Transformers,
		Owner:        opts.Owner,
		Limits:       opts.Limits, Logger: opts.Logger, Middleware: opts.Middleware,
		SpoolDir: filepath.Join(dataDir, "spool"),
	})
	if err != nil {
		_ = lg.Close()
		return nil, fmt.Errorf("prediction log pipeline: %w", err)
	}
	p.Handler = h
	p.compactEvery = opts.CompactEvery
	if p.compactEvery <= 0 {
		p.compactEvery = time.Minute
	}
	p.logger = opts.Logger
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	p.retention = opts.Retention
	if p.retention <= 0 {
		p.retention = DefaultRetention
	}
	p.horizon = opts.Quality.Horizon
	if p.horizon <= 0 {
		p.horizon = quality.DefaultHorizon
	}
	if opts.RestoreJoins >= 0 {
		window := opts.RestoreJoins
		if window == 0 {
			window = 24 * time.Hour
		}
		if err := p.restoreJoins(ctx, time.Now().Add(-window)); err != nil {
			_ = lg.Close()
			return nil, err
		}
	}
	return p, nil
}

// restoreJoins replays predictions since from, then the stored labels, into
// the joiner.
func (p *Pipeline) restoreJoins(ctx context.Context, from time.Time) error {
	mvs, err := p.Log.Models(ctx)
	if err != nil {
		return fmt.Errorf("restore label joins: %w", err)
	}
	batch := make([]predlog.Record, 0, 4096)
	for i, mv := range mvs {
		if i > 0 && mvs[i-1].Model == mv.Model {
			continue // Scan by model covers every version
		}
		err := p.Log.Scan(ctx, store.Query{Model: mv.Model, From: from}, func(r *predlog.Record) error {
			c := *r
			c.Features = nil
			batch = append(batch, c)
			if len(batch) == cap(batch) {
				p.Joiner.ObserveRecords(batch)
				batch = batch[:0]
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("restore label joins of %s: %w", mv.Model, err)
		}
	}
	p.Joiner.ObserveRecords(batch)
	dec := predlog.NewDecoder(nil)
	return p.Log.ListMeta(ctx, nsLabel, func(key string, val []byte) error {
		var fb predlog.Feedback
		if err := dec.DecodeFeedback(val, &fb); err != nil {
			p.logger.Warn("skipping unreadable stored label", "request_id", key, "err", err)
			return nil
		}
		if fb.TS >= from.UnixMilli() {
			p.Joiner.AddLabel(quality.Label{RequestID: fb.RequestID, Value: fb.Label, TS: fb.TS})
		}
		return nil
	})
}

// maintain compacts small blocks and deletes records and labels past
// their retention.
func (p *Pipeline) maintain(ctx context.Context, now time.Time) {
	st, err := p.Log.Compact(ctx, 0)
	if err != nil {
		if ctx.Err() == nil {
			p.logger.Warn("prediction log compaction failed", "err", err)
		}
		return
	}
	if st.BlocksIn > 0 {
		p.logger.Debug("prediction log compacted", "blocks_in", st.BlocksIn, "blocks_out", st.BlocksOut, "bytes_in", st.BytesIn, "bytes_out", st.BytesOut)
	}
	if n, err := p.Log.DeleteBefore(ctx, now.Add(-p.retention)); err != nil {
		p.logger.Warn("prediction log retention failed", "err", err)
	} else if n > 0 {
		p.logger.Info("prediction log retention deleted records", "records", n)
	}
	cut := now.Add(-p.horizon).UnixMilli()
	dec := predlog.NewDecoder(nil)
	if _, err := p.Log.DeleteMetaIf(ctx, nsLabel, func(_ string, val []byte) bool {
		var fb predlog.Feedback
		return dec.DecodeFeedback(val, &fb) != nil || fb.TS < cut
	}); err != nil {
		p.logger.Warn("label retention failed", "err", err)
	}
}

// Run writes the pipeline's series every interval and, every CompactEvery,
// compacts small blocks and applies retention, until ctx is done.
func (p *Pipeline) Run(ctx context.Context, db storage.Appendable, interval time.Duration) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(p.compactEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				p.maintain(ctx, now)
			}
		}
	}()
	p.Handler.Run(ctx, db, interval)
	<-done
}

// Close closes the prediction log. Stop Run and the HTTP server first.
func (p *Pipeline) Close() error { return p.Log.Close() }
