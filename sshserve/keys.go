package sshserve

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	gossh "golang.org/x/crypto/ssh"
	"gopkg.in/yaml.v3"

	"github.com/mlectl/mlectl/auth"
)

// KeysFile is the layout of keys.yaml.
type KeysFile struct {
	// Tokens are the collector tokens the server acts with, one per role:
	// files holding the token, relative to keys.yaml's directory. A role
	// without a token reaches the collector anonymously (reads only, as the
	// collector allows them); responder and admin users need one.
	Tokens map[string]string `yaml:"tokens"`
	Users  []UserSpec        `yaml:"users"`
}

// UserSpec is one person in keys.yaml.
type UserSpec struct {
	Name string `yaml:"name"`
	Role string `yaml:"role"`
	// Keys are authorized_keys lines ("ssh-ed25519 AAAA... comment").
	Keys []string `yaml:"keys"`
	// KeyFile is an authorized_keys file (relative to keys.yaml's
	// directory); its keys are added to Keys.
	KeyFile string `yaml:"key_file"`
}

// User is who a key belongs to.
type User struct {
	Name string
	Role auth.Role
}

// Keyring maps public keys to users and roles to collector tokens. It is
// immutable; Server.Reload swaps in a new one.
type Keyring struct {
	byKey  map[string]User // key: the key's wire format
	tokens map[auth.Role]string
}

// Lookup returns the user a key belongs to.
func (k *Keyring) Lookup(key gossh.PublicKey) (User, bool) {
	if k == nil || key == nil {
		return User{}, false
	}
	u, ok := k.byKey[string(key.Marshal())]
	return u, ok
}

// Token is the collector token sessions of role act with ("" for none).
func (k *Keyring) Token(r auth.Role) string { return k.tokens[r] }

// Len is the number of keys.
func (k *Keyring) Len() int { return len(k.byKey) }

// LoadKeyring reads and checks keys.yaml. Errors name the entry and field.
func LoadKeyring(path string) (*Keyring, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys file: %w", err)
	}
	var f KeysFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("keys file %s: %w", path, err)
	}
	k, err := f.keyring(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("keys file %s: %w", path, err)
	}
	return k, nil
}

// parseSessionRole parses the role of a person: viewer, responder or
// admin (ingest is for data senders, not people).
func parseSessionRole(s string) (auth.Role, error) {
	r, err := auth.ParseRole(s)
	if err != nil || r == auth.RoleIngest {
		return 0, fmt.Errorf("%q is not one of viewer, responder, admin", s)
	}
	return r, nil
}

func (f KeysFile) keyring(dir string) (*Keyring, error) {
	k := &Keyring{byKey: map[string]User{}, tokens: map[auth.Role]string{}}
	for name, file := range f.Tokens {
		r, err := parseSessionRole(name)
		if err != nil {
			return nil, fmt.Errorf("tokens: %w", err)
		}
		raw, err := os.ReadFile(resolve(dir, file))
		if err != nil {
			return nil, fmt.Errorf("tokens.%s: %w", name, err)
		}
		tok := strings.TrimSpace(string(raw))
		if tok == "" {
			return nil, fmt.Errorf("tokens.%s: %s is empty", name, file)
		}
		k.tokens[r] = tok
	}
	if len(f.Users) == 0 {
		return nil, errors.New("users: no users; every session would be refused")
	}
	names := map[string]bool{}
	for i, u := range f.Users {
		where := fmt.Sprintf("users[%d]", i)
		if u.Name == "" {
			return nil, fmt.Errorf("%s.name: missing", where)
		}
		where = fmt.Sprintf("users[%d] (%s)", i, u.Name)
		if !auth.ValidActingFor(u.Name) {
			return nil, fmt.Errorf("%s.name: the collector records it as who acted: use 1 to 64 letters, digits and . _ - @", where)
		}
		if names[u.Name] {
			return nil, fmt.Errorf("%s.name: listed twice", where)
		}
		names[u.Name] = true
		r, err := parseSessionRole(u.Role)
		if err != nil {
			return nil, fmt.Errorf("%s.role: %w", where, err)
		}
		if r > auth.RoleViewer && k.tokens[r] == "" {
			return nil, fmt.Errorf("%s.role: no collector token for role %s under tokens:", where, r)
		}
		lines := append([]string(nil), u.Keys...)
		if u.KeyFile != "" {
			more, err := readAuthorizedKeys(resolve(dir, u.KeyFile))
			if err != nil {
				return nil, fmt.Errorf("%s.key_file: %w", where, err)
			}
			lines = append(lines, more...)
		}
		if len(lines) == 0 {
			return nil, fmt.Errorf("%s: no keys (keys: or key_file:)", where)
		}
		for j, line := range lines {
			pub, _, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
			if err != nil {
				return nil, fmt.Errorf("%s.keys[%d]: not an authorized_keys line: %w", where, j, err)
			}
			id := string(pub.Marshal())
			if other, dup := k.byKey[id]; dup && other.Name != u.Name {
				return nil, fmt.Errorf("%s.keys[%d]: the key is also %s's", where, j, other.Name)
			}
			k.byKey[id] = User{Name: u.Name, Role: r}
		}
	}
	return k, nil
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// readAuthorizedKeys returns the key lines of an authorized_keys file
// (blank lines and comments skipped).
func readAuthorizedKeys(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out, sc.Err()
}
