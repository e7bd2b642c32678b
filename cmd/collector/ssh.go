package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/sshserve"
)

// sshShutdownGrace is how long a stopping collector waits for the SSH
// sessions' in-flight actions before it stops serving HTTP.
const sshShutdownGrace = 10 * time.Second

// startSSH serves the console over SSH as the `ssh:` block says, every
// session talking to this collector at httpAddr. It returns stop, which
// tells the connected users, waits for their in-flight actions and closes
// the listener; call it before the HTTP server stops. Commands (`ssh HOST
// alerts list`) need `mlectl serve --ssh`: this process serves the
// console only.
func startSSH(cfg *collector.SSHConfig, baseDir string, httpAddr net.Addr, logger *slog.Logger) (stop func() error, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hostKey := cfg.HostKey
	if hostKey == "" {
		hostKey = collector.DefaultSSHHostKey
	}
	pemBytes, created, err := sshserve.LoadOrCreateHostKey(resolvePath(baseDir, hostKey))
	if err != nil {
		return nil, fmt.Errorf("ssh.host_key: %w", err)
	}
	if created {
		logger.Info("generated the ssh host key", "path", resolvePath(baseDir, hostKey))
	}
	srv, err := sshserve.New(sshserve.Config{
		Collector: "http://" + loopbackFor(httpAddr), KeysFile: resolvePath(baseDir, cfg.Keys), HostKey: pemBytes,
		MaxSessions: cfg.MaxSessions, IdleTimeout: time.Duration(cfg.IdleTimeout), Logger: logger,
	})
	if err != nil {
		return nil, fmt.Errorf("ssh: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("ssh.listen: %w", err)
	}
	logger.Info("serving the console over ssh", "addr", ln.Addr().String(), "keys", resolvePath(baseDir, cfg.Keys))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	quit := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				if err := srv.Reload(); err != nil {
					logger.Error("ssh keys not reloaded; the keys in use stay", "err", err)
				}
			case <-quit:
				return
			}
		}
	}()
	return func() error {
		signal.Stop(hup)
		close(quit)
		ctx, cancel := context.WithTimeout(context.Background(), sshShutdownGrace)
		defer cancel()
		return errors.Join(srv.Shutdown(ctx), <-served)
	}, nil
}

func resolvePath(dir, p string) string {
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

// loopbackFor is the host:port the SSH sessions reach the collector at: its
// own address, with a wildcard host (":9710", "0.0.0.0") made loopback.
func loopbackFor(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	if tcp.IP.To4() == nil {
		return net.JoinHostPort("::1", fmt.Sprint(tcp.Port))
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}
