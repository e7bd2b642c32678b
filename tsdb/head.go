package tsdb

import (
	"math"
	"sort"
)

const (
	minInt64 = math.MinInt64
	maxInt64 = math.MaxInt64
)

// insertResult classifies what insertHead did.
type insertResult uint8

const (
	insertedInOrder insertResult = iota
	insertedOutOfOrder
	replacedDuplicate
)

// insertHead adds smp to s.head keeping it sorted with unique timestamps; an
// equal timestamp replaces the existing sample (last write wins).
// The caller holds s.mu.
func (s *memSeries) insertHead(smp sample) insertResult {
	n := len(s.head)
	if n == 0 || s.head[n-1].t < smp.t {
		s.head = append(s.head, smp)
		return insertedInOrder
	}
	s.mods++
	i := sort.Search(n, func(i int) bool { return s.head[i].t >= smp.t })
	if s.head[i].t == smp.t {
		s.head[i] = smp
		return replacedDuplicate
	}
	s.head = append(s.head, sample{})
	copy(s.head[i+1:], s.head[i:])
	s.head[i] = smp
	return insertedOutOfOrder
}

// bumpMaxT raises s.maxT to t.
func (s *memSeries) bumpMaxT(t int64) {
	for {
		cur := s.maxT.Load()
		if cur >= t || s.maxT.CompareAndSwap(cur, t) {
			return
		}
	}
}

// overlaps reports whether a block or the head range of s overlaps
// [mint, maxt].
func (s *memSeries) overlaps(mint, maxt int64) bool {
	if s.maxT.Load() < mint {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.head); n > 0 && s.head[0].t <= maxt && s.head[n-1].t >= mint {
		return true
	}
	for _, m := range s.blocks {
		if m.minT <= maxt && m.maxT >= mint {
			return true
		}
	}
	return false
}
