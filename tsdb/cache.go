package tsdb

import (
	"container/list"
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
// way. Seals and compactions put the blocks they write, so queries of the
// recently sealed past (what dashboards ask for) skip badger's per-key
// lookup and SST block decompression entirely.
type blockCache struct {
	shards   [blockCacheShards]cacheShard
	maxBytes int64 // per shard
}

const (
	blockCacheShards = 16
	// cacheEntryOverhead approximates an entry's bookkeeping (list element,
	// map slot, entry struct) so many tiny blocks cannot exceed the bound.
	cacheEntryOverhead = 120
)

type cacheKey struct{ ref, seq uint64 }

type cacheEntry struct {
	key cacheKey
	val []byte
	el  *list.Element // its place in the eviction order (write lock)
	hit atomic.Bool   // read since it last reached the eviction end
}

// cacheShard: gets share the read lock (a hit only sets its entry's flag),
// so concurrent queries over many series do not serialise on the shard.
type cacheShard struct {
	mu    sync.RWMutex
	byKey map[cacheKey]*cacheEntry
	lru   list.List // front: most recently put or given a second chance
	bytes int64
}

// newBlockCache returns a cache bounded to maxBytes, or nil (caching off)
// when maxBytes is not positive.
func newBlockCache(maxBytes int64) *blockCache {
	if maxBytes <= 0 {
		return nil
	}
	c := &blockCache{maxBytes: max(maxBytes/blockCacheShards, 1)}
	for i := range c.shards {
		c.shards[i].byKey = map[cacheKey]*cacheEntry{}
	}
	return c
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
	e := sh.byKey[cacheKey{ref, seq}]
	sh.mu.RUnlock()
	if e == nil {
		return nil, false
	}
	if !e.hit.Load() {
		e.hit.Store(true)
	}
	return e.val, true
}

// put caches val (which the caller must no longer modify) for block seq of
// series ref, evicting the least recently used entries over the bound.
func (c *blockCache) put(ref, seq uint64, val []byte) {
	if c == nil {
		return
	}
	cost := int64(len(val) + cacheEntryOverhead)
	if cost > c.maxBytes {
		return
	}
	k := cacheKey{ref, seq}
	sh := c.shard(ref)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e, ok := sh.byKey[k]; ok {
		e.hit.Store(true)
		return
	}
	e := &cacheEntry{key: k, val: val}
	sh.byKey[k] = e
	e.el = sh.lru.PushFront(e)
	sh.bytes += cost
	for sh.bytes > c.maxBytes {
		el := sh.lru.Back()
		if e := el.Value.(*cacheEntry); e.hit.Load() {
			e.hit.Store(false) // second chance
			sh.lru.MoveToFront(el)
			continue
		}
		sh.removeElement(el)
	}
}

// drop forgets block seq of series ref (compaction deleted it).
func (c *blockCache) drop(ref, seq uint64) {
	if c == nil {
		return
	}
	sh := c.shard(ref)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e, ok := sh.byKey[cacheKey{ref, seq}]; ok {
		sh.removeElement(e.el)
	}
}

func (sh *cacheShard) removeElement(el *list.Element) {
	e := sh.lru.Remove(el).(*cacheEntry)
	delete(sh.byKey, e.key)
	sh.bytes -= int64(len(e.val) + cacheEntryOverhead)
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
