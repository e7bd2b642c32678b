package sshserve

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"github.com/mlectl/mlectl/internal/testutil"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/demo"
)

// person is a test user: a key pair and the keys.yaml entry for it.
type person struct {
	name, role string
	signer     gossh.Signer
}

func newPerson(t testing.TB, name, role string) person {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	s, err := gossh.NewSignerFromKey(priv)
	require.NoError(t, err)
	return person{name: name, role: role, signer: s}
}

func (p person) authorizedKey() string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(p.signer.PublicKey()))) + " " + p.name + "@test"
}

// writeKeys writes keys.yaml for people, with a token file per role, and
// returns its path.
func writeKeys(t testing.TB, dir string, tokens map[string]string, people ...person) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("tokens:\n")
	for role, tok := range tokens {
		require.NoError(t, os.WriteFile(filepath.Join(dir, role+".token"), []byte(tok+"\n"), 0o600))
		fmt.Fprintf(&b, "  %s: %s.token\n", role, role)
	}
	b.WriteString("users:\n")
	for _, p := range people {
		fmt.Fprintf(&b, "  - name: %s\n    role: %s\n    keys: [%q]\n", p.name, p.role, p.authorizedKey())
	}
	path := filepath.Join(dir, "keys.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

// startDemo runs the demo (collector, simulated models, a short history;
// auth off) until the test ends and returns its URL.
func startDemo(t testing.TB) string {
	t.Helper()
	d, err := demo.Start(context.Background(), demo.Options{Backfill: time.Minute, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return d.URL
}

// startServer runs a Server on 127.0.0.1 until the test ends.
func startServer(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	if cfg.HostKey == nil {
		pemBytes, _, err := LoadOrCreateHostKey(filepath.Join(t.TempDir(), "host_ed25519"))
		require.NoError(t, err)
		cfg.HostKey = pemBytes
	}
	if cfg.Collector == "" {
		cfg.Collector = "http://127.0.0.1:1"
	}
	s, err := New(cfg)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		require.NoError(t, <-done)
	})
	return s, ln.Addr().String()
}

func dial(addr string, p person) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User:            p.name,
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(p.signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}

// waitLimit bounds each wait for a session's output; it is a deadlock
// guard, not a speed requirement.
const waitLimit, pollEvery = 30 * time.Second, 20 * time.Millisecond

// console opens an interactive session of w×h on a pty.
type console struct {
	sess *gossh.Session
	in   io.WriteCloser
	out  *testutil.SyncBuffer
}

func openConsole(t *testing.T, c *gossh.Client, w, h int) *console {
	t.Helper()
	sess, err := c.NewSession()
	require.NoError(t, err)
	t.Cleanup(func() { sess.Close() })
	require.NoError(t, sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}))
	in, err := sess.StdinPipe()
	require.NoError(t, err)
	out := &testutil.SyncBuffer{}
	sess.Stdout, sess.Stderr = out, out
	require.NoError(t, sess.Shell())
	return &console{sess: sess, in: in, out: out}
}

// waitFor waits until the screen output contains want.
func (c *console) waitFor(t *testing.T, want string) {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Contains(c.out.Text(), want) },
		waitLimit, pollEvery, "never saw %q; output:\n%s", want, c.out.Text())
}

func TestUnknownKeyIsRefusedBeforeASession(t *testing.T) {
	alice, mallory := newPerson(t, "alice", "viewer"), newPerson(t, "mallory", "viewer")
	_, addr := startServer(t, Config{KeysFile: writeKeys(t, t.TempDir(), nil, alice)})
	_, err := dial(addr, mallory)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unable to authenticate")
	c, err := dial(addr, alice)
	require.NoError(t, err)
	c.Close()
}

// TestIdentityIsTheAuthenticatedKey offers an unknown key first and a known
// one second: the session is the known key's, whatever was offered before.
func TestIdentityIsTheAuthenticatedKey(t *testing.T) {
	alice, mallory := newPerson(t, "alice", "viewer"), newPerson(t, "mallory", "viewer")
	var seen []string
	_, addr := startServer(t, Config{
		KeysFile: writeKeys(t, t.TempDir(), nil, alice),
		Exec: func(_ context.Context, args []string, stdout, _ io.Writer, _, _ string) int {
			seen = append(seen, strings.Join(args, " "))
			fmt.Fprintln(stdout, "ran")
			return 0
		},
	})
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User:            "x",
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(mallory.signer, alice.signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
	})
	require.NoError(t, err)
	defer c.Close()
	sess, err := c.NewSession()
	require.NoError(t, err)
	out, err := sess.CombinedOutput("models list")
	require.NoError(t, err)
	assert.Equal(t, "ran\n", string(out))
	assert.Equal(t, []string{"models list"}, seen)
}

