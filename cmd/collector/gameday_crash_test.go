package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const crashChildEnv = "COLLECTOR_CRASH_CHILD_DIR"

// TestCollectorCrashChild is the collector process TestInjectionSurvivesKill9
// kills: the real run on a data directory, its address written to a file.
func TestCollectorCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("child process of TestInjectionSurvivesKill9")
	}
	if os.Getenv(benchRuntimeEnv) != "" {
		serveBenchRuntime(dir)
	}
	ready := make(chan net.Addr, 1)
	go func() {
		addr := <-ready
		_ = os.WriteFile(filepath.Join(dir, "addr.tmp"), []byte(addr.String()), 0o644)
		_ = os.Rename(filepath.Join(dir, "addr.tmp"), filepath.Join(dir, "addr"))
	}()
	run(context.Background(), []string{"--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"),
		"--config", filepath.Join(dir, "collector.yaml")}, io.Discard, io.Discard, ready)
}

func startCrashChild(t testing.TB, dir string) (*exec.Cmd, string) {
	t.Helper()
	_ = os.Remove(filepath.Join(dir, "addr"))
	cmd := exec.Command(os.Args[0], "-test.run=^TestCollectorCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var addr []byte
	require.Eventually(t, func() bool {
		var err error
		addr, err = os.ReadFile(filepath.Join(dir, "addr"))
		return err == nil
	}, 60*time.Second, 20*time.Millisecond, "the collector child never listened")
	base := "http://" + string(addr)
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 60*time.Second, 20*time.Millisecond)
	return cmd, base
}

// An acknowledged injection survives kill -9 of the collector: after the
// restart it is listed as active with the same id and end, and it still
// rewrites the records that arrive.
func TestInjectionSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "collector.yaml"), []byte("tokens:\n  - {name: rita, token: resp-token, role: responder}\n"), 0o600))
	cmd, base := startCrashChild(t, dir)
	line := func(id, temp string) string {
		return `{"model":"demand","version":"v1","request_id":"` + id + `","features":{"temp":` + temp + `},"prediction":1}` + "\n"
	}
	code, msg := doReq(t, http.MethodPost, base+"/api/v1/predictions", "", line("a", "0.25"))
	require.Equal(t, http.StatusOK, code, msg)
	code, msg = doReq(t, http.MethodPost, base+"/api/v1/gameday/injections", "resp-token", `{"model":"demand","feature":"temp","kind":"scale","magnitude":2,"duration":"30m"}`)
	require.Equal(t, http.StatusCreated, code, msg)
	var created struct {
		Data struct {
			ID     string    `json:"id"`
			EndsAt time.Time `json:"ends_at"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(msg), &created))

	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	_, base = startCrashChild(t, dir)
	code, msg = doReq(t, http.MethodGet, base+"/api/v1/gameday/injections", "resp-token", "")
	require.Equal(t, http.StatusOK, code, msg)
	var list struct {
		Data []struct {
			ID     string    `json:"id"`
			Active bool      `json:"active"`
			EndsAt time.Time `json:"ends_at"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(msg), &list))
	require.Len(t, list.Data, 1, msg)
	assert.Equal(t, created.Data.ID, list.Data[0].ID)
	assert.True(t, list.Data[0].Active)
	assert.True(t, created.Data.EndsAt.Equal(list.Data[0].EndsAt))

	code, msg = doReq(t, http.MethodPost, base+"/api/v1/predictions", "", line("b", "0.25"))
	require.Equal(t, http.StatusOK, code, msg)
	code, msg = doReq(t, http.MethodGet, base+"/api/v1/predictions/export?model=demand&injected=only", "", "")
	require.Equal(t, http.StatusOK, code, msg)
	assert.Contains(t, msg, `"request_id":"b"`)
	assert.Contains(t, msg, `"temp":0.5`)
	assert.NotContains(t, msg, `"request_id":"a"`)
}
