package collector

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/diskguard"
	"github.com/mlectl/mlectl/tsdb"
)

// TestWriteRefusesBadTimesAndBodies: the write-path refusals of issue 12
// item 8, each naming its reason, with the valid series of the request kept.
func TestWriteRefusesBadTimesAndBodies(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	good := func(name string) prompb.TimeSeries {
		return series([]string{"__name__", name}, prompb.Sample{Timestamp: now.UnixMilli(), Value: 1})
	}
	at := func(ts int64) prompb.TimeSeries {
		return series([]string{"__name__", "bad_time"}, prompb.Sample{Timestamp: ts, Value: 1})
	}
	year := func(y int) int64 { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() }
	v2WithSymbol0 := func(t *testing.T) []byte {
		req := writev2.Request{Symbols: []string{"x", "__name__", "m"},
			Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{1, 2}, Samples: []writev2.Sample{{Value: 1, Timestamp: now.UnixMilli()}}}}}
		b, err := req.Marshal()
		require.NoError(t, err)
		return snappy.Encode(nil, b)
	}
	for _, tc := range []struct {
		name        string
		contentType string
		body        func(t *testing.T) []byte
		wantCode    int
		wantMsg     []string
		wantKept    string
	}{
		{"sample at MinInt64", contentTypeV1, func(t *testing.T) []byte { return encodeV1(t, at(math.MinInt64), good("kept_a")) },
			http.StatusBadRequest, []string{"too_old", "bad_time", "older than the storage retention"}, "kept_a"},
		{"sample older than the retention", contentTypeV1, func(t *testing.T) []byte { return encodeV1(t, at(year(1900)), good("kept_b")) },
			http.StatusBadRequest, []string{"too_old", "1900-01-01T00:00:00Z"}, "kept_b"},
		{"sample in 2999", contentTypeV1, func(t *testing.T) []byte { return encodeV1(t, at(year(2999)), good("kept_c")) },
			http.StatusBadRequest, []string{"too_far_in_future", "max_future_skew"}, "kept_c"},
		{"2.0 sample at MinInt64", contentTypeV2, func(t *testing.T) []byte { return encodeV2(t, at(math.MinInt64), good("kept_d")) },
			http.StatusBadRequest, []string{"too_old", "bad_time"}, "kept_d"},
		{"2.0 sample in 2999", contentTypeV2, func(t *testing.T) []byte { return encodeV2(t, at(year(2999)), good("kept_e")) },
			http.StatusBadRequest, []string{"too_far_in_future"}, "kept_e"},
		{"2.0 with a non-empty symbols[0]", contentTypeV2, v2WithSymbol0,
			http.StatusBadRequest, []string{"symbols[0] must be the empty string", `"x"`}, ""},
		{"garbage body", contentTypeV1, func(*testing.T) []byte { return []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 'g', 'a', 'r', 'b'} },
			http.StatusBadRequest, []string{"malformed remote-write payload", "not a snappy block"}, ""},
		{"text body", contentTypeV1, func(*testing.T) []byte { return []byte("hello, collector") },
			http.StatusBadRequest, []string{"malformed remote-write payload"}, ""},
		{"all good", contentTypeV1, func(t *testing.T) []byte { return encodeV1(t, good("kept_f")) },
			http.StatusNoContent, nil, "kept_f"},
		{"all good 2.0", contentTypeV2, func(t *testing.T) []byte { return encodeV2(t, good("kept_g")) },
			http.StatusNoContent, nil, "kept_g"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, Config{})
			r := postWrite(t, ts.url, tc.contentType, tc.body(t))
			require.Equal(t, tc.wantCode, r.code, r.body)
			mustContainAll(t, r.body, tc.wantMsg...)
			if tc.wantKept != "" {
				require.Len(t, queryVector(t, ts.url, tc.wantKept, now).Result, 1)
			}
			assert.Empty(t, queryVector(t, ts.url, `{__name__="bad_time"}`, now).Result)
			if strings.Contains(tc.name, "MinInt64") {
				mustContainAll(t, getText(t, ts.url+"/metrics"), `mlectl_collector_samples_rejected_total{reason="too_old"} 1`)
			}
		})
	}
}

