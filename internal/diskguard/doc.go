// Package diskguard keeps the collector's stores off a full disk. badger
// writes its memtables, value logs and tables through memory-mapped files;
// when the filesystem has no block left for a page the kernel sends SIGBUS
// and the process dies, so a write path cannot rely on getting ENOSPC back.
// A Guard therefore asks the filesystem for its free space (statfs) before
// each batch of badger writes and refuses the batch while the free space is
// below a reserve: ingest answers 507 Insufficient Storage naming the data
// directory and the free bytes, reads go on, head seals are deferred (the
// WAL keeps their data), and everything resumes by itself on the next
// request once space is freed, since every check probes afresh.
package diskguard
