package audit_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/audit"
)

// Refused calls cannot grow the log by their size or their number: fields
// are cut, and repeats within a window become one counted summary entry.
func TestRefusalsAreBoundedAndCounted(t *testing.T) {
	db, err := badger.Open(badger.DefaultOptions(t.TempDir()).WithLogger(nil))
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	l := audit.NewLog(db, func() time.Time { return now })

	huge := "/api/v1/models/" + strings.Repeat("é", 500_000) // 1 MB, multi-byte runes
	refused := audit.Entry{Actor: "anonymous", Role: "none", Method: "POST", Status: 401, Source: "10.0.0.9",
		Detail: "refused: this call needs an API token with role responder or higher"}
	for i := range 30 {
		e := refused
		e.Path = huge + string(rune('a'+i%26))
		now = now.Add(time.Second)
		_, err := l.Append(ctx, e)
		require.NoError(t, err)
	}
	// An allowed call in between is stored at once, bounded too.
	_, err = l.Append(ctx, audit.Entry{Actor: "alice", Role: "admin", Method: "PUT", Path: "/api/v1/models/fraud", Status: 200,
		Detail: strings.Repeat("d", 10_000)})
	require.NoError(t, err)
	es, err := l.List(ctx, 1, 100)
	require.NoError(t, err)
	require.Len(t, es, 2, "the 29 repeats inside the window are only counted so far")
	assert.LessOrEqual(t, len(es[0].Path), audit.MaxPathBytes)
	assert.True(t, strings.HasSuffix(es[0].Path, "…"))
	assert.LessOrEqual(t, len(es[1].Detail), audit.MaxDetailBytes)

	// Past the window the next write (or List) appends the summary.
	now = now.Add(audit.RepeatWindow)
	es, err = l.List(ctx, 1, 100)
	require.NoError(t, err)
	require.Len(t, es, 3)
	sum := es[2]
	assert.Equal(t, uint64(29), sum.Repeats)
	assert.Equal(t, 401, sum.Status)
	assert.Equal(t, "10.0.0.9", sum.Source)
	assert.Contains(t, sum.Detail, "29 more like entry 1")
	assert.LessOrEqual(t, len(sum.Path), audit.MaxPathBytes)
	total := 0
	for _, e := range es {
		b, _ := json.Marshal(e)
		total += len(b)
	}
	assert.Less(t, total, 8<<10, "31 calls with 1 MB paths take a few KiB")

	// A different source, status or actor is its own group; Flush writes
	// pending summaries at shutdown; the chain verifies throughout.
	for _, src := range []string{"10.0.0.9", "10.0.0.10", "10.0.0.10"} {
		e := refused
		e.Source, e.Path = src, "/api/v1/events"
		_, err := l.Append(ctx, e)
		require.NoError(t, err)
	}
	require.NoError(t, l.Flush(ctx))
	es, err = l.List(ctx, 4, 100)
	require.NoError(t, err)
	require.Len(t, es, 3)
	assert.Equal(t, []string{"10.0.0.9", "10.0.0.10", "10.0.0.10"}, []string{es[0].Source, es[1].Source, es[2].Source})
	assert.Equal(t, uint64(1), es[2].Repeats)
	rep, err := l.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK, rep.Problem)
}
