package tsdb

import (
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/require"
)

// promqlStorage opens a DB suited to the PromQL test scripts: their data
// lives around 1970, so retention must not expire it, and they load in order
// like teststorage (out-of-order disabled).
func promqlStorage(sealEveryCommit bool) func(t testing.TB) storage.Storage {
	return func(t testing.TB) storage.Storage {
		db, err := Open(t.TempDir(), Options{
			Retention:        100 * 365 * 24 * time.Hour,
			OutOfOrderWindow: -1,
			Now:              func() time.Time { return time.Unix(0, 0) },
			sealEveryCommit:  sealEveryCommit,
		})
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
}

func TestPromQLScriptsHead(t *testing.T) {
	promqltest.RunBuiltinTestsWithStorage(t, promqltest.NewTestEngine(t, false, 5*time.Minute, promqltest.DefaultMaxSamplesPerQuery), promqlStorage(false))
}
