package tui

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/teatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/registry"
)

// rowOf returns the screen line of the models table that starts with name.
func rowOf(t *testing.T, screen, name string) string {
	t.Helper()
	for _, l := range strings.Split(screen, "\n") {
		if f := strings.Fields(strings.TrimLeft(l, "› >")); len(f) > 0 && f[0] == name {
			return l
		}
	}
	t.Fatalf("no row for %s on screen:\n%s", name, screen)
	return ""
}

// After a real rollback through the client (fraud v7 → v6), PROD reads
// the registry's new production first and marks v7, whose traffic is still
// in the 5-minute rate window, as draining; a registered model without
// traffic gets a row of its own.
func TestModelsProdAfterRollback(t *testing.T) {
	w := newWritable(t)
	ctx := t.Context()
	act := actuator.Config{Kind: actuator.KindFile, Path: filepath.Join(t.TempDir(), "pricing-routing.json")}
	_, err := w.meta.Registry.PutModel(ctx, registry.Model{Name: "pricing", Owner: "risk-team", Actuator: act}, "test")
	require.NoError(t, err)
	_, err = w.meta.Registry.Register(ctx, registry.Version{Model: "pricing", Version: "v2", ArtifactURI: "s3://models/pricing/v2",
		SHA256: strings.Repeat("b", 64), Stage: registry.StageProduction}, "test")
	require.NoError(t, err)

	c := w.client(t, adminToken)
	res, err := c.Rollback(ctx, "fraud", "", "error spike after v7")
	require.NoError(t, err)
	require.Equal(t, "v6", production(t, w, "fraud"), "the registry's production moved: %+v", res)

	for _, tc := range []struct {
		ascii      bool
		prod, note string
	}{
		{false, "v6 ↓v7", "↓v: old version draining"},
		{true, "v6 -v7", "-v: old version draining"},
	} {
		cfg := testConfig(w.client(t, adminToken))
		cfg.ASCII = tc.ascii
		s := &session{t: t, tm: teatest.NewTestModel(t, New(ctx, cfg), teatest.WithInitialTermSize(80, 24))}
		s.waitFor("collector ready", "pricing", "428ms")
		screen := s.screen()
		fields := strings.Fields(strings.TrimLeft(rowOf(t, screen, "fraud"), "› >"))
		require.GreaterOrEqual(t, len(fields), 3)
		assert.Equal(t, strings.Fields(tc.prod), fields[1:3], "new production first, the old one draining (ascii %v)", tc.ascii)
		assert.Contains(t, screen, tc.note, "the footnote says what the marker means")
		pricing := strings.Fields(strings.TrimLeft(rowOf(t, screen, "pricing"), "› >"))
		dash := "—"
		if tc.ascii {
			dash = "-"
		}
		require.GreaterOrEqual(t, len(pricing), 4)
		assert.Equal(t, []string{"pricing", "v2", dash, dash}, pricing[:4], "registered, no traffic yet: production and dashes")
		assert.Equal(t, strings.Fields("v3"), strings.Fields(rowOf(t, screen, "churn"))[1:2], "churn's production unchanged")
	}
}

// Without the registry PROD lists every version with traffic, as before.
func TestModelsProdWithoutRegistry(t *testing.T) {
	srv, err := collector.New(collector.Config{Version: "test"}, env.db, nil)
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	c, err := client.New(hs.URL)
	require.NoError(t, err)
	_, err = c.Models(t.Context())
	require.ErrorIs(t, err, client.ErrNotConfigured)
	s := &session{t: t, tm: teatest.NewTestModel(t, New(t.Context(), testConfig(stableURL{c})), teatest.WithInitialTermSize(80, 24))}
	s.waitFor("collector ready", "428ms", "recsys")
	screen := s.screen()
	assert.Equal(t, "v7", strings.Fields(strings.TrimLeft(rowOf(t, screen, "fraud"), "› >"))[1])
	assert.Equal(t, "v12,v13", strings.Fields(rowOf(t, screen, "ranker"))[1])
	assert.NotContains(t, screen, "draining")
	assert.NotContains(t, screen, "query failed", "a missing registry is no error")
}
