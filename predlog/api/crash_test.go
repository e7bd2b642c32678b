package api

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/store"
)

const crashEnv = "PREDLOG_CRASH_CHILD_DIR"

// TestCrashChildServer is the child process of TestKill9KeepsAcknowledged:
// it serves ingest on a real badger log until it is killed.
func TestCrashChildServer(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("child process of TestKill9KeepsAcknowledged")
	}
	lg, err := store.Open(filepath.Join(dir, "predlog"), store.Options{})
	require.NoError(t, err)
	h, err := New(context.Background(), Config{Log: lg})
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "addr.tmp"), []byte(l.Addr().String()), 0o644))
	require.NoError(t, os.Rename(filepath.Join(dir, "addr.tmp"), filepath.Join(dir, "addr")))
	_ = http.Serve(l, h)
}

// TestKill9KeepsAcknowledged kills the collector process with SIGKILL right
// after it acknowledged batches and checks that every acknowledged record
// is in the log when it is opened again.
func TestKill9KeepsAcknowledged(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChildServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	require.NoError(t, cmd.Start())
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	var addr []byte
	require.Eventually(t, func() bool {
		var err error
		addr, err = os.ReadFile(filepath.Join(dir, "addr"))
		return err == nil
	}, 30*time.Second, 20*time.Millisecond)

	acked := 0
	for b := range 20 {
		var sb strings.Builder
		for i := range 50 {
			fmt.Fprintf(&sb, `{"model":"fraud","version":"v7","request_id":"k-%d-%d","ts":%d,"features":{"amount":%d.25}}`+"\n", b, i, 1795687200000+b*100+i, i)
		}
		resp, err := http.Post("http://"+string(addr)+"/api/v1/predictions", "application/x-ndjson", strings.NewReader(sb.String()))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		acked += 50
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	killed = true

	lg, err := store.Open(filepath.Join(dir, "predlog"), store.Options{})
	require.NoError(t, err)
	defer lg.Close()
	ids := map[string]bool{}
	require.NoError(t, lg.Scan(context.Background(), store.Query{Model: "fraud"}, func(r *predlog.Record) error {
		ids[r.RequestID] = true
		return nil
	}))
	assert.Len(t, ids, acked)
}
