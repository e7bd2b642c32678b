package sshserve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/bubbletea"
	"github.com/muesli/termenv"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui"
)

// Defaults of Config.
const (
	DefaultMaxSessions = 32
	DefaultIdleTimeout = 30 * time.Minute
)

// ExecFunc runs one CLI command line (the words after the host on the ssh
// command line) against collector with token, and returns its exit status.
// cmd/mlectl provides it: this package does not know the commands.
type ExecFunc func(ctx context.Context, args []string, stdout, stderr io.Writer, collector, token string) int

// Config configures a Server.
type Config struct {
	// Collector is the base URL every session talks to.
	Collector string
	// KeysFile is keys.yaml (see LoadKeyring); Reload reads it again.
	KeysFile string
	// HostKey is the host key in PEM (see LoadOrCreateHostKey).
	HostKey []byte
	// MaxSessions bounds concurrent sessions (0: DefaultMaxSessions).
	MaxSessions int
	// IdleTimeout ends a console that got no key press for this long
	// (0: DefaultIdleTimeout).
	IdleTimeout time.Duration
	// Refresh is the console's refresh period (0: tui.DefaultRefresh).
	Refresh time.Duration
	// AuthFailureBurst is how many unknown keys one source address may
	// offer before all its keys are refused (0: DefaultAuthFailureBurst);
	// one more is allowed every AuthFailureRefill.
	AuthFailureBurst int
	// Exec runs non-interactive commands; nil refuses them.
	Exec   ExecFunc
	Logger *slog.Logger
}

// Server is the SSH server.
type Server struct {
	cfg       Config
	log       *slog.Logger
	ssh       *ssh.Server
	keys      atomic.Pointer[Keyring]
	authLimit *authLimiter
	active    atomic.Int64
	mu        sync.Mutex // guards closed and sessions.Add
	closed    bool
	sessions  sync.WaitGroup
	sessCtx   context.Context
	stop      context.CancelFunc
}

// ctxKeyUser carries the session's User from the identity middleware on.
type ctxKeyUser struct{}

// ctxKeyCloseReason carries why the server ended a console (idle), for
// the message printed after the console has left the alternate screen.
type ctxKeyCloseReason struct{}

// New checks cfg, loads the keys and builds the server; Serve runs it.
func New(cfg Config) (*Server, error) {
	if _, err := client.New(cfg.Collector); err != nil {
		return nil, fmt.Errorf("collector: %w", err)
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AuthFailureBurst <= 0 {
		cfg.AuthFailureBurst = DefaultAuthFailureBurst
	}
	s := &Server{cfg: cfg, log: cfg.Logger, authLimit: newAuthLimiter(cfg.AuthFailureBurst)}
	s.sessCtx, s.stop = context.WithCancel(context.Background())
	if err := s.Reload(); err != nil {
		return nil, err
	}
	srv, err := wish.NewServer(
		wish.WithHostKeyPEM(cfg.HostKey),
		wish.WithPublicKeyAuth(func(ctx ssh.Context, key ssh.PublicKey) bool {
			// Runs for every key the client offers: it only says whether
			// the key may log in. Who the session is comes from the key it
			// authenticated with (see identify).
			src := sourceOf(ctx.RemoteAddr())
			if s.authLimit.blocked(src) {
				return false
			}
			_, ok := s.keys.Load().Lookup(key)
			if !ok {
				s.authLimit.failed(src)
			}
			return ok
		}),
		wish.WithMiddleware(
			bubbletea.MiddlewareWithProgramHandler(s.console, termenv.ANSI256),
			s.dispatch, // commands run here; consoles go on to bubbletea
			s.limit,    // max sessions
			s.identify, // outermost: who, from the authenticated key
		),
	)
	if err != nil {
		return nil, fmt.Errorf("ssh server: %w", err)
	}
	s.ssh = srv
	return s, nil
}

// Reload reads KeysFile again; on error the keys in use stay. Sessions
// already open keep running; new ones see the new keys.
func (s *Server) Reload() error {
	k, err := LoadKeyring(s.cfg.KeysFile)
	if err != nil {
		return err
	}
	s.keys.Store(k)
	s.log.Info("ssh keys loaded", "file", s.cfg.KeysFile, "keys", k.Len())
	return nil
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.ssh.Serve(ln)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Active is the number of sessions open now.
func (s *Server) Active() int { return int(s.active.Load()) }

// Shutdown stops accepting connections, closes the open consoles (telling
// their users why), lets running commands finish, and waits for them all
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stop()
	done := make(chan struct{})
	go func() { s.sessions.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("ssh sessions still running at shutdown: %w", ctx.Err())
	}
	// Close, not the ssh package's Shutdown: that waits for the clients to
	// hang up, and a client may keep its connection open for more sessions.
	return errors.Join(err, s.ssh.Close())
}

// identify refuses a session whose authenticated key is not (or no
// longer, after a reload) in keys.yaml, and records its user.
func (s *Server) identify(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		u, ok := s.keys.Load().Lookup(sess.PublicKey())
		if !ok {
			wish.Fatalln(sess, "mlectl: this key is not in the server's keys file")
			return
		}
		sess.Context().SetValue(ctxKeyUser{}, u)
		s.log.Info("ssh session", "user", u.Name, "role", u.Role.String(), "remote", sess.RemoteAddr().String(), "command", strings.Join(sess.Command(), " "))
		next(sess)
	}
}

