package remotestore

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// BenchmarkQueueAppend is the acknowledgement path alone: appends of 200
// series × 5 samples into the log, no sender.
func BenchmarkQueueAppend(b *testing.B) {
	r := newReceiver(&testing.T{})
	q := openQueue(&testing.T{}, b.TempDir(), r, QueueConfig{}, 0)
	defer q.Close()
	series := make([]labels.Labels, 200)
	for i := range series {
		series[i] = labels.FromStrings("__name__", "bench_fwd", "series", strconv.Itoa(i), "writer", "0")
	}
	batch := make([]Sample, 0, 1000)
	b.ResetTimer()
	for n := range b.N {
		batch = batch[:0]
		for _, ls := range series {
			for k := range 5 {
				batch = append(batch, Sample{Labels: ls, T: int64(n*5 + k), V: 1})
			}
		}
		if err := q.Append(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(walBytes(b, q.wl.Dir()))/float64(b.N*1000), "wal-bytes/sample")
}

// walBytes is the size of the log's segments on disk.
func walBytes(b *testing.B, dir string) int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
	}
	return n
}

// BenchmarkQueueSend is the sender alone: the log read, requests built,
// encoded and sent to a 127.0.0.1 receiver that decodes them.
func BenchmarkQueueSend(b *testing.B) {
	t := &testing.T{}
	r := newReceiver(t)
	q := openQueue(t, b.TempDir(), r, QueueConfig{}, 0)
	defer q.Close()
	series := make([]labels.Labels, 200)
	for i := range series {
		series[i] = labels.FromStrings("__name__", "bench_fwd", "series", strconv.Itoa(i), "writer", "0")
	}
	batch := make([]Sample, 0, 1000)
	for n := range b.N {
		batch = batch[:0]
		for _, ls := range series {
			for k := range 5 {
				batch = append(batch, Sample{Labels: ls, T: int64(n*5 + k), V: 1})
			}
		}
		if err := q.Append(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	stop := runQueue(t, q)
	for q.Pending() > 0 {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	stop()
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "samples/s")
}
