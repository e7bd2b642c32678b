package tsdb

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mlectl/mlectl/internal/diskguard"
)

// Defaults applied by Open to zero-valued Options fields.
const (
	DefaultRetention        = 15 * 24 * time.Hour
	DefaultOutOfOrderWindow = time.Hour
	DefaultBlockSamples     = 2048
	DefaultHeadMaxAge       = 2 * time.Hour
	DefaultHeadMaxSamples   = 1 << 26
	DefaultWALSyncInterval  = time.Second
	DefaultBlockCacheBytes  = 64 << 20
	// With the default cache size the bound grows with the series count
	// (blockCacheBytesPerSeries each, at most maxAutoBlockCacheBytes), so
	// a million series' latest blocks stay in memory as 100k series' do.
	blockCacheBytesPerSeries = 512
	maxAutoBlockCacheBytes   = 1 << 30
)

// Options configures a DB. The zero value gives the documented defaults.
type Options struct {
	// Retention: data older than Now()-Retention is deleted (whole UTC days,
	// via badger DropPrefix) and its disk space freed. Default 15 days.
	Retention time.Duration
	// OutOfOrderWindow: a sample older than (series max time - window) is
	// rejected with an error wrapping storage.ErrTooOldSample. Samples and
	// duplicates inside the window are accepted; for duplicates the last
	// write wins. Default 1h; a negative value disables out-of-order
	// ingestion (older samples then wrap storage.ErrOutOfOrderSample).
	OutOfOrderWindow time.Duration
	// BlockSamples caps the samples per sealed block. Default 2048.
	BlockSamples int
	// HeadMaxAge: the head is sealed into blocks at least this often.
	// Default 2h.
	HeadMaxAge time.Duration
	// HeadMaxSamples: the head is sealed early once it holds this many
	// samples, a bound on its memory (in-order plain floats cost a few
	// bytes each in the head's chunks, other samples about 40).
	// Default 64Mi: 100k series scraped every 15s keep 2h40m of data in
	// the head, so they are sealed by age (HeadMaxAge), as Prometheus's
	// head is compacted; a million series keep 16 minutes. Below it recent
	// data is read from memory and a seal writes whole chunks' worth per
	// series rather than a few samples. A seal's badger writes cost more
	// memory than the head they empty (at 100k series and 2 h, a seal
	// during ingest took the peak RSS from 330 to 716 MB; 32Mi, the
	// previous default, sealed there).
	HeadMaxSamples int
	// BlockCacheBytes bounds the in-memory cache of encoded blocks (those
	// queries read, and compaction's replacements of cached ones), which
	// lets queries of the recent past skip badger. Default (zero): per series
	// 512 bytes or the blocks' average size (with bookkeeping) plus a
	// quarter, whichever is larger, at least 64 MiB and at most 1 GiB (at
	// 1M series 512 MiB, about one recent block per series); negative
	// turns the cache off; a positive value is a fixed bound.
	BlockCacheBytes int64
	// WALSyncInterval: how often the WAL is fsynced (it is always written
	// with one write(2) per Commit, which survives kill -9). Default 1s.
	WALSyncInterval time.Duration
	// SyncEveryCommit fsyncs the WAL in every Commit (survives power loss).
	SyncEveryCommit bool
	// Logger receives operational logs; nil discards them.
	Logger *slog.Logger
	// Registerer receives the DB's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Now is the clock used for retention; nil means time.Now.
	Now func() time.Time
	// DiskGuard, when set, is asked before every seal and compaction (the
	// badger writes, which die of SIGBUS on a full disk): below its reserve
	// the seal is deferred (the head and WAL keep the data) and retried
	// every WALSyncInterval until space returns.
	DiskGuard *diskguard.Guard

	// walOpen is a test hook that opens WAL segment files (nil: os.OpenFile);
	// tests wrap the file to fail writes as a full disk does.
	walOpen func(path string) (walFile, error)
	// beforeWALWrite is a test hook called by Commit between encoding its
	// record and writing it (tests interleave commits there).
	beforeWALWrite func()
	// sealEveryCommit is a test hook: seal the whole head after each Commit.
	sealEveryCommit bool
	// afterSealSnapshot is a test hook: called once a seal has taken its
	// snapshots of the head (of its first group of series), before it
	// writes the blocks and truncates.
	afterSealSnapshot func()
	// sealGroupSeries, when set, replaces sealGroupSeries (tests seal in
	// several groups without 16k series).
	sealGroupSeries int
	// compactCommitHook is a test hook called before compaction commits its
	// n-th transaction (from 0); an error aborts the pass there.
	compactCommitHook func(n int) error
	// compactMaxTxnOps, when set, replaces compactTxnOps (tests force
	// several transactions with it).
	compactMaxTxnOps int
}

// Stat is one entry of a top-N cardinality list.
type Stat struct {
	Name  string `json:"name"`
	Value uint64 `json:"value"`
}

// Stats describes the DB's contents. The cardinality lists match the
// fields of Prometheus's /api/v1/status/tsdb response.
type Stats struct {
	Series              int     // series in the index
	LabelPairs          int     // distinct name=value pairs
	SamplesStored       int64   // samples in sealed blocks
	Blocks              int64   // sealed blocks
	BlockBytes          int64   // encoded size of sealed blocks (keys+values)
	BytesOnDisk         int64   // space the DB directory occupies on disk
	BytesPerSample      float64 // BlockBytes / SamplesStored
	HeadSamples         int64   // samples not yet sealed
	HeadSeries          int     // series with samples in the head
	WALBytes            int64   // size of the WAL segments
	MinTime, MaxTime    int64   // ms; MinTime > MaxTime when empty
	RejectedOutOfWindow int64   // samples refused as too old / out of order
	AcceptedOutOfOrder  int64   // samples accepted out of order
	DuplicateSamples    int64   // samples that overwrote one at the same timestamp

	SeriesCountByMetricName     []Stat
	LabelValueCountByLabelName  []Stat
	MemoryInBytesByLabelName    []Stat
	SeriesCountByLabelValuePair []Stat
}
