package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/events"
)

func openDB(t *testing.T, dir string) *badger.DB {
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	require.NoError(t, err)
	return db
}

func TestRecordQueryAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	db := openDB(t, dir)
	s, err := events.NewStore(db, func() time.Time { return t0 })
	require.NoError(t, err)
	// Same timestamp twice, and out of order: the log orders by time, then
	// by arrival.
	require.NoError(t, s.Record(ctx, events.Event{Kind: events.KindAnnotation, Model: "fraud", Text: "first"}))
	require.NoError(t, s.Record(ctx, events.Event{Kind: events.KindAnnotation, Model: "fraud", Text: "second"}))
	require.NoError(t, s.Record(ctx, events.Event{Time: t0.Add(-time.Minute), Kind: events.KindDeploy, Model: "fraud"}))
	require.NoError(t, db.Close())

	db = openDB(t, dir)
	defer db.Close()
	s, err = events.NewStore(db, func() time.Time { return t0 })
	require.NoError(t, err)
	require.NoError(t, s.Record(ctx, events.Event{Kind: events.KindAck, Model: "churn"}))

	all, err := s.Query(ctx, events.Filter{})
	require.NoError(t, err)
	var texts []string
	ids := map[string]bool{}
	for _, e := range all {
		texts = append(texts, string(e.Kind)+":"+e.Text)
		ids[e.ID] = true
	}
	assert.Equal(t, []string{"deploy:", "annotation:first", "annotation:second", "ack:"}, texts)
	assert.Len(t, ids, 4, "IDs stay unique across a restart")

	tests := []struct {
		f    events.Filter
		want int
	}{
		{events.Filter{Model: "fraud"}, 3},
		{events.Filter{Kinds: []events.Kind{events.KindAck, events.KindDeploy}}, 2},
		{events.Filter{From: t0}, 3},
		{events.Filter{To: t0}, 1},
		{events.Filter{From: t0, Limit: 2}, 2},
	}
	for _, tc := range tests {
		got, err := s.Query(ctx, tc.f)
		require.NoError(t, err)
		assert.Len(t, got, tc.want, "%+v", tc.f)
	}

	err = s.Record(ctx, events.Event{})
	assert.ErrorContains(t, err, "field kind")
	err = s.Record(ctx, events.Event{Kind: "x", Time: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)})
	assert.ErrorContains(t, err, "before 1970")
}
