package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"

	"github.com/mlectl/mlectl/sshserve"
)

type sshUser struct {
	name, role string
	signer     gossh.Signer
}

func newSSHUser(t *testing.T, name, role string) sshUser {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	s, err := gossh.NewSignerFromKey(priv)
	require.NoError(t, err)
	return sshUser{name: name, role: role, signer: s}
}

// The delegating tokens of the SSH gateway (newAlertsEnv knows them).
const (
	cliGatewayViewer    = "cli-gateway-viewer-token"
	cliGatewayResponder = "cli-gateway-responder-token"
)

// writeSSHKeys writes keys.yaml with the gateway's delegating viewer and
// responder tokens.
func writeSSHKeys(t *testing.T, dir string, users ...sshUser) string {
	t.Helper()
	return writeSSHKeysWith(t, dir, cliGatewayViewer, cliGatewayResponder, users...)
}

func writeSSHKeysWith(t *testing.T, dir, viewerToken, responderToken string, users ...sshUser) string {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "viewer.token"), []byte(viewerToken), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "responder.token"), []byte(responderToken), 0o600))
	var b strings.Builder
	b.WriteString("tokens: {viewer: viewer.token, responder: responder.token}\nusers:\n")
	for _, u := range users {
		key := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(u.signer.PublicKey())))
		fmt.Fprintf(&b, "  - {name: %s, role: %s, keys: [%q]}\n", u.name, u.role, key)
	}
	path := filepath.Join(dir, "keys.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

// startServe runs serveUntilDone (the body of mlectl serve after its
// flags) on 127.0.0.1 until the test ends.
func startServe(t *testing.T, collector, keys string) string {
	t.Helper()
	pemBytes, _, err := sshserve.LoadOrCreateHostKey(filepath.Join(t.TempDir(), "host"))
	require.NoError(t, err)
	srv, err := sshserve.New(sshserve.Config{Collector: collector, KeysFile: keys, HostKey: pemBytes, Exec: runForSSH})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, srv, ln, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return ln.Addr().String()
}

// sshRun runs cmd over SSH as u and returns its exit status and output.
func sshRun(t *testing.T, addr string, u sshUser, cmd string) (int, string, string, error) {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: u.name, Auth: []gossh.AuthMethod{gossh.PublicKeys(u.signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
	if err != nil {
		return -1, "", "", err
	}
	defer c.Close()
	sess, err := c.NewSession()
	require.NoError(t, err)
	var out, errs strings.Builder
	sess.Stdout, sess.Stderr = &out, &errs
	err = sess.Run(cmd)
	var exit *gossh.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errs.String(), nil
	case errors.As(err, &exit):
		return exit.ExitStatus(), out.String(), errs.String(), nil
	}
	return -1, out.String(), errs.String(), err
}

// TestServeRunsCommandsWithTheKeysRole runs CLI commands over a real SSH
// connection against a real alerting API that checks tokens: the viewer
// lists the firing alert (exit 0) but the collector refuses its ack (the
// server holds a viewer token for it), the responder acks; flags that would
// point the role's token elsewhere or touch the server's files are bad
// input.
func TestServeRunsCommandsWithTheKeysRole(t *testing.T) {
	url, _ := newAlertsEnv(t)
	vic, rita := newSSHUser(t, "vic", "viewer"), newSSHUser(t, "rita", "responder")
	addr := startServe(t, url, writeSSHKeys(t, t.TempDir(), vic, rita))

	code, out, errs, err := sshRun(t, addr, vic, "alerts list --json")
	require.NoError(t, err)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "FeatureDrift")
	id := alertID(t, out)

	for _, tc := range []struct {
		name     string
		who      sshUser
		cmd      string
		wantCode int
		wantErr  string
	}{
		{"viewer cannot ack", vic, "alerts ack " + id, 1, "forbidden (403)"},
		{"no other collector", vic, "alerts list --collector http://127.0.0.1:1", 2, "--collector cannot be given over ssh"},
		{"no other token", rita, "alerts list --token=x", 2, "--token=x cannot be given over ssh"},
		{"no server files", rita, "timeline export --from -1h -o /tmp/pm.md", 2, "redirect the output instead"},
		{"no drift", vic, "drift --reference /etc/passwd --current /etc/passwd", 2, `"drift" cannot run over ssh`},
		{"no serve", vic, "serve --ssh :2223", 2, `"serve" cannot run over ssh`},
		{"responder acks", rita, "alerts ack " + id + " --comment 'on it'", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs, err := sshRun(t, addr, tc.who, tc.cmd)
			require.NoError(t, err)
			assert.Equal(t, tc.wantCode, code, errs)
			assert.Contains(t, errs, tc.wantErr)
		})
	}
	// The ack names the key's owner, through the gateway's token.
	code, out, errs, err = sshRun(t, addr, vic, "alerts list --json")
	require.NoError(t, err)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `"by": "rita via ssh-gateway"`)
}

