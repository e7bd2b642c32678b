package cluster

import "hash/fnv"

// HashOwner is the rendezvous (highest random weight) owner of model among
// members: the member whose hash of (member name, model name) is highest.
// Every collector configured with the same members computes the same
// owner, and adding or removing a member moves only the models that go to
// or came from it. Nil when members is empty.
func HashOwner(model string, members []Member) *Member {
	var best *Member
	var bestScore uint64
	for i := range members {
		s := score(members[i].Name, model)
		if best == nil || s > bestScore || s == bestScore && members[i].Name < best.Name {
			best, bestScore = &members[i], s
		}
	}
	return best
}

// score mixes FNV-1a of "member\x00model" through splitmix64's finalizer:
// FNV alone spreads names that differ in their last bytes poorly.
func score(member, model string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(member))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(model))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
