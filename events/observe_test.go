package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/events"
)

// TestObserveSeesEachStoredEventOnce: an observer gets every event
// appended after it registered, as stored (ID and time set), and nothing
// of a refused one.
func TestObserveSeesEachStoredEventOnce(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	db := openDB(t, t.TempDir())
	defer db.Close()
	s, err := events.NewStore(db, func() time.Time { return t0 })
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Record(ctx, events.Event{Kind: events.KindDeploy, Model: "fraud"}))
	var seen []events.Event
	s.Observe(func(e events.Event) { seen = append(seen, e) })
	require.NoError(t, s.Record(ctx, events.Event{Kind: events.KindAction, Model: "fraud", Action: "rollback", Result: events.ResultOK}))
	require.Error(t, s.Record(ctx, events.Event{Model: "fraud"}), "no kind: refused")
	stored, err := s.Query(ctx, events.Filter{})
	require.NoError(t, err)
	require.Len(t, stored, 2)
	require.Len(t, seen, 1)
	assert.Equal(t, stored[1], seen[0])
	assert.Equal(t, t0, seen[0].Time)
}
