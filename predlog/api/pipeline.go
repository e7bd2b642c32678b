package api

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/contract"
	"github.com/mlectl/mlectl/mlmetrics"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/quality"
)

// PipelineOptions configures OpenPipeline; the zero value gives defaults.
type PipelineOptions struct {
	Store   store.Options
	Quality quality.Options
	Skew    skew.Options
	Limits  Limits
	Logger  *slog.Logger
	// CompactEvery is how often Run merges small blocks; default 1m.
	CompactEvery time.Duration
}

// Pipeline is the whole prediction-log side of a collector, wired: the log
// in <data-dir>/predlog, traffic series, data contracts, label joins, the
// streaming drift windows, and the Handler serving them.
type Pipeline struct {
	Log       *store.Store
	Traffic   *mlmetrics.Aggregator
	Contracts *contract.Checker
	Joiner    *quality.Joiner
	Skew      *skew.Tracker
	*Handler
	compactEvery time.Duration
	logger       *slog.Logger
}

// OpenPipeline opens the prediction log under dataDir and builds the
// pipeline. Mount it with Register(mux) (or serve it as an http.Handler) and
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
	h, err := New(ctx, Config{
		Log: lg, Traffic: p.Traffic, Contracts: p.Contracts, Joiner: p.Joiner,
		Observers: []Observer{p.Skew}, Series: []SeriesWriter{p.Skew}, Baselines: []BaselineSink{p.Skew},
		Limits: opts.Limits, Logger: opts.Logger,
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
	return p, nil
}

// Run writes the pipeline's series every interval and compacts small
// blocks every CompactEvery, until ctx is done.
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
			case <-t.C:
				st, err := p.Log.Compact(ctx, 0)
				if err != nil && ctx.Err() == nil {
					p.logger.Warn("prediction log compaction failed", "err", err)
				} else if st.BlocksIn > 0 {
					p.logger.Debug("prediction log compacted", "blocks_in", st.BlocksIn, "blocks_out", st.BlocksOut, "bytes_in", st.BytesIn, "bytes_out", st.BytesOut)
				}
			}
		}
	}()
	p.Handler.Run(ctx, db, interval)
	<-done
}

// Close closes the prediction log. Stop Run and the HTTP server first.
func (p *Pipeline) Close() error { return p.Log.Close() }