func (s *Server) limit(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			wish.Fatalln(sess, "mlectl: the server is shutting down; reconnect in a moment")
			return
		}
		s.sessions.Add(1)
		s.mu.Unlock()
		defer s.sessions.Done()
		if n := s.active.Add(1); n > int64(s.cfg.MaxSessions) {
			s.active.Add(-1)
			wish.Fatalf(sess, "mlectl: the server is at its limit of %d concurrent sessions; try again later\r\n", s.cfg.MaxSessions)
			return
		}
		defer s.active.Add(-1)
		next(sess)
	}
}

func userOf(sess ssh.Session) User {
	u, _ := sess.Context().Value(ctxKeyUser{}).(User)
	return u
}

// dispatch runs a session's command, if it has one; a session without a
// command needs a terminal for the console.
func (s *Server) dispatch(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		u := userOf(sess)
		if args := sess.Command(); len(args) > 0 {
			if s.cfg.Exec == nil {
				wish.Fatalln(sess, "mlectl: this server runs the console only")
				return
			}
			ctx, cancel := context.WithCancel(sess.Context())
			defer cancel()
			token := s.keys.Load().Token(u.Role)
			if token != "" {
				// The command's calls name the key's owner (the token must
				// be delegating; see package auth).
				ctx = client.ContextWithActingFor(ctx, u.Name)
			}
			code := s.cfg.Exec(ctx, args, sess, sess.Stderr(), s.cfg.Collector, token)
			_ = sess.Exit(code)
			return
		}
		if _, _, ok := sess.Pty(); !ok {
			wish.Fatalln(sess, "mlectl: the console needs a terminal (ssh -t), or give a command: ssh HOST alerts list")
			return
		}
		next(sess)
		if reason, ok := sess.Context().Value(ctxKeyCloseReason{}).(string); ok {
			wish.Println(sess, "mlectl: "+reason)
		} else if s.sessCtx.Err() != nil {
			wish.Println(sess, "mlectl: the server is shutting down; reconnect in a moment")
		}
		_ = sess.Exit(0)
	}
}

// console builds the session's own program: its renderer, its collector
// client with the role's token, read-only for viewers.
func (s *Server) console(sess ssh.Session) *tea.Program {
	u := userOf(sess)
	c, err := client.New(s.cfg.Collector, s.clientOptions(u)...)
	if err != nil {
		wish.Fatalln(sess, "mlectl: "+err.Error())
		return nil
	}
	pty, _, _ := sess.Pty()
	r, ascii := sessionRenderer(sess, sessionEnv(append(sess.Environ(), "TERM="+pty.Term)))
	m := tui.New(sess.Context(), tui.Config{
		API: c, Renderer: r, Refresh: s.cfg.Refresh, ASCII: ascii,
		ReadOnly: u.Role < auth.RoleResponder, RemoteSession: true,
		Width: pty.Window.Width, Height: pty.Window.Height,
	})
	idle := newIdleWatch(s.cfg.IdleTimeout)
	opts := append([]tea.ProgramOption{
		tea.WithAltScreen(), tea.WithFPS(tui.MaxFPS), tea.WithContext(s.sessCtx),
		tea.WithFilter(idle.filter),
	}, bubbletea.MakeOptions(sess)...)
	p := tea.NewProgram(m, opts...)
	go idle.watch(sess.Context(), func() {
		sess.Context().SetValue(ctxKeyCloseReason{}, fmt.Sprintf("session closed after %s without input", s.cfg.IdleTimeout))
		p.Quit()
	})
	return p
}

// clientOptions are the collector client options of u's session: the
// role's token, and u's name as the person the token acts for, so the
// audit log, events and timeline say "NAME via TOKEN" (the collector
// accepts the name only from a token with delegate: true). A session
// without a token (a viewer reading anonymously) names nobody: the
// collector refuses a name without a delegating token.
func (s *Server) clientOptions(u User) []client.Option {
	token := s.keys.Load().Token(u.Role)
	if token == "" {
		return nil
	}
	return []client.Option{client.WithToken(token), client.WithActingFor(u.Name)}
}

// sessionRenderer is a session's own lipgloss renderer, its colour profile
// from the session's environment (TERM, COLORTERM, NO_COLOR), and whether
// the session draws in 7-bit characters.
func sessionRenderer(w io.Writer, env sessionEnv) (r *lipgloss.Renderer, ascii bool) {
	ascii = wantsASCII(env)
	r = lipgloss.NewRenderer(w, termenv.WithEnvironment(env), termenv.WithUnsafe(), termenv.WithColorCache(true))
	// Never ask the terminal for its background colour: a client that does
	// not answer would stall the first frame. Assume dark, as most are.
	r.SetHasDarkBackground(true)
	if ascii || env.Getenv("NO_COLOR") != "" {
		r.SetColorProfile(termenv.Ascii)
	}
	return r, ascii
}

// sessionEnv is a session's environment for termenv.
type sessionEnv []string

func (e sessionEnv) Environ() []string { return e }

// Getenv returns the last value of k (TERM from the pty request wins).
func (e sessionEnv) Getenv(k string) string {
	v := ""
	for _, kv := range e {
		if rest, ok := strings.CutPrefix(kv, k+"="); ok {
			v = rest
		}
	}
	return v
}

// wantsASCII reports whether the client's terminal asks for 7-bit output:
// no or a dumb TERM, or a locale that is not UTF-8 (LC_ALL, then LC_CTYPE,
// then LANG, the first one set). OpenSSH forwards LANG only where the
// client's SendEnv and the server accept it; without it, UTF-8 is assumed.
func wantsASCII(env sessionEnv) bool {
	switch env.Getenv("TERM") {
	case "", "dumb":
		return true
	}
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := env.Getenv(k); v != "" {
			v = strings.ToLower(v)
			return !strings.Contains(v, "utf-8") && !strings.Contains(v, "utf8")
		}
	}
	return false
}
