package shadow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/registry"
	"github.com/mlectl/mlectl/tsdb"
)

func fixtureRecords(t *testing.T, n int, t0 time.Time) (recs []predlog.Record, prod, cand []float64) {
	header, rows, want := fixtureRows(t, binaryFixture)
	for i := range n {
		k := i % len(rows)
		p := math.Min(1, math.Max(0, want[k]+0.2*math.Cos(float64(i))))
		recs = append(recs, record("v1", "production", id(i), t0.Add(time.Duration(i)*time.Millisecond), header, rows[k], p))
		prod, cand = append(prod, p), append(cand, want[k])
	}
	return recs, prod, cand
}

// TestLiveDropsWhenFullAndNeverBlocks fills the queue with no worker
// running: ObserveRecords must return at once, queue what fits and count
// the rest as dropped; once the worker runs, the queued records are scored.
func TestLiveDropsWhenFullAndNeverBlocks(t *testing.T) {
	reg := openRegistry(t, "file://"+absPath(t, filepath.Join(binaryFixture, "model.json")))
	l := NewLive(LiveOptions{Registry: reg, Queue: 8, BatchRows: 4})
	recs, _, _ := fixtureRecords(t, 100, time.Now())
	cases := []struct {
		name        string
		recs        []predlog.Record
		wantDropped uint64
	}{
		{"first 5 fit", recs[:5], 0},
		{"3 more fit, 92 dropped", recs[5:], 92},
		{"a shadow record is queued for logged pairing (dropped: full), an error record is not", func() []predlog.Record {
			s := recs[0]
			s.Role = predlog.RoleShadow
			e := recs[1]
			e.Status = predlog.StatusError
			return []predlog.Record{s, e}
		}(), 93},
	}
	for _, tc := range cases {
		done := make(chan struct{})
		go func() { l.ObserveRecords(tc.recs); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: ObserveRecords blocked on a full queue", tc.name)
		}
		assert.Equal(t, tc.wantDropped, l.Dropped("bike"), tc.name)
	}
	assert.Len(t, l.queue, 8)

	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { l.Run(ctx); close(stopped) }()
	require.Eventually(t, func() bool {
		s, ok := l.Stats("bike")
		return ok && s.Pairs == 8
	}, 5*time.Second, 5*time.Millisecond)
	s, _ := l.Stats("bike")
	assert.Equal(t, uint64(8), s.Rows)
	assert.Equal(t, uint64(93), s.Dropped)
	assert.Equal(t, "v2", s.CandidateVersion)
	assert.Equal(t, "v1", s.ProductionVersion)

	// A model without a candidate is resolved once and then skipped at
	// ingest: never queued, never counted as dropped.
	other := recs[0]
	other.Model = "nocandidate"
	l.ObserveRecords([]predlog.Record{other})
	require.Eventually(t, func() bool {
		st, known := (*l.active.Load())["nocandidate"]
		return known && !st.on
	}, 5*time.Second, 5*time.Millisecond)
	cancel()
	<-stopped
	l.ObserveRecords(recs[:8]) // fills the queue again (no worker)
	many := make([]predlog.Record, 50)
	for i := range many {
		many[i] = other
	}
	l.ObserveRecords(many)
	assert.Zero(t, l.Dropped("nocandidate"))
	_, ok := l.Stats("nocandidate")
	assert.False(t, ok)
}

// TestLiveScoresAndWritesSeries runs the worker on 3000 records and checks
// the rolling figures against XGBoost's own predictions and the series
// written into a real TSDB.
func TestLiveScoresAndWritesSeries(t *testing.T) {
	reg := openRegistry(t, absPath(t, filepath.Join(binaryFixture, "model.json")))
	l := NewLive(LiveOptions{Registry: reg, Window: 1000})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)
	recs, prod, cand := fixtureRecords(t, 3000, time.Now())
	for lo := 0; lo < len(recs); lo += 100 {
		l.ObserveRecords(recs[lo : lo+100])
		time.Sleep(time.Millisecond) // ingest pace; the queue (8192) never fills
	}
	require.Eventually(t, func() bool {
		s, ok := l.Stats("bike")
		return ok && s.Rows == 3000
	}, 10*time.Second, 5*time.Millisecond)
	s, _ := l.Stats("bike")
	assert.Equal(t, 1000, s.Pairs, "the window keeps the last 1000 pairs")
	meanAbs, agreement := expectedAgreement(prod[2000:3000], cand[2000:3000])
	assert.InDelta(t, meanAbs, s.MeanAbsDiff, 1e-5)
	assert.InDelta(t, agreement, s.Agreement, 1e-12)
	assert.Greater(t, s.RowsPerSecond, 0.0)

	db, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	defer db.Close()
	ts := time.Now()
	require.NoError(t, l.AppendTo(ctx, db, ts))
	q, err := db.Querier(ts.UnixMilli()-1, ts.UnixMilli()+1)
	require.NoError(t, err)
	defer q.Close()
	want := map[string]float64{
		MetricRows: 3000, MetricDropped: 0, MetricAgreement: agreement, MetricAbsDiffMean: s.MeanAbsDiff,
		MetricAbsDiffP99: s.P99AbsDiff, MetricSpearman: s.Spearman, MetricPSI: s.PSI,
	}
	for name, v := range want {
		ss := q.Select(ctx, false, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", name))
		require.True(t, ss.Next(), name)
		lset := ss.At().Labels()
		assert.Equal(t, "bike", lset.Get("model"))
		assert.Equal(t, "v1", lset.Get("production_version"))
		assert.Equal(t, "v2", lset.Get("candidate_version"))
		assert.Equal(t, "live", lset.Get("source"))
		it := ss.At().Iterator(nil)
		require.NotEqual(t, 0, it.Next(), name)
		_, got := it.At()
		assert.InDelta(t, v, got, 1e-9, name)
		assert.False(t, ss.Next())
	}
}

