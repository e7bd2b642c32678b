package main

import (
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAnnotateAndAuditCLI(t *testing.T) {
	e := newCLIEnv(t)
	e.seed()
	out := e.ok(cliResponder, "annotate", "fraud", "amount arrives in cents since 14:05")
	assert.Contains(t, out, "annotation recorded for fraud")
	assert.Contains(t, out, "by oncall")
	code, _, _ := e.mlectl(cliResponder, "annotate", "fraud")
	assert.Equal(t, 2, code)
	code, _, errs := e.mlectl(cliViewer, "annotate", "fraud", "x")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "403")

	out = e.ok("", "audit", "verify")
	assert.Contains(t, out, "audit log OK: 6 entries")
	out = e.ok("", "audit", "list")
	assert.Regexp(t, `6\s+\S+ \S+\s+viewer\s+viewer\s+POST /api/v1/events\s+403`, out)

	// Edit the stored entry 2 behind the API's back.
	key := append([]byte("audit/e/"), 0, 0, 0, 0, 0, 0, 0, 2)
	require.NoError(t, e.svc.DB.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		v[len(v)-3] ^= 1 // flip a bit inside the hash string
		return txn.Set(key, v)
	}))
	code, _, errs = e.mlectl("", "audit", "verify")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "audit log verification FAILED at entry 2")
}
