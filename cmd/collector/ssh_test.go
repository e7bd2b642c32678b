package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"github.com/mlectl/mlectl/internal/testutil"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
)

// TestRunServesTheSSHConsole: with an `ssh:` block one collector process
// also serves the console over SSH: a key from keys.yaml opens it (talking
// to this collector), the host key is generated beside the configuration
// with 0600, and a command is refused with where to run it.
func TestRunServesTheSSHConsole(t *testing.T) {
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := gossh.NewSignerFromKey(priv)
	require.NoError(t, err)
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey())))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gw.token"), []byte("gw-secret\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys.yaml"), []byte(fmt.Sprintf(
		"tokens: {responder: gw.token}\nusers:\n  - {name: oncall-rita, role: responder, keys: [%q]}\n", line)), 0o600))
	cfg := filepath.Join(dir, "collector.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`tokens:
  - {name: ssh-gateway, token_file: gw.token, role: responder, delegate: true}
ssh:
  listen: 127.0.0.1:0
  keys: keys.yaml
  idle_timeout: 10m
`), 0o600))
	_, cancel, done, logs := startRun(t, "--data-dir", filepath.Join(dir, "data"), "--config", cfg)

	addrRe := regexp.MustCompile(`msg="serving the console over ssh" addr=(\S+)`)
	var addr string
	require.Eventually(t, func() bool {
		m := addrRe.FindStringSubmatch(logs.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	}, 20*time.Second, 10*time.Millisecond, "no ssh listener in the log: %s", logs)
	st, err := os.Stat(filepath.Join(dir, "ssh_host_ed25519"))
	require.NoError(t, err, "the host key is generated beside the configuration")
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: "rita", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
	require.NoError(t, err)
	defer c.Close()

	cmd, err := c.NewSession()
	require.NoError(t, err)
	out, err := cmd.CombinedOutput("alerts list")
	require.Error(t, err)
	assert.Contains(t, string(out), "this server runs the console only")

	sess, err := c.NewSession()
	require.NoError(t, err)
	defer sess.Close()
	require.NoError(t, sess.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}))
	stdin, err := sess.StdinPipe()
	require.NoError(t, err)
	screen := &testutil.SyncBuffer{}
	sess.Stdout, sess.Stderr = screen, screen
	require.NoError(t, sess.Shell())
	require.Eventually(t, func() bool {
		s := screen.Text()
		return strings.Contains(s, "mlectl › Models") && strings.Contains(s, "0 of 0 models")
	}, 30*time.Second, 20*time.Millisecond, "the console never showed this collector's (empty) registry:\n%s", screen)
	_, _ = io.WriteString(stdin, "q")
	require.NoError(t, sess.Wait())

	cancel()
	assert.Equal(t, 0, <-done, logs.String())
}

func TestRunRefusesABadSSHBlock(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ block, want string }{
		{"ssh: {keys: keys.yaml}\n", "ssh.listen is required"},
		{"ssh: {listen: 127.0.0.1:0}\n", "ssh.keys is required"},
		{"ssh: {listen: 127.0.0.1:0, keys: k.yaml, idle_timeout: 10ms}\n", "ssh.idle_timeout must be at least 1s"},
		{"ssh: {listen: 127.0.0.1:0, keys: k.yaml, port: 22}\n", "field port not found"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			cfg := filepath.Join(dir, "c.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(tc.block), 0o600))
			var stderr bytes.Buffer
			code := run(context.Background(), []string{"--data-dir", t.TempDir(), "--config", cfg}, io.Discard, &stderr, nil)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr.String(), tc.want)
		})
	}
}