// BenchmarkLiveObserve is the cost live shadow adds to ingest per record
// (the queue is drained by a running worker).
func BenchmarkLiveObserve(b *testing.B) {
	header, rows, _ := fixtureRows(b, binaryFixture)
	rec := record("v1", "production", "r", time.Now(), header, rows[0], 0.5)
	batch := make([]predlog.Record, 256)
	for i := range batch {
		batch[i] = rec
	}
	reg := openRegistry(b, absPath(b, filepath.Join(binaryFixture, "model.json")))
	l := NewLive(LiveOptions{Registry: reg})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)
	b.ReportAllocs()
	for b.Loop() {
		l.ObserveRecords(batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/record")
}

// TestLivePicksUpALaterCandidate: a model resolved without a candidate is
// looked up again after Refresh, so a shadow version registered later is
// scored without a restart.
func TestLivePicksUpALaterCandidate(t *testing.T) {
	reg := openRegistry(t, "s3://remote/model.json") // v2 is not a local file: no live candidate
	l := NewLive(LiveOptions{Registry: reg, Refresh: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)
	recs, _, _ := fixtureRecords(t, 50, time.Now())
	l.ObserveRecords(recs[:1])
	require.Eventually(t, func() bool {
		st, known := (*l.active.Load())["bike"]
		return known && !st.on
	}, 5*time.Second, 5*time.Millisecond)
	sum := sha256.Sum256([]byte("x"))
	_, err := reg.Register(ctx, registry.Version{Model: "bike", Version: "v3", Stage: registry.StageShadow,
		ArtifactURI: absPath(t, filepath.Join(binaryFixture, "model.json")), SHA256: hex.EncodeToString(sum[:]),
		CreatedAt: time.Now().Add(time.Hour)}, "t")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		l.ObserveRecords(recs)
		s, ok := l.Stats("bike")
		return ok && s.CandidateVersion == "v3" && s.Pairs > 0
	}, 5*time.Second, 10*time.Millisecond)
}

// TestLiveLoggedWindows: production and shadow records arriving in separate
// batches are paired by request id in a rolling window per candidate
// version, without any model file, and written as source="logged" series.
func TestLiveLoggedWindows(t *testing.T) {
	l := NewLive(LiveOptions{Window: 500, MaxPending: 1000})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)
	t0 := time.Now()
	var prod, shadow []predlog.Record
	var p, c []float64
	for i := range 800 {
		pv, cv := float64(i%97)/97, float64((i*7)%89)/89
		prod = append(prod, record("v1", "production", id(i), t0.Add(time.Duration(i)*time.Millisecond), nil, nil, pv))
		shadow = append(shadow, record("v2", "shadow", id(i), t0.Add(time.Duration(i)*time.Millisecond), nil, nil, cv))
		p, c = append(p, pv), append(c, cv)
	}
	// Shadow first, so the model is known to have shadow traffic, then
	// production in batches.
	for lo := 0; lo < 800; lo += 100 {
		l.ObserveRecords(shadow[lo : lo+100])
		l.ObserveRecords(prod[lo : lo+100])
		time.Sleep(time.Millisecond)
	}
	require.Eventually(t, func() bool {
		s, ok := l.LoggedStats("bike", "v2")
		return ok && s.Rows == 800
	}, 5*time.Second, 5*time.Millisecond)
	s, _ := l.LoggedStats("bike", "v2")
	assert.Equal(t, 500, s.Pairs)
	assert.Equal(t, "v1", s.ProductionVersion)
	meanAbs, agreement := expectedAgreement(p[300:800], c[300:800])
	assert.InDelta(t, meanAbs, s.MeanAbsDiff, 1e-12)
	assert.InDelta(t, agreement, s.Agreement, 1e-12)
	_, ok := l.Stats("bike")
	assert.False(t, ok, "no live candidate without a registry")

	db, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	defer db.Close()
	ts := time.Now()
	require.NoError(t, l.AppendTo(ctx, db, ts))
	q, err := db.Querier(ts.UnixMilli()-1, ts.UnixMilli()+1)
	require.NoError(t, err)
	defer q.Close()
	ss := q.Select(ctx, false, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", MetricAbsDiffMean),
		labels.MustNewMatcher(labels.MatchEqual, "source", "logged"))
	require.True(t, ss.Next())
	assert.Equal(t, "v2", ss.At().Labels().Get("candidate_version"))
	it := ss.At().Iterator(nil)
	require.NotEqual(t, 0, it.Next())
	_, v := it.At()
	assert.InDelta(t, meanAbs, v, 1e-12)
}

