// Package store owns the durable prediction log: records kept in their own
// badger directory as zstd-compressed columnar blocks, one block per
// model/version per ingest batch, keyed by model, version and time so an
// export reads only the blocks that overlap its range, merging overlapping
// blocks so that records come out in time order.
//
// Block layout. The badger key is
//
//	'b' model 0x00 version 0x00 minTS(8) maxTS(8) seq(8)
//
// (timestamps big-endian with the sign bit flipped, so keys sort by time).
// The value is a small uncompressed header (format byte, record count, the
// block's feature names) followed by the zstd-compressed columns: timestamp
// deltas, a flags byte per record (role, status, injected), request ids
// (lengths and bytes apart), latency, prediction, then one column per
// feature. A value column splits into streams by type: a tag byte per record,
// decimal mantissas and exponents as zig-zag varints (numbers are kept as the
// decimals the client sent, which compress to a few bits where float64 bits
// would not), raw float64 bits for numbers without a short decimal form, and
// dictionary codes for strings. Grouping like with like is what gets the
// stored bytes per record to a small fraction of the NDJSON.
//
// Format 2, used only for a block in which some record carries
// explanations or feature times, adds two name lists to the header and,
// after the feature columns, one value column per explained feature and
// one per timed feature (the feature's age at the record's ts, in ms);
// flag bits 32 and 64 say that a record carried the object at all. Blocks
// without them are written as format 1, byte for byte as before.
//
// Durability: Append returns after badger has committed the batch to its
// write-ahead log (a memory-mapped file, so the write survives kill -9 of the
// process); Options.SyncWrites adds an fsync per batch for power loss.
// Because that log is memory-mapped, a full disk would not fail the write
// but kill the process with SIGBUS (and could leave a torn entry behind);
// with Options.DiskGuard set, every write first checks the free space
// against the guard's reserve and fails with diskguard.ErrFull (507 at the
// API) without touching badger, so records acknowledged before and after a
// disk-full episode all survive.
package store