// TestGlobalSeriesLimit: limits.max_series refuses new series with 429
// (samples of known series still go in), counts them, and holds across a
// restart of the server (the store's series count).
func TestGlobalSeriesLimit(t *testing.T) {
	st := openTestStore(t, t.TempDir())
	t.Cleanup(func() { _ = st.Close() })
	srv, err := New(Config{Limits: Limits{MaxSeries: 3}}, st, nil)
	require.NoError(t, err)
	base := newHTTPServer(t, srv)
	now := time.Now().Truncate(time.Second)
	s := func(name string, v float64) prompb.TimeSeries {
		return series([]string{"__name__", name}, prompb.Sample{Timestamp: now.UnixMilli(), Value: v})
	}
	require.Equal(t, http.StatusNoContent, postWrite(t, base, contentTypeV1, encodeV1(t, s("a", 1), s("b", 1), s("c", 1))).code)

	r := postWrite(t, base, contentTypeV1, encodeV1(t, s("a", 2), s("d", 1), s("e", 1)))
	require.Equal(t, http.StatusTooManyRequests, r.code, r.body)
	mustContainAll(t, r.body, "series_limit", "the collector already holds 3 series, the limit max_series=3", "accepted 1 samples")
	r = postWrite(t, base, contentTypeV2, encodeV2(t, s("f", 1)))
	require.Equal(t, http.StatusTooManyRequests, r.code, r.body)
	mustContainAll(t, getText(t, base+"/metrics"), `mlectl_collector_samples_rejected_total{reason="series_limit"} 3`)
	assert.Empty(t, queryVector(t, base, "d", now).Result)

	// A fresh server on the same store has no memory of what it admitted:
	// the store's count holds the line.
	srv2, err := New(Config{Limits: Limits{MaxSeries: 3}}, st, nil)
	require.NoError(t, err)
	r = postWrite(t, newHTTPServer(t, srv2), contentTypeV1, encodeV1(t, s("g", 1)))
	require.Equal(t, http.StatusTooManyRequests, r.code, r.body)
}

// TestDecodeBufferPoolDropsOversizedBuffers: a buffer grown by a large body
// is not kept for reuse (issue 12 item 7: 32 concurrent 63 MB bodies left
// 1.78 GB of pooled buffers behind).
func TestDecodeBufferPoolDropsOversizedBuffers(t *testing.T) {
	srv, err := New(Config{Limits: Limits{MaxSeriesPerRequest: 1}}, openTestStore(t, t.TempDir()), nil)
	require.NoError(t, err)
	big := make([]prompb.Sample, 400_000) // about 8 MB decoded, refused after decoding
	for i := range big {
		big[i] = prompb.Sample{Timestamp: int64(i), Value: float64(i)}
	}
	body := encodeV1(t, series([]string{"__name__", "a"}, big...), series([]string{"__name__", "b"}, big[:1]...))
	for range 3 {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/write", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentTypeV1)
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req) // on this goroutine: its Put lands where Get looks first
		require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, rec.Body.String())
		bufp := srv.getDecodeBuffer()
		assert.LessOrEqual(t, cap(*bufp), maxPooledDecodeBuffer, "an oversized decode buffer went back to the pool")
	}
	small := make([]byte, 0, 1<<20)
	srv.putDecodeBuffer(&small)
	huge := make([]byte, 0, maxPooledDecodeBuffer+1)
	srv.putDecodeBuffer(&huge)
	for range 4 {
		assert.LessOrEqual(t, cap(*srv.getDecodeBuffer()), maxPooledDecodeBuffer)
	}
}

// freeSpace is a deterministic disk-space probe.
type freeSpace struct{ v atomic.Uint64 }

func (f *freeSpace) probe(string) (uint64, error) { return f.v.Load(), nil }

