//go:build e2e

package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
)

// sshKey writes an ed25519 key pair for OpenSSH's -i (private key 0600)
// and returns the private key's path and the authorized_keys line.
func sshKey(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := gossh.MarshalPrivateKey(priv, name)
	require.NoError(t, err)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(block), 0o600))
	sp, err := gossh.NewPublicKey(pub)
	require.NoError(t, err)
	return path, strings.TrimSpace(string(gossh.MarshalAuthorizedKey(sp))) + " " + name
}

// sshArgs are OpenSSH's options for a throwaway test server.
func sshArgs(port int, key string) []string {
	return []string{"-p", fmt.Sprint(port), "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"}
}

// TestSSHConsoleWithOpenSSH runs `mlectl serve --ssh` in front of the demo
// and the real OpenSSH client: a viewer's console in tmux shows the models
// and has no rollback, `ssh HOST alerts list` exits 0, and an unknown key
// is refused.
func TestSSHConsoleWithOpenSSH(t *testing.T) {
	for _, tool := range []string{"tmux", "ssh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (apt-get install tmux openssh-client): %v", tool, err)
		}
	}
	mlectl := binary(t, "mlectl")
	dir := t.TempDir()
	demoPort, sshPort := freePort(t), freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", demoPort)
	start(t, mlectl, "demo", "--headless", "--listen", fmt.Sprintf("127.0.0.1:%d", demoPort))
	waitHTTP(t, base+"/-/ready", 60*time.Second)

	vicKey, vicLine := sshKey(t, dir, "vic")
	strangerKey, _ := sshKey(t, dir, "stranger")
	keys := filepath.Join(dir, "keys.yaml")
	require.NoError(t, os.WriteFile(keys, []byte(fmt.Sprintf("users:\n  - {name: vic, role: viewer, keys: [%q]}\n", vicLine)), 0o600))
	start(t, mlectl, "serve", "--ssh", fmt.Sprintf("127.0.0.1:%d", sshPort), "--collector", base,
		"--keys", keys, "--host-key", filepath.Join(dir, "host_ed25519"))

	// Non-interactive: the command's output and exit status come back.
	var out []byte
	var err error
	require.Eventually(t, func() bool {
		out, err = exec.Command("ssh", append(sshArgs(sshPort, vicKey), "127.0.0.1", "models", "list")...).CombinedOutput()
		return err == nil
	}, 30*time.Second, 200*time.Millisecond, "ssh models list: %v: %s", err, out)
	assert.Contains(t, string(out), "demand")
	out, err = exec.Command("ssh", append(sshArgs(sshPort, vicKey), "127.0.0.1", "alerts", "list")...).CombinedOutput()
	require.NoError(t, err, "%s", out)

	// An unknown key never gets a session.
	out, err = exec.Command("ssh", append(sshArgs(sshPort, strangerKey), "127.0.0.1", "models", "list")...).CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v: %s", err, out)
	assert.Equal(t, 255, exit.ExitCode())
	assert.Contains(t, string(out), "Permission denied")

	// The console, in a real terminal through OpenSSH.
	m := tmux{t: t, session: fmt.Sprintf("mlectl-ssh-e2e-%d", sshPort)}
	m.run("new-session", "-d", "-s", m.session, "-x", "120", "-y", "36",
		"ssh -t "+strings.Join(sshArgs(sshPort, vicKey), " ")+" 127.0.0.1")
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", m.session).Run() })
	m.waitScreen(30*time.Second, "Models", "collector ready", "demand", "fraud", "ranker")
	m.keys("Enter")
	m.waitScreen(10*time.Second, "versions")
	m.keys("4")
	m.waitScreen(10*time.Second, "read-only console: rollback and promote are disabled")
	m.keys("q")
}