// TestLiveLoggedPairsEachCandidateVersion: a request logged by production,
// a shadow (v2) and a canary (v3) pairs production with each candidate,
// whichever arrives first; one candidate's record does not replace the
// other's while they wait for production.
func TestLiveLoggedPairsEachCandidateVersion(t *testing.T) {
	l := NewLive(LiveOptions{Window: 1000, MaxPending: 1000})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)
	t0 := time.Now()
	const n = 200
	var prod, shadow, canary []predlog.Record
	var p, s2, s3 []float64
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		pv, v2, v3 := float64(i%97)/97, float64((i*7)%89)/89, float64((i*13)%83)/83
		prod = append(prod, record("v1", "production", id(i), at, nil, nil, pv))
		shadow = append(shadow, record("v2", "shadow", id(i), at, nil, nil, v2))
		canary = append(canary, record("v3", "canary", id(i), at, nil, nil, v3))
		p, s2, s3 = append(p, pv), append(s2, v2), append(s3, v3)
	}
	// Both candidates first (waiting for production), then production; the
	// second half has production between the two candidates.
	l.ObserveRecords(shadow[:n/2])
	l.ObserveRecords(canary[:n/2])
	l.ObserveRecords(prod[:n/2])
	l.ObserveRecords(shadow[n/2:])
	l.ObserveRecords(prod[n/2:])
	l.ObserveRecords(canary[n/2:])
	for _, tc := range []struct {
		version string
		cand    []float64
	}{{"v2", s2}, {"v3", s3}} {
		require.Eventually(t, func() bool {
			s, ok := l.LoggedStats("bike", tc.version)
			return ok && s.Rows == n
		}, 5*time.Second, 5*time.Millisecond, "candidate %s", tc.version)
		s, _ := l.LoggedStats("bike", tc.version)
		var meanAbs float64
		for i := range n {
			meanAbs += math.Abs(tc.cand[i]-p[i]) / n
		}
		assert.Equal(t, n, s.Pairs, tc.version)
		assert.Equal(t, "v1", s.ProductionVersion, tc.version)
		assert.InDelta(t, meanAbs, s.MeanAbsDiff, 1e-12, tc.version)
	}
}

// TestLiveLoggedCandidatesAreBounded: a model keeps the windows of its 8
// newest candidate versions; a ninth retires the oldest.
func TestLiveLoggedCandidatesAreBounded(t *testing.T) {
	l := NewLive(LiveOptions{Window: 10, MaxPending: 1000})
	t0 := time.Now()
	var items []liveItem
	for v := range 9 {
		items = append(items,
			liveItem{candidate: true, model: "bike", version: fmt.Sprint("c", v), requestID: fmt.Sprint("r", v), ts: t0.UnixMilli(), score: 0.5},
			liveItem{model: "bike", version: "v1", requestID: fmt.Sprint("r", v), ts: t0.UnixMilli(), score: 0.4})
	}
	l.pairModel(items)
	_, ok := l.LoggedStats("bike", "c0")
	assert.False(t, ok, "the oldest candidate is retired")
	for v := 1; v < 9; v++ {
		s, ok := l.LoggedStats("bike", fmt.Sprint("c", v))
		require.True(t, ok, "c%d", v)
		assert.Equal(t, 1, s.Pairs, "c%d", v)
	}
}

// expectedAgreement recomputes what the scorer reports over paired scores:
// the mean absolute difference and the share of pairs on the same side of
// the 0.5 threshold.
func expectedAgreement(prod, cand []float64) (meanAbs, agreement float64) {
	n := float64(len(prod))
	var agree float64
	for i := range prod {
		meanAbs += math.Abs(cand[i]-prod[i]) / n
		if (prod[i] >= 0.5) == (cand[i] >= 0.5) {
			agree++
		}
	}
	return meanAbs, agree / n
}
