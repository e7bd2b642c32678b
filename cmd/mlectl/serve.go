package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"syscall"
	"time"

	"github.com/mlectl/mlectl/sshserve"
)

const serveUsage = `usage: mlectl serve --ssh ADDR --keys keys.yaml [--collector URL] [--host-key PATH]
                    [--max-sessions 32] [--idle-timeout 30m]

Serves the console over SSH: "ssh -p PORT HOST" opens the console as the user
its key belongs to in keys.yaml, read-only for a viewer; "ssh -p PORT HOST
alerts list" runs that command with the role's collector token and exits with
its status. Keys not in keys.yaml are refused. SIGHUP reloads keys.yaml (new
sessions see it; a bad file keeps the keys in use). The host key (ed25519) is
generated on first start and kept, mode 0600, at --host-key.

  ssh -p 2222 127.0.0.1                  # the console, as the key's user
  ssh -p 2222 127.0.0.1 alerts list      # one command, with the key's role
  kill -HUP <pid>                        # reload keys.yaml
`

// sshCommands are the commands an SSH session may run: those that only
// talk to the collector. Commands that read or write the server's files or
// its stdin (baseline import, drift, shadow, slo, demo, serve) are not.
var sshCommands = []string{
	"alerts", "models", "versions", "rollback", "promote", "set-traffic",
	"timeline", "annotate", "audit", "runbook", "gameday", "logs",
}

// sshRefusedFlag matches the flags a session may not set: the collector and
// token are the server's (a session pointing --collector elsewhere would
// send the role's token there), and these name files on the server.
var sshRefusedFlag = regexp.MustCompile(`^--?(collector|token|file|report)(=.*)?$`)

func defaultHostKeyPath() string {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "ssh_host_ed25519"
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "mlectl", "ssh_host_ed25519")
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("ssh", "", "address to serve SSH on, e.g. 127.0.0.1:2222 (required)")
	def := os.Getenv("MLECTL_COLLECTOR")
	if def == "" {
		def = collectorDefaultURL
	}
	collectorURL := fs.String("collector", def, "collector base URL every session uses ($MLECTL_COLLECTOR sets the default)")
	keysFile := fs.String("keys", "", "keys.yaml: users, their roles and public keys, and a collector token per role (required)")
	hostKey := fs.String("host-key", defaultHostKeyPath(), "host key file, generated on first start")
	maxSessions := fs.Int("max-sessions", sshserve.DefaultMaxSessions, "concurrent sessions; more are refused with the reason")
	idle := fs.Duration("idle-timeout", sshserve.DefaultIdleTimeout, "close a console after this long without a key press")
	if err := describeFlags(fs, args); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelpShown
		}
		return usagef("%v", err)
	}
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected argument %q\n%s", fs.Arg(0), serveUsage)
	case *addr == "":
		return usagef("--ssh ADDR is required\n%s", serveUsage)
	case *keysFile == "":
		return usagef("--keys keys.yaml is required\n%s", serveUsage)
	case *maxSessions < 1:
		return usagef("--max-sessions must be at least 1, got %d", *maxSessions)
	case *idle < time.Second:
		return usagef("--idle-timeout must be at least 1s, got %s", *idle)
	}
	pemBytes, created, err := sshserve.LoadOrCreateHostKey(*hostKey)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if created {
		logger.Info("generated the ssh host key", "path", *hostKey)
	}
	srv, err := sshserve.New(sshserve.Config{
		Collector: *collectorURL, KeysFile: *keysFile, HostKey: pemBytes,
		MaxSessions: *maxSessions, IdleTimeout: *idle, Exec: runForSSH, Logger: logger,
	})
	if err != nil {
		return usagef("%v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("--ssh: %w", err)
	}
	fmt.Fprintf(stdout, "serving the console over ssh on %s (collector %s)\n", ln.Addr(), *collectorURL)
	return serveUntilDone(ctx, srv, ln, logger)
}

// serveUntilDone serves until ctx ends, reloading the keys on SIGHUP.
func serveUntilDone(ctx context.Context, srv *sshserve.Server, ln net.Listener, logger *slog.Logger) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	for {
		select {
		case err := <-done:
			return err
		case <-hup:
			if err := srv.Reload(); err != nil {
				logger.Error("keys not reloaded; the keys in use stay", "err", err)
			}
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := srv.Shutdown(sctx)
			cancel()
			<-done
			return err
		}
	}
}

// runForSSH runs one command line of an SSH session (sshserve.ExecFunc):
// the collector and token are the server's, set after the user's words.
func runForSSH(ctx context.Context, args []string, stdout, stderr io.Writer, collector, token string) int {
	if len(args) == 0 || !slices.Contains(sshCommands, args[0]) {
		fmt.Fprintf(stderr, "mlectl: %q cannot run over ssh; these can: %v (or open the console: ssh -t HOST)\n", args[0], sshCommands)
		return 2
	}
	for i, a := range args {
		if a == "--" || sshRefusedFlag.MatchString(a) {
			fmt.Fprintf(stderr, "mlectl: %s cannot be given over ssh: the server sets the collector and token, and reads no files of its own\n", a)
			return 2
		}
		if a == "-o" || a == "--o" {
			if args[0] == "timeline" { // -o FILE would write on the server
				fmt.Fprintln(stderr, "mlectl: timeline export -o cannot be given over ssh: redirect the output instead (ssh HOST timeline export ... > pm.md)")
				return 2
			}
		}
		if args[0] == "runbook" && i == 1 && a == "run" {
			fmt.Fprintln(stderr, "mlectl: runbook run asks for confirmations: run it in the console (ssh -t HOST, :runbooks)")
			return 2
		}
	}
	full := append(slices.Clone(args), "--collector", collector, "--token", token)
	return run(ctx, full, stdout, stderr)
}
