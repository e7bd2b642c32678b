package api

import "time"

// AuditEntry is one audited call. Field order is the canonical JSON order.
type AuditEntry struct {
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Role   string    `json:"role"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Status int       `json:"status"`
	Detail string    `json:"detail,omitempty"`
	// Source is the caller's address; Repeats, on a summary entry, how many
	// more refusals like an earlier entry came in its window (see Append).
	// Both are left out of the JSON when empty, so entries written before
	// they existed hash as they did.
	Source   string `json:"source,omitempty"`
	Repeats  uint64 `json:"repeats,omitempty"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// AuditReport is GET /api/v1/audit/verify: the outcome of walking the
// audit chain.
type AuditReport struct {
	OK       bool   `json:"ok"`
	Entries  uint64 `json:"entries"`
	HeadSeq  uint64 `json:"head_seq"`
	HeadHash string `json:"head_hash"`
	// BadSeq is the sequence number of the first entry that fails, or where
	// an entry is missing; 0 when OK.
	BadSeq  uint64 `json:"bad_seq,omitempty"`
	Problem string `json:"problem,omitempty"`
}
