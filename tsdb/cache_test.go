package tsdb

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBlockCacheBoundAndLRU(t *testing.T) {
	// One shard's bound is maxBytes/16; refs 0, 16, 32... share shard 0.
	per := int64(3 * (100 + cacheEntryOverhead))
	c := newBlockCache(per * blockCacheShards)
	val := make([]byte, 100)
	for i := range uint64(3) {
		c.put(i*16, 1, val)
	}
	_, ok := c.get(0, 1) // 0 is now the most recently used
	require.True(t, ok)
	c.put(48, 1, val) // over the bound: 0 was read, gets a second chance; 16 goes
	for _, tc := range []struct {
		ref  uint64
		want bool
	}{{0, true}, {16, false}, {32, true}, {48, true}} {
		_, ok := c.get(tc.ref, 1)
		assert.Equal(t, tc.want, ok, "ref %d", tc.ref)
	}
	c.drop(0, 1)
	_, ok = c.get(0, 1)
	assert.False(t, ok, "dropped")
	bytes, n := c.size()
	assert.Equal(t, 2, n)
	assert.Equal(t, 2*int64(100+cacheEntryOverhead), bytes)

	c.put(64, 1, make([]byte, per)) // larger than a shard: not cached
	_, ok = c.get(64, 1)
	assert.False(t, ok)

	var off *blockCache = newBlockCache(-1)
	off.put(1, 1, val)
	_, ok = off.get(1, 1)
	assert.False(t, ok, "a nil cache caches nothing")
}

// Queries answer the same with the block cache on (blocks put by the
// queries that read them from badger, then served from memory; replaced by
// compaction's merged blocks where cached) and off (every block from
// badger). A seal's blocks wait for a query to ask before they are cached.
func TestBlockCacheQueriesMatchBadger(t *testing.T) {
	base := fixedNow.Add(-3 * time.Hour).UnixMilli()
	results := map[string][]map[string][]point{}
	for _, tc := range []struct {
		name  string
		bytes int64
	}{{"on", 0}, {"off", -1}, {"tiny", 4096}} {
		db := openTestDB(t, t.TempDir(), Options{BlockCacheBytes: tc.bytes, BlockSamples: 100})
		appendRound := func(round int) {
			app := db.Appender(context.Background())
			for s := range 20 {
				ls := labels.FromStrings("__name__", "m", "s", fmt.Sprint(s))
				for i := range 150 {
					ts := base + int64(round*150+i)*15_000
					_, err := app.Append(0, ls, ts, float64(s*1000+round*150+i)/10)
					require.NoError(t, err)
				}
			}
			require.NoError(t, app.Commit())
			require.NoError(t, db.Flush(context.Background()))
		}
		for round := range 3 {
			appendRound(round)
		}
		require.NoError(t, db.Compact(context.Background()))
		_, entries := db.cache.size()
		assert.Zero(t, entries, "seals and compactions cache no block a query did not read")
		query := func() map[string][]point {
			// A 5-minute window inside a block, a window across blocks, everything.
			got := map[string][]point{}
			for _, w := range [][2]int64{{base + 300*15_000, base + 320*15_000}, {base + 90*15_000, base + 210*15_000}, {base, base + 1<<40}} {
				for k, v := range queryAll(t, db, w[0], w[1]) {
					got[fmt.Sprint(w, k)] = v
				}
			}
			return got
		}
		first := query()
		bytes, entries := db.cache.size()
		if tc.bytes >= 0 {
			assert.Positive(t, entries, "queries fill the cache")
		}
		assert.LessOrEqual(t, bytes, max(tc.bytes, DefaultBlockCacheBytes))
		second := query() // from the cache where it holds the blocks
		appendRound(3)
		require.NoError(t, db.Compact(context.Background()))
		if tc.name == "on" {
			_, entries = db.cache.size()
			assert.Positive(t, entries, "compaction replaced cached blocks with the merged ones")
		}
		results[tc.name] = []map[string][]point{first, second, query()}
		require.NoError(t, db.Close())
	}
	require.Len(t, results["on"][0], 60)
	assert.Equal(t, results["on"][0], results["on"][1])
	for _, name := range []string{"off", "tiny"} {
		for i := range results[name] {
			assert.Equal(t, results[name][i], results["on"][i], "%s pass %d", name, i)
		}
	}
}

func TestDecodeBlockRangeKeepsOnlyTheRange(t *testing.T) {
	var samples []sample
	for i := range int64(100) {
		samples = append(samples, sample{t: 1000 + i*10, v: float64(i)})
	}
	val, _, _, err := appendBlock(nil, samples, nil, nil)
	require.NoError(t, err)
	for _, tc := range []struct {
		mint, maxt int64
		want       []sample
	}{
		{1500, 1590, samples[50:60]},
		{0, 999, nil},
		{minInt64, maxInt64, samples},
		{1985, 5000, samples[99:]},
	} {
		got, _, _, err := decodeBlockRange(nil, val, nil, nil, tc.mint, tc.maxt)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "[%d, %d]", tc.mint, tc.maxt)
	}
}

func TestAutoBlockCacheBound(t *testing.T) {
	for _, tc := range []struct {
		series, avgBlock int64
		want             int64
	}{
		{0, 0, DefaultBlockCacheBytes},
		{100_000, 200, DefaultBlockCacheBytes}, // 100k x 512 B is below the floor
		{1_000_000, 200, 1_000_000 * blockCacheBytesPerSeries},
		{10_000_000, 200, maxAutoBlockCacheBytes},
		// 2 h at 15 s: 480-sample blocks of about 700 bytes, each series'
		// block with its bookkeeping and a quarter to spare.
		{100_000, 700, 100_000 * (700 + cacheEntryOverhead) * 5 / 4},
		{10_000_000, 700, maxAutoBlockCacheBytes},
	} {
		assert.Equal(t, tc.want, autoBlockCacheBytes(tc.series, tc.avgBlock), "%d series of %d-byte blocks", tc.series, tc.avgBlock)
	}

	// A lowered bound evicts on the next put until the shard fits.
	per := int64(100 + cacheEntryOverhead)
	c := newBlockCache(4 * per * blockCacheShards)
	for i := range uint64(4) {
		c.put(i*blockCacheShards, 1, make([]byte, 100))
	}
	c.setBound(2 * per * blockCacheShards)
	c.put(4*blockCacheShards, 1, make([]byte, 100))
	bytes, n := c.size()
	assert.Equal(t, 2, n)
	assert.Equal(t, 2*per, bytes)
}
