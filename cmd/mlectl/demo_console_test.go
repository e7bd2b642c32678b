package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/demo"
)

// A demo that cannot start ends the console with the demo's error.
func TestRunDemoConsoleStartFailureEndsConsole(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notDir, []byte("x"), 0o600))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	consoleEnded := make(chan struct{})
	err = runDemoConsole(t.Context(), l, demo.Options{DataDir: notDir, Logger: slog.New(slog.DiscardHandler)},
		func(ctx context.Context, _ string) error {
			<-ctx.Done()
			close(consoleEnded)
			return nil
		})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "demo")
	select {
	case <-consoleEnded:
	default:
		t.Fatal("the console was left running")
	}
}

// The console starts before the demo is up, its first request is answered
// once the collector serves, and quitting the console ends the demo.
func TestRunDemoConsoleServesTheConsole(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	quitErr := errors.New("operator quit")
	err = runDemoConsole(t.Context(), l, demo.Options{Backfill: 10 * time.Second, Logger: slog.New(slog.DiscardHandler)},
		func(ctx context.Context, url string) error {
			resp, err := http.Get(url + "/api/v1/models")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			return quitErr
		})
	require.ErrorIs(t, err, quitErr)
	_, err = net.DialTimeout("tcp", l.Addr().String(), time.Second)
	assert.Error(t, err, "the demo's collector stopped with the console")
}
