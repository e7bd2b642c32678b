package gameday_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
)

// The console's client (package client) speaks this API: start, list, stop.
func TestConsoleClientSpeaksTheAPI(t *testing.T) {
	srv, _ := apiServer(t)
	ctx := context.Background()
	cl, err := client.New(srv.URL, client.WithToken("responder-token"))
	require.NoError(t, err)
	inj, err := cl.StartInjection(ctx, client.InjectionRequest{Model: "demand", Feature: "temp", Kind: "shift", Magnitude: 3, Duration: "5m"})
	require.NoError(t, err)
	assert.True(t, inj.Active)
	assert.Equal(t, "5m", inj.Duration)
	assert.Equal(t, 300.0, inj.EndsAt.Sub(inj.StartedAt).Seconds())
	list, err := cl.Injections(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, inj.ID, list[0].ID)
	stopped, err := cl.StopInjection(ctx, inj.ID)
	require.NoError(t, err)
	assert.False(t, stopped.Active)
	require.NotNil(t, stopped.StoppedAt)
	_, err = cl.StartInjection(ctx, client.InjectionRequest{Model: "demand", Feature: "temp", Kind: "melt", Magnitude: 3, Duration: "5m"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kind: ")
}
