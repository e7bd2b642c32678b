//go:build slow

package tsdb

import (
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/promqltest"
)

// TestPromQLScriptsSealed runs the scripts with the head sealed into badger
// blocks after every commit, so every query reads decoded blocks.
func TestPromQLScriptsSealed(t *testing.T) {
	promqltest.RunBuiltinTestsWithStorage(t, promqltest.NewTestEngine(t, false, 5*time.Minute, promqltest.DefaultMaxSamplesPerQuery), promqlStorage(true))
}
