// Package tsdb owns mlectl's embedded time-series store: a Prometheus
// storage.Storage (appenders, queriers, chunk queriers) on top of badger v4,
// so Prometheus's PromQL engine and rules manager run on it unchanged.
//
// # Data layout
//
// One badger database under <dir>/badger holds two key spaces:
//
//	s | ref u64                                            -> series labels
//	b | day u32 | ref u64 | minT | maxT | seq u64 | n u32  -> one sealed block
//
// Integers are big-endian; signed ones (day, minT, maxT) have their sign bit
// flipped so byte order is numeric order. A block holds up to
// Options.BlockSamples samples of one series, all within one UTC day and of
// one kind; its value starts with a kind byte: floats (the tsdb/chunks codec),
// floats with start timestamps, integer histograms or float histograms
// (field-by-field varint records). Because the whole block description is in
// the key, Open rebuilds every series' block list from a key-only scan, and
// a query fetches exactly the blocks that overlap [mint, maxt].
//
// Badger runs with a 1 MiB value threshold (blocks stay inline in the SSTs,
// the value log stays empty) and 16 MiB memtables. Its Snappy block
// compression gains next to nothing on the block values but compresses
// the 41-byte keys, whose series, day and time bytes repeat from key to
// key, so the SSTs end up smaller than the raw keys and values. A graceful Close
// leaves only SSTs, MANIFEST, KEYREGISTRY, a 20-byte value log header and
// an empty WAL segment: the memtables are flushed (their .mem logs
// deleted) and level 0 is compacted (CompactL0OnClose), which drops the
// versions of blocks that compaction replaced - without it they would more
// than double the SSTs of a DB that sealed every 2h; the value log (sparse,
// preallocated while open) is truncated, and badger's DISCARD file (1 MiB
// of value-log GC counters, unused with inline values) is removed. BenchmarkBytesPerSampleOnDisk measures the
// result on the NAB corpus next to Prometheus XOR chunks.
//
// # Compaction
//
// A seal turns each series' head into a block, so a 5-minute series sealed
// every 2h gets 24-sample blocks whose fixed costs (key, codec header) are
// a large share, and rewrites or out-of-order samples produce blocks that
// overlap older ones. Compact (in the background after every seal, on
// demand, and in Close after the final seal) rewrites, per series and UTC
// day, each run of time-adjacent blocks that overlap or hold fewer than
// BlockSamples samples into as few blocks as needed, keeping the last
// write of each timestamp (blocks merge in write order, as on the read
// path). One badger transaction deletes a run's blocks and writes their
// replacements, so a crash never loses or doubles a sample; block lists
// and the SamplesStored/Blocks/BlockBytes counters change only after the
// commit. A query that listed a block that compaction or retention removed
// meanwhile takes the series' block list again and rereads.
//
// # Series index
//
// The index lives in memory and is persisted under the s prefix: label hash
// -> series (256 striped maps with RW locks; hash collisions are chained),
// ref -> series, and inverted postings name -> value -> sorted refs.
// Matchers follow Prometheus exactly: an unset label has the value "", so a
// matcher that matches "" selects series without the label; such matchers
// are evaluated as "all minus the series whose value does not match".
//
// # Head, WAL and sealing
//
// New samples go to the head: per series, a slice sorted by timestamp with
// unique timestamps (a duplicate overwrites: last write wins). At the end
// of each Commit the slice's leading plain floats move into the series'
// open Prometheus XOR chunk, cut every 120 samples as Prometheus's head
// does (written by the store's own appender, byte for byte chunkenc's, into
// a buffer sized from the series' previous chunk rather than grown by
// doubling); a full chunk is re-encoded with the block codec (3-4 times
// smaller than XOR on decimal-valued metrics; without the codec's zstd
// trial, which rarely wins on 120 samples), so a series fed in-order floats
// keeps its head at about the bytes per sample of its blocks on disk, with
// an empty slice; samples with a start timestamp and histograms stay in
// the slice (40 bytes each); a plain float newer than the head goes
// straight into the open chunk. An insert at or before a
// frozen timestamp thaws the chunks it touches back into the slice first
// (the Commit refreezes them). A seal cuts each series' open chunk as it
// takes its snapshot, so appends during the seal go on into new chunks
// after the snapshot's; only for a series whose slice holds samples does
// it pause freezing, so its bookkeeping of slice positions stays valid. An appender buffers
// samples; each is checked against the series' out-of-order window
// (rejections wrap storage.ErrTooOldSample or storage.ErrOutOfOrderSample
// and are counted). Commit encodes the batch (plus a series record for
// series not yet logged) as one CRC-framed record and writes it to the
// current WAL segment with a single write(2), then inserts into the head.
// Once write(2) returns the record is in the page cache, so an acknowledged
// commit survives kill -9; fsync runs every WALSyncInterval, at rotation and
// at close, or on every commit with SyncEveryCommit. Open replays the WAL
// and truncates a torn tail record.
//
// A WAL write that fails (ENOSPC on a full disk, EIO) may leave part of its
// record behind. Before Commit returns the error, the write is rolled back:
// the segment is truncated to the end of its last complete record, or, if
// that fails too, the segment is abandoned and the next Commit starts a new
// one. So a torn record is only ever the last thing in its segment, nothing
// acknowledged follows it there, and replay, which moves on to the next
// segment after a torn tail, keeps every acknowledged commit. A series
// counts as logged only once a write carrying its series record succeeded;
// until then every commit that touches it carries the record itself, so no
// acknowledged sample depends on another commit's failed write. (Versions
// before this wrote on after a torn record; replay therefore also resyncs:
// it skips a corrupt record to the next offset where a complete record with
// a valid checksum starts, and logs the bytes it skipped.)
//
// Badger writes through memory-mapped files, so a full disk kills the
// process (SIGBUS) instead of failing a write. With Options.DiskGuard set,
// a seal or compaction first checks the data dir's free space against the
// guard's reserve (plus an estimate of what the seal writes); below it the
// seal is deferred (mlectl_tsdb_head_seals_deferred_total): the samples
// stay in the head and WAL, and the run loop retries on every WAL sync tick
// until space returns. The WAL itself is written with write(2), which
// fails cleanly with ENOSPC and is rolled back as above.
//
// Sealing (Flush; also every HeadMaxAge, when the head holds HeadMaxSamples,
// and on Close) rotates the WAL under an exclusive lock that commits hold
// shared across their WAL write and head insert, so every record in the old
// segments is already in the head. It then encodes every head sample into
// blocks, on every core (each worker a contiguous share of the series; a
// head that is one full packed chunk becomes that chunk's bytes after the
// zstd trial alone, the block an encode would write), writes them and any
// unpersisted series records in one badger
// write batch, syncs badger, drops the sealed prefix from each head, and
// deletes the old WAL segments. A crash anywhere in between only replays
// samples that are also in blocks, which the read path deduplicates.
//
// # Reads
//
// A querier resolves matchers to refs, then per series captures (under the
// series lock) the metadata of overlapping blocks, the head chunks
// overlapping the range (full chunks are immutable and shared; the open
// one is copied) and the head slice's samples in range, so a concurrent
// seal can neither hide nor double data; one Select keeps these in a few
// shared slices rather than allocating per series. Nothing is decoded until
// the engine asks for a series' iterator, which reuses its buffers from
// series to series, decodes only the overlapping blocks and chunks - each
// only back to the query's start: blocks and packed head chunks are stored
// newest first (tsdb/chunks), so a 5-minute window at the end of a 2-hour
// block decodes its last minutes, not the block - and merges them: blocks in write order, then the head, keeping the last
// write of each timestamp. A series of plain floats with nothing to merge
// (cached float blocks that do not overlap, then head chunks, then plain
// head samples, each newer than the last) skips the merge: its blocks and
// chunks decode straight into the iterator's timestamp and value columns.
// Native histogram runs are passed through Prometheus's chunkenc histogram
// chunks so their counter-reset hints match what Prometheus's TSDB reports.
// LabelValues and LabelNames only consider series with a block or head
// samples overlapping the querier's [mint, maxt] (unless the range is
// unbounded, as the HTTP API's default is).
//
// # Retention
//
// Blocks are partitioned by UTC day in the key, so ApplyRetention (every 5
// minutes, or on demand) drops each day that ends before Now()-Retention
// with one badger DropPrefix, which rewrites or deletes the SSTs holding it
// and frees the disk space. Series left with no blocks and no head samples
// are removed from the index and from badger.
package tsdb
