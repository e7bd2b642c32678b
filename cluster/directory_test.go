package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/cluster"
	"github.com/mlectl/mlectl/tsdb"
)

// TestDirectoryOwners: own list first, then the owner series read back
// from the store, then the peers' lists, then the hash (ownership: hash)
// or a refusal (ownership: list).
func TestDirectoryOwners(t *testing.T) {
	db, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	ctx := context.Background()
	now := time.Now()

	// collector-c is nobody's configured peer: it announces itself and
	// churn in the store (the shared store in remote mode).
	c := cluster.NewDirectory(cluster.Config{Name: "collector-c", URL: "http://10.0.0.3:9710", Models: []string{"churn"}, Ownership: cluster.OwnershipList}, nil)
	require.NoError(t, c.Announce(ctx, db, now, []string{"unowned-here"}))

	a := cluster.NewDirectory(cluster.Config{Name: "collector-a", URL: "http://10.0.0.1:9710", Models: []string{"demand"},
		Peers: []cluster.Peer{{Name: "collector-b", URL: "http://10.0.0.2:9710", Models: []string{"fraud"}}}, Ownership: cluster.OwnershipList}, nil)
	_, err = a.Owner("churn")
	require.ErrorIs(t, err, cluster.ErrNoOwner, "not announced yet, in no list")
	require.NoError(t, a.Read(ctx, db, now))

	for _, tc := range []struct {
		model, owner, url string
	}{
		{"demand", "collector-a", "http://10.0.0.1:9710"},
		{"fraud", "collector-b", "http://10.0.0.2:9710"},
		{"churn", "collector-c", "http://10.0.0.3:9710"},
	} {
		o, err := a.Owner(tc.model)
		require.NoError(t, err, tc.model)
		assert.Equal(t, cluster.Member{Name: tc.owner, URL: tc.url}, o, tc.model)
	}
	assert.True(t, a.Owns("demand"))
	assert.False(t, a.Owns("churn"))
	_, err = a.Owner("unowned-here")
	assert.True(t, errors.Is(err, cluster.ErrNoOwner), "c announces only what it owns: %v", err)
	assert.Equal(t, []cluster.Member{{Name: "collector-b", URL: "http://10.0.0.2:9710"}, {Name: "collector-c", URL: "http://10.0.0.3:9710"}}, a.Peers())
	assert.Len(t, a.KnownModels(), 3)

	// ownership: hash places the rest by the rendezvous hash over a and b.
	h := cluster.NewDirectory(cluster.Config{Name: "collector-a", URL: "http://10.0.0.1:9710",
		Peers: []cluster.Peer{{Name: "collector-b", URL: "http://10.0.0.2:9710"}}}, nil)
	o, err := h.Owner("ranker.v2")
	require.NoError(t, err)
	assert.Equal(t, cluster.HashOwner("ranker.v2", []cluster.Member{{Name: "collector-a"}, {Name: "collector-b"}}).Name, o.Name)
}
