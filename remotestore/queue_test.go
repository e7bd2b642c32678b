package remotestore

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	dto "github.com/prometheus/client_model/go"
	config_util "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/storage/remote"
	"github.com/stretchr/testify/require"
)

// receiver is a remote-write 1.0 endpoint on 127.0.0.1 that records what
// it is sent; fail decides the status of each request (0: 204).
type receiver struct {
	mu       sync.Mutex
	samples  map[string][]prompb.Sample
	exs      map[string][]prompb.Exemplar
	headers  []http.Header
	requests int
	fail     func(n int) int
	srv      *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{samples: map[string][]prompb.Sample{}, exs: map[string][]prompb.Exemplar{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.requests++
		if r.fail != nil {
			if code := r.fail(r.requests); code != 0 {
				http.Error(w, "refused by the test", code)
				return
			}
		}
		body, err := io.ReadAll(req.Body)
		require.NoError(t, err)
		raw, err := snappy.Decode(nil, body)
		require.NoError(t, err)
		var wr prompb.WriteRequest
		require.NoError(t, wr.Unmarshal(raw))
		r.headers = append(r.headers, req.Header.Clone())
		for _, ts := range wr.Timeseries {
			b := labels.NewScratchBuilder(len(ts.Labels))
			for _, l := range ts.Labels {
				b.Add(l.Name, l.Value)
			}
			r.samples[b.Labels().String()] = append(r.samples[b.Labels().String()], ts.Samples...)
			if len(ts.Exemplars) > 0 {
				r.exs[b.Labels().String()] = append(r.exs[b.Labels().String()], ts.Exemplars...)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.samples {
		n += len(s)
	}
	return n
}

func (r *receiver) series(ls labels.Labels) []prompb.Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]prompb.Sample(nil), r.samples[ls.String()]...)
}

func (r *receiver) exemplars(ls labels.Labels) []prompb.Exemplar {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]prompb.Exemplar(nil), r.exs[ls.String()]...)
}

func writeClient(t *testing.T, rawURL string, headers map[string]string) remote.WriteClient {
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	c, err := remote.NewWriteClient("test", &remote.ClientConfig{URL: &config_util.URL{URL: u}, Timeout: model.Duration(10 * time.Second),
		HTTPClientConfig: config_util.DefaultHTTPClientConfig, Headers: headers})
	require.NoError(t, err)
	return c
}

func openQueue(t *testing.T, dir string, r *receiver, q QueueConfig, segmentSize int) *Queue {
	q.BatchSendDeadline, q.MinBackoff, q.MaxBackoff = 10*time.Millisecond, time.Millisecond, 20*time.Millisecond
	qu, err := Open(QueueOptions{Dir: dir, Client: writeClient(t, r.srv.URL, map[string]string{"X-Scope-OrgID": "team-a"}), Queue: q, SegmentSize: segmentSize})
	require.NoError(t, err)
	return qu
}

// runQueue runs the sender until the test ends or stop is called.
func runQueue(t *testing.T, q *Queue) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = q.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func waitForwarded(t *testing.T, r *receiver, q *Queue, want int) {
	t.Helper()
	require.Eventually(t, func() bool { return r.count() >= want && q.Pending() == 0 }, 30*time.Second, 5*time.Millisecond,
		"received %d of %d, pending %d", r.count(), want, q.Pending())
}

func TestQueueForwardsOutOfOrderAndBackfilledSamples(t *testing.T) {
	r := newReceiver(t)
	q := openQueue(t, t.TempDir(), r, QueueConfig{}, 0)
	defer q.Close()
	runQueue(t, q)
	ls := labels.FromStrings("__name__", "m", "job", "a")
	now := time.Now().UnixMilli()
	// Newest first, then older samples of the same series, then one a month old:
	// the agent-mode appender refuses the second and the WAL watcher never
	// sends the last.
	for _, ts := range []int64{now, now - 1000, now - 2000, now - 30*24*3600*1000} {
		require.NoError(t, q.Append([]Sample{{Labels: ls, T: ts, V: float64(ts)}}))
	}
	waitForwarded(t, r, q, 4)
	got := r.series(ls)
	require.Len(t, got, 4)
	require.Equal(t, now-30*24*3600*1000, got[3].Timestamp)
	require.Equal(t, "team-a", r.headers[0].Get("X-Scope-OrgID"))
	require.Equal(t, "0.1.0", r.headers[0].Get("X-Prometheus-Remote-Write-Version"))
}

func TestQueueResumesAfterRestartAcrossSegments(t *testing.T) {
	r := newReceiver(t)
	dir := t.TempDir()
	// 64 KiB segments: cut every 16 KiB, so the appends span many segments.
	q := openQueue(t, dir, r, QueueConfig{MaxSamplesPerSend: 100, Capacity: 300}, 64<<10)
	stop := runQueue(t, q)
	const perAppend, appends = 50, 200
	app := func(q *Queue, from int) {
		for i := range appends {
			batch := make([]Sample, perAppend)
			for j := range batch {
				batch[j] = Sample{Labels: labels.FromStrings("__name__", "m", "i", string(rune('a'+j%26)), "j", string(rune('a'+j/26))), T: int64(from + i), V: 1}
			}
			require.NoError(t, q.Append(batch))
		}
	}
	app(q, 0)
	waitForwarded(t, r, q, perAppend*appends)
	stop()
	// Acknowledged with no sender running, as when the backend is
	// unreachable and the process is killed.
	app(q, appends)
	require.Equal(t, int64(perAppend*appends), q.Pending())
	require.NoError(t, q.Close())

	q2 := openQueue(t, dir, r, QueueConfig{MaxSamplesPerSend: 100, Capacity: 300}, 64<<10)
	defer q2.Close()
	require.Equal(t, int64(perAppend*appends), q2.Pending(), "the backlog is counted at open")
	require.Positive(t, q2.OldestPending())
	runQueue(t, q2)
	waitForwarded(t, r, q2, 2*perAppend*appends)
	require.Equal(t, 2*perAppend*appends, r.count(), "each sample sent once: the position was saved on close")
	for j := range perAppend { // requests split series across shards: each series' samples still arrive in order
		got := r.series(labels.FromStrings("__name__", "m", "i", string(rune('a'+j%26)), "j", string(rune('a'+j/26))))
		require.Len(t, got, 2*appends)
		for i, s := range got {
			require.Equal(t, int64(i), s.Timestamp, "series %d, sample %d", j, i)
		}
	}
	require.Zero(t, q2.OldestPending())
}

func TestQueueRetriesRecoverableAndDropsRefused(t *testing.T) {
	for _, tc := range []struct {
		name         string
		code         int
		wantReceived int
		wantFailed   float64
	}{
		{name: "503 is retried until the backend takes it", code: http.StatusServiceUnavailable, wantReceived: 1},
		{name: "400 is dropped and counted", code: http.StatusBadRequest, wantReceived: 0, wantFailed: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReceiver(t)
			r.fail = func(n int) int {
				if n <= 3 {
					return tc.code
				}
				return 0
			}
			q := openQueue(t, t.TempDir(), r, QueueConfig{}, 0)
			defer q.Close()
			runQueue(t, q)
			require.NoError(t, q.Append([]Sample{{Labels: labels.FromStrings("__name__", "m"), T: 1, V: 1}}))
			require.Eventually(t, func() bool { return q.Pending() == 0 }, 30*time.Second, 5*time.Millisecond)
			require.Equal(t, tc.wantReceived, r.count())
			require.Equal(t, tc.wantFailed, testutilValue(q.failed))
		})
	}
}

func testutilValue(c interface{ Write(*dto.Metric) error }) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}
