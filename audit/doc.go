// Package audit owns the tamper-evident audit log of mutating API calls.
//
// Entries are chained: each carries the hash of the previous entry and its
// own hash, sha256 over the canonical JSON encoding of the entry with the
// hash field empty. A separate head record holds the sequence number and
// hash of the last entry. Verify walks the chain and reports the first entry
// that was edited, removed or reordered, and a head that does not match the
// last entry (the last entry removed). Someone able to rewrite the whole
// database can rebuild a consistent chain; anchor the head hash elsewhere
// (GET /api/v1/audit/verify returns it) to detect that too.
//
// The log cannot be grown by whoever reaches the port: fields are bounded
// (MaxPathBytes, MaxDetailBytes) and refusals repeated within RepeatWindow
// are counted into one summary entry (Entry.Repeats) instead of stored one
// by one.
package audit
