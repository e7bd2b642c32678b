package tsdb

import (
	"sync"
	"sync/atomic"
)

// blockCache keeps encoded block values, exactly as stored in badger, in
// memory up to a byte bound, evicting by second chance (CLOCK): a hit only
// marks its entry, and eviction gives marked entries one more round, so the
// hot path of a query over 100k series is a map lookup, not a list move. A block never
// changes once written (compaction and retention write or delete whole
// blocks under fresh seqs), so an entry keyed by series ref and block seq
// is always what badger holds or held for that key; a query that listed
// the block before compaction replaced it reads the same samples either
// way. A query that reads a block from badger puts it, and compaction puts
// its merged blocks where it replaced cached ones, so repeated queries of
// the recent past (dashboards, rules) skip badger's per-key lookup and SST
// block decompression entirely; a seal does not put what it writes, which
// would hold a seal's whole output in memory before any query asked.
type blockCache struct {
	shards   [blockCacheShards]cacheShard
	maxBytes atomic.Int64 // per shard
}

const (
	blockCacheShards = 16
	// cacheEntryOverhead approximates an entry's bookkeeping (map slot,
	// ring slot) so many tiny blocks cannot exceed the bound.
	cacheEntryOverhead = 120
)

type cacheKey struct{ ref, seq uint64 }

// cacheVal is held in the map itself, so a hit reads the value's location
// from the map's own slot: at 100k series every extra pointer followed is
// a cache miss per series per query.
type cacheVal struct {
	val  []byte
	slot uint32 // its place in the CLOCK ring
}

// Ring slot states.
const (
	slotFree uint32 = iota
	slotUsed
	slotHit // read since the hand last passed
)

// cacheShard: gets share the read lock (a hit only sets its slot's state
// atomically), so concurrent queries do not serialise on the shard.
type cacheShard struct {
	mu    sync.RWMutex
	byKey map[cacheKey]cacheVal
	ring  []cacheKey // slot -> key, for eviction
	state []uint32   // slot -> slotFree/slotUsed/slotHit (atomic under the read lock)
	free  []uint32   // free slots
	hand  int
	bytes int64
}

// newBlockCache returns a cache bounded to maxBytes, or nil (caching off)
// when maxBytes is not positive.
func newBlockCache(maxBytes int64) *blockCache {
	if maxBytes <= 0 {
		return nil
	}
	c := &blockCache{}
	c.setBound(maxBytes)
	for i := range c.shards {
		c.shards[i].byKey = map[cacheKey]cacheVal{}
	}
	return c
}

// setBound changes the cache's byte bound; a lower bound takes effect as
// puts evict.
func (c *blockCache) setBound(maxBytes int64) {
	if c != nil {
		c.maxBytes.Store(max(maxBytes/blockCacheShards, 1))
	}
}

func (c *blockCache) shard(ref uint64) *cacheShard { return &c.shards[ref%blockCacheShards] }

// get returns the value of block seq of series ref, if cached. The caller
// must not modify it.
func (c *blockCache) get(ref, seq uint64) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	sh := c.shard(ref)
	sh.mu.RLock()
	v, ok := sh.byKey[cacheKey{ref, seq}]
	if ok {
		if st := &sh.state[v.slot]; atomic.LoadUint32(st) == slotUsed {
			atomic.StoreUint32(st, slotHit)
		}
	}
	sh.mu.RUnlock()
	return v.val, ok
}

// put caches val (which the caller must no longer modify) for block seq of
// series ref, first evicting by second chance until it fits the bound.
func (c *blockCache) put(ref, seq uint64, val []byte) {
	if c == nil {
		return
	}
	cost := int64(len(val) + cacheEntryOverhead)
	bound := c.maxBytes.Load()
	if cost > bound {
		return
	}
	k := cacheKey{ref, seq}
	sh := c.shard(ref)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if v, ok := sh.byKey[k]; ok {
		sh.state[v.slot] = slotHit
		return
	}
	for sh.bytes+cost > bound {
		sh.evictOne()
	}
	var slot uint32
	if n := len(sh.free); n > 0 {
		slot = sh.free[n-1]
		sh.free = sh.free[:n-1]
		sh.ring[slot] = k
	} else {
		slot = uint32(len(sh.ring))
		sh.ring = append(sh.ring, k)
		sh.state = append(sh.state, slotFree)
	}
	sh.state[slot] = slotUsed
	sh.byKey[k] = cacheVal{val: val, slot: slot}
	sh.bytes += cost
}

// evictOne advances the hand to the first entry not read since its last
// pass, clearing the marks it passes, and evicts it. The caller holds the
// write lock and knows the shard is not empty.
func (sh *cacheShard) evictOne() {
	for {
		if sh.hand >= len(sh.ring) {
			sh.hand = 0
		}
		i := sh.hand
		sh.hand++
		switch sh.state[i] {
		case slotHit:
			sh.state[i] = slotUsed // second chance
		case slotUsed:
			sh.remove(sh.ring[i], sh.byKey[sh.ring[i]])
			return
		}
	}
}

func (sh *cacheShard) remove(k cacheKey, v cacheVal) {
	delete(sh.byKey, k)
	sh.state[v.slot] = slotFree
	sh.ring[v.slot] = cacheKey{}
	sh.free = append(sh.free, v.slot)
	sh.bytes -= int64(len(v.val) + cacheEntryOverhead)
}

// drop forgets block seq of series ref (compaction deleted it).
func (c *blockCache) drop(ref, seq uint64) {
	if c == nil {
		return
	}
	sh := c.shard(ref)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	k := cacheKey{ref, seq}
	if v, ok := sh.byKey[k]; ok {
		sh.remove(k, v)
	}
}

// size returns the cached bytes (values plus bookkeeping) and entries.
func (c *blockCache) size() (bytes int64, entries int) {
	if c == nil {
		return 0, 0
	}
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		bytes += sh.bytes
		entries += len(sh.byKey)
		sh.mu.RUnlock()
	}
	return bytes, entries
}
