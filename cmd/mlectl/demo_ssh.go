package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/sshserve"
)

// Names of `mlectl demo --ssh`: the user its generated key belongs to and
// the delegating token the SSH console acts with.
const (
	demoSSHUser    = "demo-oncall"
	demoSSHRole    = "responder"
	demoSSHGateway = "ssh-gateway"
)

// demoSSH is the SSH console of `mlectl demo --ssh`: a generated key pair
// for one responder, a keys.yaml, a host key and a delegating token, all
// in a temporary directory removed by close.
type demoSSH struct {
	dir     string
	keyPath string
	token   auth.TokenSpec
	srv     *sshserve.Server
	served  chan error
}

// prepareDemoSSH writes the demo's key pair, token and keys.yaml. The
// token goes into the demo collector's configuration (demo.Options.Tokens)
// before it starts.
func prepareDemoSSH() (*demoSSH, error) {
	dir, err := os.MkdirTemp("", "mlectl-demo-ssh-")
	if err != nil {
		return nil, fmt.Errorf("demo --ssh: %w", err)
	}
	d := &demoSSH{dir: dir, keyPath: filepath.Join(dir, "demo_ed25519")}
	if err := d.write(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("demo --ssh: %w", err)
	}
	return d, nil
}

func (d *demoSSH) write() error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	block, err := gossh.MarshalPrivateKey(priv, demoSSHUser)
	if err != nil {
		return err
	}
	if err := os.WriteFile(d.keyPath, pem.EncodeToMemory(block), 0o600); err != nil {
		return err
	}
	sp, err := gossh.NewPublicKey(pub)
	if err != nil {
		return err
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(sp))) + " " + demoSSHUser
	if err := os.WriteFile(d.keyPath+".pub", []byte(line+"\n"), 0o644); err != nil {
		return err
	}
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	d.token = auth.TokenSpec{Name: demoSSHGateway, Token: hex.EncodeToString(secret), Role: "admin", Delegate: true}
	if err := os.WriteFile(filepath.Join(d.dir, "gateway.token"), []byte(d.token.Token+"\n"), 0o600); err != nil {
		return err
	}
	keys := fmt.Sprintf("tokens: {viewer: gateway.token, responder: gateway.token, admin: gateway.token}\nusers:\n  - {name: %s, role: %s, keys: [%q]}\n",
		demoSSHUser, demoSSHRole, line)
	return os.WriteFile(filepath.Join(d.dir, "keys.yaml"), []byte(keys), 0o600)
}

// serve starts the SSH server on addr in front of the collector at
// collectorURL and prints the key's path and the ssh command to use.
func (d *demoSSH) serve(addr, collectorURL string, stdout io.Writer, logger *slog.Logger) error {
	hostKey, _, err := sshserve.LoadOrCreateHostKey(filepath.Join(d.dir, "ssh_host_ed25519"))
	if err != nil {
		return fmt.Errorf("demo --ssh: %w", err)
	}
	srv, err := sshserve.New(sshserve.Config{
		Collector: collectorURL, KeysFile: filepath.Join(d.dir, "keys.yaml"), HostKey: hostKey,
		Exec: runForSSH, Logger: logger,
	})
	if err != nil {
		return fmt.Errorf("demo --ssh: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("demo --ssh: %w", err)
	}
	d.srv, d.served = srv, make(chan error, 1)
	go func() { d.served <- srv.Serve(ln) }()
	host, port := "127.0.0.1", ln.Addr().(*net.TCPAddr).Port
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsUnspecified() {
		host = ip.String()
	}
	fmt.Fprintf(stdout, "mlectl demo: console over ssh on %s as %s (%s); demo private key %s\n  ssh -t -p %d -i %s -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null %s\n",
		ln.Addr(), demoSSHUser, demoSSHRole, d.keyPath, port, d.keyPath, host)
	return nil
}

// stop tells the SSH sessions the demo ends and waits for them briefly;
// it runs before the demo's collector closes. Once is enough.
func (d *demoSSH) stop() error {
	if d.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := errors.Join(d.srv.Shutdown(ctx), <-d.served)
	d.srv = nil
	return err
}

// close stops the server (if stop has not) and removes the key directory.
func (d *demoSSH) close() error {
	return errors.Join(d.stop(), os.RemoveAll(d.dir))
}