// TestRemoteWriteDiskFull fills the disk (through the probe) under ingest:
// writes get 507 naming the data dir and the free bytes, nothing crashes,
// reads are served, the head seal waits, and once space returns ingest and
// the deferred seal resume by themselves.
func TestRemoteWriteDiskFull(t *testing.T) {
	dir := t.TempDir()
	srv, err := New(Config{Limits: Limits{MinFreeDiskBytes: 64 << 20}}, nil, nil)
	require.NoError(t, err)
	free := &freeSpace{}
	free.v.Store(1 << 30)
	guard := srv.GuardDisk(dir, free.probe)
	db, err := tsdb.Open(dir, tsdb.Options{Retention: testRetention, DiskGuard: guard, Registerer: srv.Registry(), WALSyncInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	srv.Attach(db)
	base := newHTTPServer(t, srv)
	now := time.Now().Truncate(time.Second)
	batch := func(b int) prompb.TimeSeries {
		var smp []prompb.Sample
		for k := range 10 {
			smp = append(smp, prompb.Sample{Timestamp: now.Add(time.Duration(b*10+k-200) * time.Second).UnixMilli(), Value: float64(b*10 + k)})
		}
		return series([]string{"__name__", "ingest"}, smp...)
	}
	countAt := func() string {
		v := queryVector(t, base, "count_over_time(ingest[10m])", now)
		require.Len(t, v.Result, 1)
		return v.Result[0].Value[1].(string)
	}
	require.Equal(t, http.StatusNoContent, postWrite(t, base, contentTypeV1, encodeV1(t, batch(0))).code)

	free.v.Store(10 << 20) // 10 MiB left, below the 64 MiB reserve
	for _, ct := range []string{contentTypeV1, contentTypeV2} {
		r := postWrite(t, base, ct, encodeV1(t, batch(1)))
		if ct == contentTypeV2 {
			r = postWrite(t, base, ct, encodeV2(t, batch(1)))
		}
		require.Equal(t, http.StatusInsufficientStorage, r.code, r.body)
		mustContainAll(t, r.body, "insufficient storage", "data dir "+dir, "10485760 bytes free", "limits.min_free_disk_bytes")
	}
	assert.Equal(t, "10", countAt(), "reads are served while the disk is full")
	mustContainAll(t, getText(t, base+"/metrics"),
		fmt.Sprintf(`mle_collector_disk_free_bytes{dir=%q} 1.048576e+07`, dir),
		fmt.Sprintf(`mle_collector_disk_reserve_bytes{dir=%q} 6.7108864e+07`, dir))
	require.ErrorIs(t, db.Flush(context.Background()), diskguard.ErrFull, "the seal waits for space")
	mustContainAll(t, getText(t, base+"/metrics"), "mlectl_tsdb_head_seals_deferred_total 1", "mlectl_tsdb_head_seals_total 0")
	assert.Equal(t, "10", countAt())

	free.v.Store(1 << 30) // space is back: nothing to restart
	require.Equal(t, http.StatusNoContent, postWrite(t, base, contentTypeV1, encodeV1(t, batch(2))).code)
	require.Equal(t, http.StatusNoContent, postWrite(t, base, contentTypeV2, encodeV2(t, batch(3))).code)
	require.Eventually(t, func() bool {
		return strings.Contains(getText(t, base+"/metrics"), "mlectl_tsdb_head_seals_total 1")
	}, 30*time.Second, 10*time.Millisecond, "the deferred seal did not run once space returned")
	assert.Equal(t, "30", countAt())
}

// enospcStore fails every commit as a WAL write on a full disk does.
type enospcStore struct{ Store }

func (s enospcStore) AppenderV2(ctx context.Context) storage.AppenderV2 {
	return enospcAppenderV2{s.Store.AppenderV2(ctx)}
}

func (s enospcStore) Appender(ctx context.Context) storage.Appender {
	return enospcAppender{s.Store.Appender(ctx)}
}

var errWALFull = fmt.Errorf("commit 1 samples: write WAL segment wal/00000001: %w", &os.PathError{Op: "write", Path: "wal/00000001", Err: syscall.ENOSPC})

type enospcAppenderV2 struct{ storage.AppenderV2 }

func (a enospcAppenderV2) Commit() error { _ = a.Rollback(); return errWALFull }

type enospcAppender struct{ storage.Appender }

func (a enospcAppender) Commit() error { _ = a.Rollback(); return errWALFull }

// TestRemoteWriteENOSPCIs507: a WAL write that fails for lack of space
// (the disk filled between the guard's check and the write) is a 507 in
// both protocol versions, not a 500.
func TestRemoteWriteENOSPCIs507(t *testing.T) {
	dir := t.TempDir()
	st := openTestStore(t, dir)
	t.Cleanup(func() { _ = st.Close() })
	srv, err := New(Config{Limits: Limits{MinFreeDiskBytes: 1 << 20}}, enospcStore{st}, nil)
	require.NoError(t, err)
	srv.GuardDisk(dir, func(string) (uint64, error) { return 2 << 20, nil })
	base := newHTTPServer(t, srv)
	s := series([]string{"__name__", "m"}, prompb.Sample{Timestamp: time.Now().UnixMilli(), Value: 1})
	for _, r := range []writeReply{
		postWrite(t, base, contentTypeV1, encodeV1(t, s)),
		postWrite(t, base, contentTypeV2, encodeV2(t, s)),
	} {
		require.Equal(t, http.StatusInsufficientStorage, r.code, r.body)
		mustContainAll(t, r.body, "data dir "+dir, "2097152 bytes free", "no space left on device")
	}
}
