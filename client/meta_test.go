package client

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/metaapi"
	"github.com/mlectl/mlectl/registry"
)

// TestMetaCalls runs the console's runbook and event-log calls against the
// real metadata API on a real badger directory, mounted as the collector
// mounts it (the game-day routes absent).
func TestMetaCalls(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	svc, err := metaapi.Open(t.Context(), metaapi.Config{Dir: filepath.Join(t.TempDir(), "meta"),
		Auth: auth.Config{Mode: auth.ModeDisabled}, Now: func() time.Time { return at }})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, svc.Close()) })
	for i, text := range []string{"first", "second", "third"} {
		require.NoError(t, svc.Events.Record(t.Context(), events.Event{Time: at.Add(time.Duration(i-3) * time.Minute),
			Kind: events.KindAnnotation, Model: []string{"a", "b", "a"}[i], Text: text}))
	}
	c := serveMeta(t, svc)

	list, err := c.Runbooks(t.Context(), nil)
	require.NoError(t, err)
	want := svc.Runbooks.All()
	require.Len(t, list, len(want))
	for i := range want {
		assert.Equal(t, want[i].ID, list[i].ID)
		assert.Equal(t, len(want[i].Steps), list[i].Steps)
	}
	linked, err := c.Runbooks(t.Context(), map[string]string{"alertname": "FeatureDrift", "model": "demand", "runbook": "feature-drift"})
	require.NoError(t, err)
	require.Len(t, linked, 1)
	assert.Equal(t, "feature-drift", linked[0].ID)

	rb, err := c.Runbook(t.Context(), "feature-drift")
	require.NoError(t, err)
	lib, _ := svc.Runbooks.Get("feature-drift")
	assert.Equal(t, lib.Markdown(), rb.Markdown(), "the runbook arrives whole")

	evs, err := c.EventLog(t.Context(), "a", at.Add(-time.Hour), at, 0)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	assert.Equal(t, []string{"first", "third"}, []string{evs[0].Text, evs[1].Text}, "oldest first, model a only")

	for _, tc := range []struct {
		name          string
		call          func() error
		notConfigured bool
		status        int
	}{
		{"unknown runbook is the API's 404, not a missing route", func() error { _, err := c.Runbook(t.Context(), "nope"); return err }, false, 404},
		{"a step out of range is bad data", func() error { _, err := c.RunStep(t.Context(), "feature-drift", 9, nil); return err }, false, 400},
		{"a step missing its values says which", func() error { _, err := c.RunStep(t.Context(), "feature-drift", 5, nil); return err }, false, 400},
		{"game days not mounted: not configured", func() error { _, err := c.Injections(t.Context()); return err }, true, 0},
		{"stopping on a collector without game days", func() error { _, err := c.StopInjection(t.Context(), "x"); return err }, true, 0},
	} {
		err := tc.call()
		require.Error(t, err, tc.name)
		assert.Equal(t, tc.notConfigured, errors.Is(err, ErrNotConfigured), tc.name)
		if tc.status != 0 {
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr, tc.name)
			assert.Equal(t, tc.status, apiErr.StatusCode, tc.name)
		}
	}
}

// TestModelsList lists the real registry through the console's client, and
// a collector without the registry answers ErrNotConfigured.
func TestModelsList(t *testing.T) {
	dir := t.TempDir()
	svc, err := metaapi.Open(t.Context(), metaapi.Config{Dir: filepath.Join(dir, "meta"), Auth: auth.Config{Mode: auth.ModeDisabled}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, svc.Close()) })
	act := actuator.Config{Kind: actuator.KindFile, Path: filepath.Join(dir, "demand-routing.json")}
	_, err = svc.Registry.PutModel(t.Context(), registry.Model{Name: "demand", Actuator: act}, "test")
	require.NoError(t, err)
	_, err = svc.Registry.Register(t.Context(), registry.Version{Model: "demand", Version: "v11", ArtifactURI: "s3://m/v11",
		SHA256: strings.Repeat("a", 64), Stage: registry.StageProduction}, "test")
	require.NoError(t, err)
	c := serveMeta(t, svc)

	ms, err := c.Models(t.Context())
	require.NoError(t, err)
	require.Len(t, ms, 1)
	assert.Equal(t, "demand", ms[0].Name)
	assert.Equal(t, "v11", ms[0].Production)
	require.Len(t, ms[0].Versions, 1)

	bare := httptest.NewServer(http.NewServeMux())
	t.Cleanup(bare.Close)
	c, err = New(bare.URL)
	require.NoError(t, err)
	_, err = c.Models(t.Context())
	assert.ErrorIs(t, err, ErrNotConfigured, "a collector without the registry")
}

// serveMeta serves svc's routes (only) on 127.0.0.1 for the test and
// returns a client of them.
func serveMeta(t *testing.T, svc *metaapi.Service) *Client {
	t.Helper()
	mux := http.NewServeMux()
	route.Mount(mux, svc.Routes())
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	c, err := New(hs.URL)
	require.NoError(t, err)
	return c
}
