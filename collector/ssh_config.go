package collector

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/common/model"
)

// SSHConfig is the collector configuration's `ssh:` block: the same
// process also serves the console over SSH (as `mlectl serve --ssh` does),
// each session talking to this collector with its role's token from the
// keys file, acting for the key's owner. Paths are relative to the
// configuration file's directory.
type SSHConfig struct {
	// Listen is the SSH address, e.g. 127.0.0.1:2222 (required).
	Listen string `yaml:"listen"`
	// Keys is keys.yaml: users, roles, public keys, and a collector token
	// file per role (required; see package sshserve). Reloaded on SIGHUP.
	Keys string `yaml:"keys"`
	// HostKey is the ed25519 host key, generated (0600) on first start
	// (default: ssh_host_ed25519 beside the configuration file).
	HostKey string `yaml:"host_key,omitempty"`
	// MaxSessions bounds concurrent sessions (0: 32).
	MaxSessions int `yaml:"max_sessions,omitempty"`
	// IdleTimeout closes a console without a key press for this long
	// (0: 30m).
	IdleTimeout model.Duration `yaml:"idle_timeout,omitempty"`
}

// DefaultSSHHostKey is HostKey's default file name.
const DefaultSSHHostKey = "ssh_host_ed25519"

// Validate checks the block; errors name the field.
func (c *SSHConfig) Validate() error {
	switch {
	case c == nil:
		return nil
	case c.Listen == "":
		return errors.New("collector config: ssh.listen is required (e.g. 127.0.0.1:2222)")
	case c.Keys == "":
		return errors.New("collector config: ssh.keys is required: the keys.yaml of users, roles and tokens")
	case c.MaxSessions < 0:
		return fmt.Errorf("collector config: ssh.max_sessions must not be negative, got %d", c.MaxSessions)
	case c.IdleTimeout != 0 && time.Duration(c.IdleTimeout) < time.Second:
		return fmt.Errorf("collector config: ssh.idle_timeout must be at least 1s, got %s", c.IdleTimeout)
	}
	return nil
}
