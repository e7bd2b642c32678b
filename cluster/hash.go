package cluster

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
	const offset, prime = 14695981039346656037, 1099511628211
	x := uint64(offset)
	for i := 0; i < len(member); i++ {
		x = (x ^ uint64(member[i])) * prime
	}
	x *= prime // the 0 separator
	for i := 0; i < len(model); i++ {
		x = (x ^ uint64(model[i])) * prime
	}
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
