package diskguard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/api"
)

// DefaultReserve is the free space kept back when the configuration names
// none: above the largest badger memtable of the collector's stores (64 MiB,
// the prediction log's, flushed into a table of about that size) plus the
// tables a compaction writes before it deletes the ones they replace.
const DefaultReserve = 256 << 20

// Series and metric names of the free space and the reserve (bytes, label
// dir).
const (
	MetricFreeBytes    = api.MetricCollectorDiskFreeBytes
	MetricReserveBytes = api.MetricCollectorDiskReserveBytes
)

// ErrFull is wrapped by every refusal of a Guard (errors.Is).
var ErrFull = errors.New("insufficient storage")

// FullError is a refusal: Dir's filesystem has Free bytes available, fewer
// than Need (the reserve plus what the refused write would take).
type FullError struct {
	Dir        string
	Free, Need uint64
	Reserve    uint64
}

func (e *FullError) Error() string {
	return fmt.Sprintf("insufficient storage: the filesystem of data dir %s has %d bytes free, below the %d bytes needed (reserve %d bytes, limits.min_free_disk_bytes); writes resume by themselves once space is freed",
		e.Dir, e.Free, e.Need, e.Reserve)
}

// Is makes errors.Is(err, ErrFull) true.
func (e *FullError) Is(target error) bool { return target == ErrFull }

// StatusCode is the HTTP status of a refusal: 507 Insufficient Storage.
func (e *FullError) StatusCode() int { return http.StatusInsufficientStorage }

// Probe returns the bytes available to the process on dir's filesystem.
type Probe func(dir string) (uint64, error)

// Statfs is the real Probe: the filesystem's available blocks (those an
// unprivileged writer may use) times the block size.
func Statfs(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// Guard checks one data directory's free space against a reserve. A nil
// *Guard allows everything. It is safe for concurrent use.
type Guard struct {
	dir     string
	reserve uint64
	probe   Probe
	free    atomic.Uint64 // last probed
	refused atomic.Int64
}

// New guards dir with reserve bytes kept free (0 or less: refuse only when
// nothing is free); probe nil means Statfs.
func New(dir string, reserve int64, probe Probe) *Guard {
	if probe == nil {
		probe = Statfs
	}
	return &Guard{dir: dir, reserve: uint64(max(reserve, 0)), probe: probe}
}

// Dir is the guarded directory.
func (g *Guard) Dir() string {
	if g == nil {
		return ""
	}
	return g.dir
}

// Reserve is the free space the guard keeps back.
func (g *Guard) Reserve() uint64 {
	if g == nil {
		return 0
	}
	return g.reserve
}

// Free probes the free space now. A probe error is returned as is.
func (g *Guard) Free() (uint64, error) {
	free, err := g.probe(g.dir)
	if err != nil {
		return 0, err
	}
	g.free.Store(free)
	return free, nil
}

// Check is CheckFor(0).
func (g *Guard) Check() error { return g.CheckFor(0) }

// CheckFor returns a *FullError when writing need more bytes would leave
// less than the reserve free (or nothing free at all). A probe failure does
// not refuse: the guard is there to prevent SIGBUS, not to stop ingest
// because statfs misbehaved.
func (g *Guard) CheckFor(need uint64) error {
	if g == nil {
		return nil
	}
	free, err := g.Free()
	if err != nil {
		return nil
	}
	want := g.reserve + need
	if free < want || free == 0 {
		g.refused.Add(1)
		return &FullError{Dir: g.dir, Free: free, Need: want, Reserve: g.reserve}
	}
	return nil
}

// Refused counts the refusals since New.
func (g *Guard) Refused() int64 {
	if g == nil {
		return 0
	}
	return g.refused.Load()
}

// Collectors are the /metrics gauges of the free space and the reserve,
// labelled with the directory.
func (g *Guard) Collectors() []prometheus.Collector {
	l := prometheus.Labels{"dir": g.dir}
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: MetricFreeBytes, ConstLabels: l,
			Help: "Bytes available on the filesystem of the collector's data dir (ingest answers 507 below mle_collector_disk_reserve_bytes).",
		}, func() float64 {
			free, err := g.Free()
			if err != nil {
				return -1
			}
			return float64(free)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: MetricReserveBytes, ConstLabels: l,
			Help: "Free bytes the collector keeps back on its data dir's filesystem (limits.min_free_disk_bytes).",
		}, func() float64 { return float64(g.reserve) }),
	}
}

// AppendTo writes the free space and the reserve at ts as series (so rules
// can alert on them). It goes through the TSDB's WAL, which fails cleanly
// with ENOSPC, so it is written even while ingest is refused.
func (g *Guard) AppendTo(ctx context.Context, db storage.Appendable, ts time.Time) error {
	free, err := g.Free()
	if err != nil {
		return err
	}
	app := db.Appender(ctx)
	t := ts.UnixMilli()
	for _, s := range []struct {
		name string
		v    float64
	}{{MetricFreeBytes, float64(free)}, {MetricReserveBytes, float64(g.reserve)}} {
		if _, err := app.Append(0, labels.FromStrings(labels.MetricName, s.name, "dir", g.dir), t, s.v); err != nil {
			_ = app.Rollback()
			return fmt.Errorf("append %s: %w", s.name, err)
		}
	}
	return app.Commit()
}
