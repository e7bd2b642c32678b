package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/registry"
)

// recordingActuator keeps the requests it was given; err fails them.
type recordingActuator struct {
	reqs []actuator.Request
	err  error
}

func (r *recordingActuator) Apply(_ context.Context, req actuator.Request) error {
	r.reqs = append(r.reqs, req)
	return r.err
}

func TestRollbackToVersionResetsCanariesAndHistory(t *testing.T) {
	db, err := badger.Open(badger.DefaultOptions(t.TempDir()).WithLogger(nil))
	require.NoError(t, err)
	defer db.Close()
	act := &recordingActuator{}
	t0 := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	clock := t0
	r := registry.New(db, registry.Options{Now: func() time.Time { return clock },
		NewActuator: func(actuator.Config) (actuator.Actuator, error) { return act, nil }})
	ctx := context.Background()
	_, err = r.PutModel(ctx, registry.Model{Name: "fraud", Actuator: actuator.Config{Kind: "file", Path: "/unused"}}, "admin")
	require.NoError(t, err)
	for i, v := range []string{"v1", "v2", "v3", "v4"} {
		stage := registry.StageShadow
		if i == 0 {
			stage = registry.StageProduction
		}
		_, err := r.Register(ctx, registry.Version{Model: "fraud", Version: v, ArtifactURI: "s3://m/" + v, SHA256: strings.Repeat("a", 64),
			Baseline: "b", Stage: stage, CreatedAt: t0.Add(time.Duration(i) * time.Minute)}, "admin")
		require.NoError(t, err)
	}
	for _, v := range []string{"v2", "v3"} {
		_, err := r.Act(ctx, registry.ActionRequest{Action: registry.ActionPromote, Model: "fraud", Version: v, Actor: "admin"})
		require.NoError(t, err)
	}
	_, err = r.Act(ctx, registry.ActionRequest{Action: registry.ActionSetTraffic, Model: "fraud", Version: "v4", TrafficPercent: 20, Actor: "admin"})
	require.NoError(t, err)
	st, err := r.Get(ctx, "fraud")
	require.NoError(t, err)
	assert.Equal(t, []string{"v1", "v2"}, st.ProductionHistory)
	assert.Equal(t, 80.0, st.Versions[2].TrafficPercent)

	res, err := r.Act(ctx, registry.ActionRequest{Action: registry.ActionRollback, Model: "fraud", Version: "v1", Reason: "bad", Actor: "bob"})
	require.NoError(t, err)
	assert.Equal(t, "v3", res.FromVersion)
	last := act.reqs[len(act.reqs)-1]
	assert.Equal(t, []actuator.Route{{Version: "v1", Stage: "production", ArtifactURI: "s3://m/v1", SHA256: strings.Repeat("a", 64), Weight: 100}}, last.Routes,
		"the canary stops serving on rollback")
	st, err = r.Get(ctx, "fraud")
	require.NoError(t, err)
	assert.Equal(t, []string{"v2"}, st.ProductionHistory)
	got := map[string]registry.Stage{}
	for _, v := range st.Versions {
		got[v.Version] = v.Stage
	}
	assert.Equal(t, map[string]registry.Stage{"v1": "production", "v2": "none", "v3": "none", "v4": "none"}, got)

	// The double-rollback guard: a second rollback without a target right
	// after the first is a conflict; once the guard window passed it runs.
	clock = t0.Add(registry.DefaultRollbackGuard - time.Second)
	_, err = r.Act(ctx, registry.ActionRequest{Action: registry.ActionRollback, Model: "fraud", Reason: "again", Actor: "carol"})
	assert.ErrorIs(t, err, registry.ErrConflict)
	assert.ErrorContains(t, err, "already rolled back 9m59s ago by bob (v3 → v1)")

	clock = t0.Add(registry.DefaultRollbackGuard)
	act.err = errors.New("boom")
	before, _ := r.Get(ctx, "fraud")
	_, err = r.Act(ctx, registry.ActionRequest{Action: registry.ActionRollback, Model: "fraud", Reason: "x"})
	assert.ErrorIs(t, err, registry.ErrActuator)
	assert.ErrorContains(t, err, "boom")
	assert.Equal(t, "v2", act.reqs[len(act.reqs)-1].ToVersion, "past the guard the rollback goes to the previous version")
	after, _ := r.Get(ctx, "fraud")
	assert.Equal(t, before, after)
}
