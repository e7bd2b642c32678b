package sshserve

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muesli/termenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
)

// TestMaxSessions holds the limit's worth of sessions open (each blocked
// in a command); the next one is told why it is refused, and a slot freed
// is usable again.
func TestMaxSessions(t *testing.T) {
	alice := newPerson(t, "alice", "viewer")
	release := make(chan struct{})
	started := make(chan struct{}, 3)
	srv, addr := startServer(t, Config{
		KeysFile: writeKeys(t, t.TempDir(), nil, alice), MaxSessions: 2,
		Exec: func(ctx context.Context, args []string, stdout, _ io.Writer, _, _ string) int {
			if args[0] == "block" {
				started <- struct{}{}
				select {
				case <-release:
				case <-ctx.Done():
				}
			}
			fmt.Fprint(stdout, "done")
			return 0
		},
	})
	c, err := dial(addr, alice)
	require.NoError(t, err)
	defer c.Close()
	held := make(chan error, 2)
	for range 2 {
		sess, err := c.NewSession()
		require.NoError(t, err)
		go func() { held <- sess.Run("block") }()
		<-started
	}
	assert.Equal(t, 2, srv.Active())

	sess, err := c.NewSession()
	require.NoError(t, err)
	out, err := sess.CombinedOutput("models list")
	var exit *gossh.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 1, exit.ExitStatus())
	assert.Contains(t, string(out), "the server is at its limit of 2 concurrent sessions")

	close(release)
	require.NoError(t, <-held)
	require.NoError(t, <-held)
	sess, err = c.NewSession()
	require.NoError(t, err)
	out, err = sess.Output("models list")
	require.NoError(t, err)
	assert.Equal(t, "done", string(out))
}

func TestHostKeyPersistsAcrossRestarts(t *testing.T) {
	alice := newPerson(t, "alice", "viewer")
	keys := writeKeys(t, t.TempDir(), nil, alice)
	path := filepath.Join(t.TempDir(), "ssh", "host_ed25519")

	hostKeyOf := func() gossh.PublicKey {
		pemBytes, _, err := LoadOrCreateHostKey(path)
		require.NoError(t, err)
		srv, addr := startServer(t, Config{KeysFile: keys, HostKey: pemBytes})
		var got gossh.PublicKey
		c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
			User: "alice", Auth: []gossh.AuthMethod{gossh.PublicKeys(alice.signer)},
			HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error { got = key; return nil },
		})
		require.NoError(t, err)
		c.Close()
		require.NoError(t, srv.Shutdown(context.Background()))
		return got
	}
	first := hostKeyOf()
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	assert.Equal(t, gossh.KeyAlgoED25519, first.Type())
	second := hostKeyOf()
	assert.Equal(t, first.Marshal(), second.Marshal(), "the host key changed across restarts")

	_, created, err := LoadOrCreateHostKey(path)
	require.NoError(t, err)
	assert.False(t, created)
	require.NoError(t, os.Chmod(path, 0o644))
	_, _, err = LoadOrCreateHostKey(path)
	require.ErrorContains(t, err, "lets others read it; chmod 600")
}

// TestReloadRemovesAKey: after keys.yaml loses bob and Reload, bob is
// refused and alice is not; a keys.yaml that does not parse keeps the
// keys in use.
func TestReloadRemovesAKey(t *testing.T) {
	alice, bob := newPerson(t, "alice", "viewer"), newPerson(t, "bob", "viewer")
	dir := t.TempDir()
	keys := writeKeys(t, dir, nil, alice, bob)
	srv, addr := startServer(t, Config{KeysFile: keys})
	c, err := dial(addr, bob)
	require.NoError(t, err)
	c.Close()

	writeKeys(t, dir, nil, alice)
	require.NoError(t, srv.Reload())
	_, err = dial(addr, bob)
	require.ErrorContains(t, err, "unable to authenticate")
	c, err = dial(addr, alice)
	require.NoError(t, err)
	c.Close()

	require.NoError(t, os.WriteFile(keys, []byte("users: [\n"), 0o600))
	require.Error(t, srv.Reload())
	c, err = dial(addr, alice)
	require.NoError(t, err, "a bad keys.yaml must not lock everyone out")
	c.Close()
}

func TestIdleConsoleIsClosed(t *testing.T) {
	url := startDemo(t)
	alice := newPerson(t, "alice", "viewer")
	_, addr := startServer(t, Config{KeysFile: writeKeys(t, t.TempDir(), nil, alice), Collector: url, IdleTimeout: 300 * time.Millisecond})
	c, err := dial(addr, alice)
	require.NoError(t, err)
	defer c.Close()
	con := openConsole(t, c, 80, 24)
	require.NoError(t, con.sess.Wait(), "the session should end by itself")
	assert.Contains(t, con.out.Text(), "mlectl: session closed after 300ms without input")
}