// TestServeWithAnOrdinaryTokenIsRefused: keys.yaml holding a token that is
// not delegating gets every call refused by the collector (403 naming
// delegate: true), rather than actions recorded under the token's name.
func TestServeWithAnOrdinaryTokenIsRefused(t *testing.T) {
	url, _ := newAlertsEnv(t)
	rita := newSSHUser(t, "rita", "responder")
	addr := startServe(t, url, writeSSHKeysWith(t, t.TempDir(), cliViewer, cliResponder, rita))
	code, _, errs, err := sshRun(t, addr, rita, "alerts list")
	require.NoError(t, err)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "forbidden (403)")
	assert.Contains(t, errs, "delegate: true")
}

// alertID is the id of the first alert of `alerts list --json`.
func alertID(t *testing.T, listJSON string) string {
	t.Helper()
	i := strings.Index(listJSON, `"id": "`)
	require.GreaterOrEqual(t, i, 0, listJSON)
	rest := listJSON[i+len(`"id": "`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// TestServeReloadsKeysOnSIGHUP removes bob from keys.yaml and sends the
// process SIGHUP: bob is refused, alice still gets in.
func TestServeReloadsKeysOnSIGHUP(t *testing.T) {
	url, _ := newAlertsEnv(t)
	alice, bob := newSSHUser(t, "alice", "viewer"), newSSHUser(t, "bob", "viewer")
	dir := t.TempDir()
	addr := startServe(t, url, writeSSHKeys(t, dir, alice, bob))
	code, _, _, err := sshRun(t, addr, bob, "alerts list")
	require.NoError(t, err)
	require.Equal(t, 0, code)

	writeSSHKeys(t, dir, alice)
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	require.Eventually(t, func() bool {
		_, _, _, err := sshRun(t, addr, bob, "alerts list")
		return err != nil && strings.Contains(err.Error(), "unable to authenticate")
	}, 10*time.Second, 20*time.Millisecond, "bob kept access after the reload")
	code, _, _, err = sshRun(t, addr, alice, "alerts list")
	require.NoError(t, err)
	assert.Equal(t, 0, code)
}

func TestServeFlags(t *testing.T) {
	keys := writeSSHKeys(t, t.TempDir(), newSSHUser(t, "a", "viewer"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--keys", keys}, "--ssh ADDR is required"},
		{[]string{"serve", "--ssh", "127.0.0.1:0"}, "--keys keys.yaml is required"},
		{[]string{"serve", "--ssh", "127.0.0.1:0", "--keys", keys, "--max-sessions", "0"}, "--max-sessions must be at least 1"},
		{[]string{"serve", "--ssh", "127.0.0.1:0", "--keys", filepath.Join(t.TempDir(), "none.yaml"), "--host-key", filepath.Join(t.TempDir(), "h")}, "keys file"},
		{[]string{"serve", "--ssh", "127.0.0.1:0", "--keys", keys, "--collector", "ftp://x", "--host-key", filepath.Join(t.TempDir(), "h")}, "collector"},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			var stderr strings.Builder
			code := run(context.Background(), tc.args, io.Discard, &stderr)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr.String(), tc.want)
		})
	}
}
