package sshserve

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"
)

// LoadOrCreateHostKey returns the server's host key (PEM) from path,
// generating an ed25519 key there (mode 0600, directory 0700) the first
// time, so clients see the same host key across restarts. A key file that
// others may read is refused: a leaked host key lets anyone impersonate
// the server.
func LoadOrCreateHostKey(path string) (pemBytes []byte, created bool, err error) {
	st, err := os.Stat(path)
	switch {
	case err == nil:
		if st.Mode().Perm()&0o077 != 0 {
			return nil, false, fmt.Errorf("host key %s: mode %04o lets others read it; chmod 600 %s", path, st.Mode().Perm(), path)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, false, fmt.Errorf("host key: %w", err)
		}
		if _, err := gossh.ParsePrivateKey(raw); err != nil {
			return nil, false, fmt.Errorf("host key %s: %w", path, err)
		}
		return raw, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, fmt.Errorf("host key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("host key: generate: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "mlectl ssh host key")
	if err != nil {
		return nil, false, fmt.Errorf("host key: %w", err)
	}
	raw := pem.EncodeToMemory(block)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("host key: %w", err)
	}
	// O_EXCL: two servers starting at once must not overwrite each other's key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("host key: %w", err)
	}
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("host key: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("host key: write %s: %w", path, err)
	}
	return raw, true, nil
}
