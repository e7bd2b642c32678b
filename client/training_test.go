package client

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/metaapi"
	"github.com/mlectl/mlectl/training"
)

// TestTrainingRunCalls adds and lists training runs through the real
// training-run log on a real badger directory, served on 127.0.0.1.
func TestTrainingRunCalls(t *testing.T) {
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	svc, err := metaapi.Open(t.Context(), metaapi.Config{Dir: filepath.Join(t.TempDir(), "meta"),
		Auth: auth.Config{Mode: auth.ModeDisabled}, Now: func() time.Time { return at },
		Models: []metaapi.ModelConfig{{Name: "fraud", Actuator: actuator.Config{Kind: actuator.KindFile, Path: "/tmp/routes.json"}}}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, svc.Close()) })
	store, err := training.Open(t.Context(), svc.DB, training.RegistryModels{Registry: svc.Registry}, func() time.Time { return at })
	require.NoError(t, err)
	mux := http.NewServeMux()
	route.Mount(mux, training.NewHandler(store, nil).Routes())
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	c, err := New(hs.URL)
	require.NoError(t, err)

	run := api.TrainingRun{Model: "fraud", Version: "v4", Status: api.TrainingSucceeded, Started: at.Add(-3 * time.Hour), Ended: at.Add(-time.Hour), Cost: 18.5}
	stored, err := c.AddTrainingRun(t.Context(), run)
	require.NoError(t, err)
	assert.NotEmpty(t, stored.ID)
	assert.Equal(t, at, stored.Recorded)

	run.Cost = -1
	_, err = c.AddTrainingRun(t.Context(), run)
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, "field cost")

	runs, err := c.TrainingRuns(t.Context(), TrainingRunFilter{Model: "fraud", From: at.Add(-4 * time.Hour), To: at})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, stored, runs[0])
}