func TestLoadKeyringRefusesBadEntries(t *testing.T) {
	alice := newPerson(t, "alice", "viewer")
	key := alice.authorizedKey()
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"no users", "users: []\n", "no users"},
		{"a name the audit log cannot take", "users:\n  - {name: \"bob via root\", role: viewer, keys: [\"" + key + "\"]}\n", "users[0] (bob via root).name: the collector records it as who acted"},
		{"unknown field", "users:\n  - {name: a, role: viewer, keys: [\"" + key + "\"], colour: red}\n", "field colour not found"},
		{"bad role", "users:\n  - {name: a, role: root, keys: [\"" + key + "\"]}\n", `users[0] (a).role: "root" is not one of viewer, responder, admin`},
		{"ingest is no person", "users:\n  - {name: a, role: ingest, keys: [\"" + key + "\"]}\n", "is not one of viewer"},
		{"no keys", "users:\n  - {name: a, role: viewer}\n", "users[0] (a): no keys"},
		{"bad key", "users:\n  - {name: a, role: viewer, keys: [\"ssh-ed25519 nope\"]}\n", "users[0] (a).keys[0]: not an authorized_keys line"},
		{"responder without token", "users:\n  - {name: a, role: responder, keys: [\"" + key + "\"]}\n", "no collector token for role responder"},
		{"same key twice", "users:\n  - {name: a, role: viewer, keys: [\"" + key + "\"]}\n  - {name: b, role: viewer, keys: [\"" + key + "\"]}\n", "the key is also a's"},
		{"missing key file", "users:\n  - {name: a, role: viewer, key_file: nope.pub}\n", "users[0] (a).key_file:"},
		{"missing token file", "tokens: {admin: nope.token}\nusers:\n  - {name: a, role: viewer, keys: [\"" + key + "\"]}\n", "tokens.admin:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys.yaml")
			require.NoError(t, os.WriteFile(path, []byte(tc.yaml), 0o600))
			_, err := LoadKeyring(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLoadKeyringKeyFileAndTokens(t *testing.T) {
	alice, bob := newPerson(t, "alice", "admin"), newPerson(t, "bob", "viewer")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bob.pub"), []byte("# bob's laptop\n\n"+bob.authorizedKey()+"\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "admin.token"), []byte("adm\n"), 0o600))
	yaml := "tokens: {admin: admin.token}\nusers:\n  - {name: alice, role: admin, keys: [\"" + alice.authorizedKey() + "\"]}\n  - {name: bob, role: viewer, key_file: bob.pub}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys.yaml"), []byte(yaml), 0o600))
	k, err := LoadKeyring(filepath.Join(dir, "keys.yaml"))
	require.NoError(t, err)
	u, ok := k.Lookup(bob.signer.PublicKey())
	require.True(t, ok)
	assert.Equal(t, "bob viewer", u.Name+" "+u.Role.String())
	u, ok = k.Lookup(alice.signer.PublicKey())
	require.True(t, ok)
	assert.Equal(t, "adm", k.Token(u.Role))
	assert.Empty(t, k.Token(0))
}

func TestWantsASCII(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want bool
	}{
		{"TERM=xterm-256color", false},
		{"TERM=xterm-256color LANG=en_US.UTF-8", false},
		{"TERM=xterm LANG=C.utf8", false},
		{"TERM=xterm-256color LANG=C", true},
		{"TERM=xterm LC_ALL=POSIX LANG=en_US.UTF-8", true},
		{"TERM=dumb", true},
		{"TERM=", true},
	} {
		assert.Equal(t, tc.want, wantsASCII(sessionEnv(strings.Fields(tc.env))), tc.env)
	}
}

func TestSessionRendererProfile(t *testing.T) {
	for _, tc := range []struct {
		env       string
		want      termenv.Profile
		wantASCII bool
	}{
		{"TERM=xterm-256color", termenv.ANSI256, false},
		{"TERM=xterm-256color COLORTERM=truecolor", termenv.TrueColor, false},
		{"TERM=xterm-256color NO_COLOR=1", termenv.Ascii, false},
		{"TERM=xterm-256color LANG=C", termenv.Ascii, true},
		{"TERM=dumb", termenv.Ascii, true},
	} {
		r, ascii := sessionRenderer(io.Discard, sessionEnv(strings.Fields(tc.env)))
		assert.Equal(t, tc.want, r.ColorProfile(), tc.env)
		assert.Equal(t, tc.wantASCII, ascii, tc.env)
		assert.True(t, r.HasDarkBackground(), tc.env)
	}
}

func TestShutdownTellsConsoles(t *testing.T) {
	url := startDemo(t)
	alice := newPerson(t, "alice", "viewer")
	srv, addr := startServer(t, Config{KeysFile: writeKeys(t, t.TempDir(), nil, alice), Collector: url})
	c, err := dial(addr, alice)
	require.NoError(t, err)
	defer c.Close()
	con := openConsole(t, c, 80, 24)
	con.waitFor(t, "mlectl › Models")
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx))
	_ = con.sess.Wait()
	assert.Contains(t, con.out.Text(), "mlectl: the server is shutting down")
}

// TestAuthFailuresAreRateLimitedPerSource: after three unknown keys from
// 127.0.0.1 even a known key from there is refused.
func TestAuthFailuresAreRateLimitedPerSource(t *testing.T) {
	alice, mallory := newPerson(t, "alice", "viewer"), newPerson(t, "mallory", "viewer")
	_, addr := startServer(t, Config{KeysFile: writeKeys(t, t.TempDir(), nil, alice), AuthFailureBurst: 3})
	c, err := dial(addr, alice)
	require.NoError(t, err)
	c.Close()
	for range 3 {
		_, err := dial(addr, mallory)
		require.ErrorContains(t, err, "unable to authenticate")
	}
	_, err = dial(addr, alice)
	require.ErrorContains(t, err, "unable to authenticate", "a known key got in past the limit")
}