// TestExecGetsTheRoleToken runs a command per role: each runs with its
// role's collector token, acting for the key's owner, and its exit status
// comes back.
func TestExecGetsTheRoleToken(t *testing.T) {
	viewer, responder := newPerson(t, "vic", "viewer"), newPerson(t, "rita", "responder")
	keys := writeKeys(t, t.TempDir(), map[string]string{"viewer": "view-tok", "responder": "resp-tok"}, viewer, responder)
	_, addr := startServer(t, Config{
		KeysFile: keys, Collector: "http://127.0.0.1:9999",
		Exec: func(ctx context.Context, args []string, stdout, stderr io.Writer, collector, token string) int {
			fmt.Fprintf(stdout, "%s %s %s for %s", strings.Join(args, " "), collector, token, client.ActingForFrom(ctx))
			if args[0] == "fail" {
				return 3
			}
			return 0
		},
	})
	for _, tc := range []struct {
		who      person
		cmd      string
		wantOut  string
		wantCode int
	}{
		{viewer, "alerts list", "alerts list http://127.0.0.1:9999 view-tok for vic", 0},
		{responder, "rollback fraud --reason 'bad deploy'", "rollback fraud --reason bad deploy http://127.0.0.1:9999 resp-tok for rita", 0},
		{viewer, "fail now", "fail now http://127.0.0.1:9999 view-tok for vic", 3},
	} {
		t.Run(tc.who.name+" "+tc.cmd, func(t *testing.T) {
			c, err := dial(addr, tc.who)
			require.NoError(t, err)
			defer c.Close()
			sess, err := c.NewSession()
			require.NoError(t, err)
			out, err := sess.Output(tc.cmd)
			if tc.wantCode == 0 {
				require.NoError(t, err)
			} else {
				var exit *gossh.ExitError
				require.ErrorAs(t, err, &exit)
				assert.Equal(t, tc.wantCode, exit.ExitStatus())
			}
			assert.Equal(t, tc.wantOut, string(out))
		})
	}
}

func TestConsoleByRole(t *testing.T) {
	url := startDemo(t)
	viewer, responder := newPerson(t, "vic", "viewer"), newPerson(t, "rita", "responder")
	keys := writeKeys(t, t.TempDir(), map[string]string{"responder": "any (the demo has auth off)"}, viewer, responder)
	_, addr := startServer(t, Config{KeysFile: keys, Collector: url})
	for _, tc := range []struct {
		who          person
		wantReadOnly bool
	}{{viewer, true}, {responder, false}} {
		t.Run(tc.who.role, func(t *testing.T) {
			c, err := dial(addr, tc.who)
			require.NoError(t, err)
			defer c.Close()
			con := openConsole(t, c, 120, 40)
			con.waitFor(t, "mlectl › Models")
			con.waitFor(t, "3 of 3 models")
			_, err = con.in.Write([]byte("\r")) // open the first model's detail
			require.NoError(t, err)
			con.waitFor(t, "versions")         // the detail's tabs
			_, err = con.in.Write([]byte("4")) // the versions tab
			require.NoError(t, err)
			if tc.wantReadOnly {
				con.waitFor(t, "read-only console: rollback and promote are disabled")
				assert.NotContains(t, con.out.Text(), "r roll back production")
			} else {
				con.waitFor(t, "r roll back production")
				assert.NotContains(t, con.out.Text(), "read-only console")
			}
		})
	}
}

// TestConsoleCallsNameTheKeysOwner: every call of a responder's console
// carries the role's token and the key's name as the person it acts for;
// a viewer without a token names nobody (the collector would refuse it).
func TestConsoleCallsNameTheKeysOwner(t *testing.T) {
	type seen struct{ auth, actingFor string }
	var mu sync.Mutex
	calls := map[string][]seen{}
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls[r.Header.Get(api.HeaderActingFor)] = append(calls[r.Header.Get(api.HeaderActingFor)], seen{r.Header.Get("Authorization"), r.Header.Get(api.HeaderActingFor)})
		mu.Unlock()
		http.NotFound(w, r)
	}))
	defer collector.Close()
	viewer, responder := newPerson(t, "vic", "viewer"), newPerson(t, "oncall-rita", "responder")
	keys := writeKeys(t, t.TempDir(), map[string]string{"responder": "gw-tok"}, viewer, responder)
	_, addr := startServer(t, Config{KeysFile: keys, Collector: collector.URL})
	for _, who := range []person{responder, viewer} {
		c, err := dial(addr, who)
		require.NoError(t, err)
		con := openConsole(t, c, 100, 30)
		con.waitFor(t, "mlectl › Models")
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(calls[map[string]string{"viewer": "", "responder": who.name}[who.role]]) > 0
		}, waitLimit, pollEvery, "no call from %s's console", who.name)
		c.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range calls["oncall-rita"] {
		assert.Equal(t, seen{"Bearer gw-tok", "oncall-rita"}, s)
	}
	for _, s := range calls[""] {
		assert.Equal(t, seen{}, s, "the viewer's calls carry neither token nor name")
	}
	for name := range calls {
		assert.Contains(t, []string{"", "oncall-rita"}, name)
	}
}
