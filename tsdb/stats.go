package tsdb

import (
	"cmp"
	"slices"

	"github.com/prometheus/prometheus/model/labels"
)

// DefaultStatsLimit is the length of the top-N lists in Stats, as in
// Prometheus's /api/v1/status/tsdb.
const DefaultStatsLimit = 10

// Stats returns sizes, counters and the top-10 cardinality lists.
func (db *DB) Stats() Stats { return db.StatsN(DefaultStatsLimit) }

// StatsN is Stats with top-N lists of length limit.
func (db *DB) StatsN(limit int) Stats {
	st := Stats{
		Series:              int(db.ix.count.Load()),
		SamplesStored:       db.blockSamples.Load(),
		Blocks:              db.blockCount.Load(),
		BlockBytes:          db.blockBytes.Load(),
		BytesOnDisk:         dirUsage(db.dir),
		HeadSamples:         db.headSamples.Load(),
		WALBytes:            db.wal.diskSize(),
		RejectedOutOfWindow: db.rejected.Load(),
		AcceptedOutOfOrder:  db.acceptedOOO.Load(),
		DuplicateSamples:    db.duplicates.Load(),
		MinTime:             maxInt64,
		MaxTime:             minInt64,
	}
	if st.SamplesStored > 0 {
		st.BytesPerSample = float64(st.BlockBytes) / float64(st.SamplesStored)
	}
	for _, s := range db.ix.allSeries() {
		s.mu.Lock()
		if lo, hi, ok := s.headBounds(); ok {
			st.HeadSeries++
			st.MinTime = min(st.MinTime, lo)
			st.MaxTime = max(st.MaxTime, hi)
		}
		for _, m := range s.blocks {
			st.MinTime = min(st.MinTime, m.minT)
			st.MaxTime = max(st.MaxTime, m.maxT)
		}
		s.mu.Unlock()
	}

	var byName, valueCount, memory, pairs []Stat
	db.ix.mu.RLock()
	for name, vals := range db.ix.postings {
		valueCount = append(valueCount, Stat{Name: name, Value: uint64(len(vals))})
		var size uint64
		for v, p := range vals {
			if name == labels.MetricName {
				byName = append(byName, Stat{Name: v, Value: uint64(len(p))})
			}
			pairs = append(pairs, Stat{Name: name + "=" + v, Value: uint64(len(p))})
			size += labels.SizeOfLabels(name, v, uint64(len(p)))
		}
		st.LabelPairs += len(vals)
		memory = append(memory, Stat{Name: name, Value: size})
	}
	db.ix.mu.RUnlock()
	st.SeriesCountByMetricName = topN(byName, limit)
	st.LabelValueCountByLabelName = topN(valueCount, limit)
	st.MemoryInBytesByLabelName = topN(memory, limit)
	st.SeriesCountByLabelValuePair = topN(pairs, limit)
	return st
}

func topN(s []Stat, n int) []Stat {
	slices.SortFunc(s, func(a, b Stat) int {
		if c := cmp.Compare(b.Value, a.Value); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	if len(s) > n {
		s = s[:n]
	}
	return s
}

// NumSeries is the number of series in the index (cheap: a counter).
func (db *DB) NumSeries() int { return int(db.ix.count.Load()) }

// MinValidTime is the oldest timestamp (ms) a sample may have and still be
// kept: older samples fall before Now()-Retention and would be deleted by
// the next retention pass, so writers refuse them up front.
func (db *DB) MinValidTime() int64 { return db.now().Add(-db.opts.Retention).UnixMilli() }
