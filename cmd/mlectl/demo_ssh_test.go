package main

import (
	"context"
	"github.com/mlectl/mlectl/internal/testutil"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
)

// TestDemoServesTheConsoleOverSSH runs `mlectl demo --headless --ssh`: it
// prints the generated private key and the ssh command; that key runs
// commands as demo-oncall, and what it does is recorded as "demo-oncall
// via ssh-gateway" in the exported timeline and the audit log. The key
// directory is gone when the demo ends.
func TestDemoServesTheConsoleOverSSH(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out, errs := &testutil.SyncBuffer{}, &testutil.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runDemo(ctx, []string{"--headless", "--listen", "127.0.0.1:0", "--ssh", "127.0.0.1:0", "--incident-after", "1h"}, out, errs)
	}()
	printed := regexp.MustCompile(`console over ssh on (\S+) as demo-oncall \(responder\); demo private key (\S+)\n  ssh -t -p \d+ -i (\S+) `)
	var m []string
	require.Eventually(t, func() bool {
		m = printed.FindStringSubmatch(out.String())
		return m != nil
	}, 60*time.Second, 20*time.Millisecond, "no ssh line; stdout:\n%s\nstderr:\n%s", out, errs)
	addr, keyPath := m[1], m[2]
	assert.Equal(t, keyPath, m[3], "the command uses the printed key")
	st, err := os.Stat(keyPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	raw, err := os.ReadFile(keyPath)
	require.NoError(t, err)
	signer, err := gossh.ParsePrivateKey(raw)
	require.NoError(t, err)
	who := sshUser{name: "demo-oncall", role: "responder", signer: signer}

	code, stdout, stderr, err := sshRun(t, addr, who, "models list")
	require.NoError(t, err)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "demand")
	code, _, stderr, err = sshRun(t, addr, who, "annotate demand 'checking the feature pipeline'")
	require.NoError(t, err)
	require.Equal(t, 0, code, stderr)
	code, stdout, stderr, err = sshRun(t, addr, who, "timeline export --model demand --from -1h --format md")
	require.NoError(t, err)
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `checking the feature pipeline.*demo-oncall via ssh-gateway|demo-oncall via ssh-gateway.*checking the feature pipeline`, stdout)
	code, stdout, stderr, err = sshRun(t, addr, who, "audit list")
	require.NoError(t, err)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "demo-oncall via ssh-gateway")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(60 * time.Second):
		t.Fatal("the demo did not stop within 60s of cancel")
	}
	_, err = os.Stat(keyPath)
	assert.True(t, os.IsNotExist(err), "the demo key is removed at exit: %v", err)
}
