package shadow

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/predlog"
)

// BenchmarkReplay replays 20,000 logged production records of the bike
// sharing regressor (XGBoost JSON, 12 features) from a real prediction log
// through the candidate and compares: rows/s end to end (log read, batch
// build, scoring on all cores, comparison).
func BenchmarkReplay(b *testing.B) {
	dir := "../testdata/models/xgboost_bike_cnt_regression"
	header, rows, want := fixtureRows(b, dir)
	lg := openStore(b)
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	const n = 20000
	recs := make([]predlog.Record, 0, 4096)
	for i := range n {
		k := i % len(rows)
		recs = append(recs, record("v1", "production", id(i), t0.Add(time.Duration(i)*time.Millisecond), header, rows[k], want[k]+1))
		if len(recs) == cap(recs) || i == n-1 {
			require.NoError(b, lg.Append(context.Background(), recs))
			recs = recs[:0]
		}
	}
	cand, err := LoadCandidate(filepath.Join(dir, "model.json"), "v2", nil)
	require.NoError(b, err)
	acc := NewAccumulator(Options{})
	b.ResetTimer()
	var rows0 int
	for b.Loop() {
		acc.Reset()
		info, err := Replay(context.Background(), lg, nil, cand, engine.CPU{}, ReplayQuery{Model: "bike"}, acc.Add)
		require.NoError(b, err)
		rows0 += info.Rows
	}
	b.ReportMetric(float64(rows0)/b.Elapsed().Seconds(), "rows/s")
	s := acc.Result()
	require.InDelta(b, 1.0, s.MeanAbsDiff, 1e-3, "production logged XGBoost's prediction + 1")
}

// BenchmarkPairLogged pairs 100,000 production and 100,000 shadow records
// (12 features each) read from a real prediction log and compares them:
// pairs/s of a logged report without labels.
func BenchmarkPairLogged(b *testing.B) {
	header, rows, want := fixtureRows(b, "../testdata/models/xgboost_bike_cnt_regression")
	lg := openStore(b)
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	const n = 100000
	recs := make([]predlog.Record, 0, 8192)
	for i := range n {
		k := i % len(rows)
		ts := t0.Add(time.Duration(i) * time.Millisecond)
		recs = append(recs, record("v1", "production", id(i), ts, header, rows[k], want[k]),
			record("v2", "shadow", id(i), ts, header, rows[k], want[(k+1)%len(want)]))
		if len(recs) == cap(recs) || i == n-1 {
			require.NoError(b, lg.Append(context.Background(), recs))
			recs = recs[:0]
		}
	}
	acc := NewAccumulator(Options{})
	var pairs int
	for b.Loop() {
		acc.Reset()
		info, err := PairLogged(context.Background(), lg, nil, LoggedQuery{Model: "bike"}, acc.Add)
		require.NoError(b, err)
		_ = acc.Result()
		pairs += info.Paired
	}
	b.ReportMetric(float64(pairs)/b.Elapsed().Seconds(), "pairs/s")
}
