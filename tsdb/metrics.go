package tsdb

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	samplesAppended    *prometheus.CounterVec
	samplesRejected    *prometheus.CounterVec
	appendedInOrder    prometheus.Counter
	appendedOOO        prometheus.Counter
	appendedDup        prometheus.Counter
	seals              prometheus.Counter
	sealFailures       prometheus.Counter
	sealsDeferred      prometheus.Counter
	sealDuration       prometheus.Histogram
	retentionDropped   prometheus.Counter
	compactions        prometheus.Counter
	compactionFailures prometheus.Counter
	compactDuration    prometheus.Histogram
	blocksCompacted    prometheus.Counter
	seriesRemoved      prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, db *DB) *metrics {
	// Registration errors (say, a second DB on the same registry) are logged, not fatal.
	m := &metrics{
		samplesAppended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlectl_tsdb_samples_appended_total",
			Help: "Samples committed to the head, by how they were placed.",
		}, []string{"placement"}),
		samplesRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlectl_tsdb_samples_rejected_total",
			Help: "Samples refused by the appender, by reason.",
		}, []string{"reason"}),
		seals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mlectl_tsdb_head_seals_total",
			Help: "Times the head was sealed into blocks.",
		}),
		sealFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mlectl_tsdb_head_seal_failures_total",
			Help: "Head seals that failed (the data stays in the head and WAL).",
		}),
		sealsDeferred: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mlectl_tsdb_head_seals_deferred_total",
			Help: "Seals put off because the data dir's free space was below the disk reserve (the data stays in the head and WAL).",
		}),
		sealDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mlectl_tsdb_head_seal_duration_seconds",
			Help:    "Time to seal the head into blocks.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 8),
		}),
		compactions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mlectl_tsdb_compactions_total",
			Help: "Compaction passes that rewrote at least one run of blocks.",
		}),
		compactionFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mlectl_tsdb_compaction_failures_total",
			Help: "Compaction passes that failed (blocks stay as they were).",
		}),
		compactDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mlectl_tsdb_compaction_duration_seconds",
			Help:    "Time of compaction passes that rewrote blocks.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 8),
		}),
		blocksCompacted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mlectl_tsdb_blocks_compacted_total",
			Help: "Blocks replaced by merged blocks.",
		}),
		retentionDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mlectl_tsdb_retention_days_dropped_total",
			Help: "UTC days of blocks deleted by retention.",
		}),
		seriesRemoved: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mlectl_tsdb_series_removed_total",
			Help: "Series removed from the index because all their data expired.",
		}),
	}
	m.appendedInOrder = m.samplesAppended.WithLabelValues("in_order")
	m.appendedOOO = m.samplesAppended.WithLabelValues("out_of_order")
	m.appendedDup = m.samplesAppended.WithLabelValues("duplicate")
	if reg == nil {
		return m
	}
	for _, c := range []prometheus.Collector{m.samplesAppended, m.samplesRejected, m.seals, m.sealFailures, m.sealsDeferred, m.sealDuration,
		m.retentionDropped, m.seriesRemoved, m.compactions, m.compactionFailures, m.compactDuration, m.blocksCompacted,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mlectl_tsdb_series", Help: "Series in the index.",
		}, func() float64 { return float64(db.ix.count.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mlectl_tsdb_head_samples", Help: "Samples in the head, not yet sealed.",
		}, func() float64 { return float64(db.headSamples.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mlectl_tsdb_block_samples", Help: "Samples in sealed blocks.",
		}, func() float64 { return float64(db.blockSamples.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mlectl_tsdb_block_bytes", Help: "Encoded bytes of sealed blocks (keys and values).",
		}, func() float64 { return float64(db.blockBytes.Load()) }),
	} {
		if err := reg.Register(c); err != nil {
			db.log.Warn("tsdb metric not registered", "err", err)
		}
	}
	return m
}
