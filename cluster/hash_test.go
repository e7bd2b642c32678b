package cluster_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/cluster"
)

func members(names ...string) []cluster.Member {
	out := make([]cluster.Member, len(names))
	for i, n := range names {
		out[i] = cluster.Member{Name: n, URL: "http://" + n + ":9710"}
	}
	return out
}

// TestHashOwnerStable pins the owners of a few names: a change of the
// hash would move every model of every running cluster at upgrade.
func TestHashOwnerStable(t *testing.T) {
	abc := members("collector-a", "collector-b", "collector-c")
	for _, tc := range []struct {
		model string
		want  string
	}{
		{"demand", "collector-c"},
		{"fraud", "collector-a"},
		{"churn", "collector-a"},
		{"iris", "collector-c"},
		{"credit-risk", "collector-a"},
		{"ranker.v2", "collector-b"},
	} {
		t.Run(tc.model, func(t *testing.T) {
			assert.Equal(t, tc.want, cluster.HashOwner(tc.model, abc).Name)
			// The order members are listed in does not matter.
			rev := members("collector-c", "collector-b", "collector-a")
			assert.Equal(t, tc.want, cluster.HashOwner(tc.model, rev).Name)
		})
	}
	assert.Nil(t, cluster.HashOwner("demand", nil))
}

// TestHashOwnerBalanced: 3000 model names spread over 2, 3 and 5
// collectors within 10% of an even share, and a collector added takes
// models only from the others (none moves between the old ones).
func TestHashOwnerBalanced(t *testing.T) {
	const n = 3000
	for _, tc := range []struct {
		members []cluster.Member
	}{
		{members("collector-a", "collector-b")},
		{members("collector-a", "collector-b", "collector-c")},
		{members("c1", "c2", "c3", "c4", "c5")},
	} {
		t.Run(fmt.Sprintf("%d collectors", len(tc.members)), func(t *testing.T) {
			count := map[string]int{}
			for i := range n {
				count[cluster.HashOwner(fmt.Sprintf("model-%d", i), tc.members).Name]++
			}
			even := float64(n) / float64(len(tc.members))
			require.Len(t, count, len(tc.members))
			for name, c := range count {
				assert.InDelta(t, even, float64(c), 0.1*even, "%s owns %d of %d", name, c, n)
			}
			grown := append(append([]cluster.Member(nil), tc.members...), cluster.Member{Name: "new", URL: "http://new:9710"})
			moved := 0
			for i := range n {
				m := fmt.Sprintf("model-%d", i)
				before, after := cluster.HashOwner(m, tc.members).Name, cluster.HashOwner(m, grown).Name
				if before != after {
					require.Equal(t, "new", after, "%s moved between old collectors", m)
					moved++
				}
			}
			share := float64(n) / float64(len(grown))
			assert.InDelta(t, share, float64(moved), 0.15*share, "the new collector takes its share")
		})
	}
}
