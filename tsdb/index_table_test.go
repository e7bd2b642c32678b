package tsdb

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/require"
)

// TestSeriesTable: inserts, lookups and removals, with many series sharing
// a hash and crowded home slots (forced hashes), against a map.
func TestSeriesTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var tbl seriesTable
	live := map[*memSeries]bool{}
	var all []*memSeries
	for i := range 5000 {
		// Few distinct hashes, and hashes that land on neighbouring slots.
		hash := uint64(rng.IntN(64)) << seriesTableShift
		if i%3 == 0 {
			hash = rng.Uint64()
		}
		s := &memSeries{hash: hash, lset: labels.FromStrings("i", fmt.Sprint(i))}
		tbl.insert(hash, s)
		live[s] = true
		all = append(all, s)
		if rng.IntN(3) == 0 { // remove a random series, live or not
			victim := all[rng.IntN(len(all))]
			tbl.remove(victim)
			delete(live, victim)
		}
	}
	require.Equal(t, len(live), tbl.used)
	for _, s := range all {
		got := tbl.get(s.hash, s.lset)
		if live[s] {
			require.Same(t, s, got, "series %s", s.lset)
		} else {
			require.Nil(t, got, "removed series %s", s.lset)
		}
	}
	require.Nil(t, tbl.get(1<<seriesTableShift, labels.FromStrings("i", "none")))
	var empty seriesTable
	require.Nil(t, empty.get(0, labels.FromStrings("i", "0")))
	empty.remove(all[0])
}
