package audit_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/audit"
)

func TestChainAppendVerifyTamper(t *testing.T) {
	db, err := badger.Open(badger.DefaultOptions(t.TempDir()).WithLogger(nil))
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	l := audit.NewLog(db, func() time.Time { return t0 })

	rep, err := l.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK, "an empty log verifies")

	var prev string
	for i := range 5 {
		e, err := l.Append(ctx, audit.Entry{Actor: "bob", Role: "responder", Method: "POST", Path: "/api/v1/models/fraud/rollback", Status: 200 + i})
		require.NoError(t, err)
		assert.Equal(t, uint64(i+1), e.Seq)
		if i > 0 {
			assert.Equal(t, prev, e.PrevHash)
		}
		assert.Len(t, e.Hash, 64)
		prev = e.Hash
	}
	rep, err = l.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK, rep.Problem)
	assert.Equal(t, uint64(5), rep.Entries)
	assert.Equal(t, prev, rep.HeadHash)

	// Swapping two entries' values keeps every hash self-consistent but
	// breaks the chain and the sequence numbers.
	key := func(seq uint64) []byte { return binary.BigEndian.AppendUint64([]byte("audit/e/"), seq) }
	require.NoError(t, db.Update(func(txn *badger.Txn) error {
		a, _ := txn.Get(key(2))
		b, _ := txn.Get(key(3))
		av, _ := a.ValueCopy(nil)
		bv, _ := b.ValueCopy(nil)
		if err := txn.Set(key(2), bv); err != nil {
			return err
		}
		return txn.Set(key(3), av)
	}))
	rep, err = l.Verify(ctx)
	require.NoError(t, err)
	assert.False(t, rep.OK)
	assert.Equal(t, uint64(2), rep.BadSeq)
	assert.Contains(t, rep.Problem, "claims sequence number 3")
}
