package actuator_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		cfg actuator.Config
		msg string
	}{
		{actuator.Config{}, "actuator.kind is empty"},
		{actuator.Config{Kind: "ssh"}, "not one of"},
		{actuator.Config{Kind: "webhook", URL: "ftp://x"}, "actuator.url"},
		{actuator.Config{Kind: "exec"}, "actuator.command"},
		{actuator.Config{Kind: "file", Path: "relative.json"}, "actuator.path"},
		{actuator.Config{Kind: "file", Path: "/x", TimeoutSeconds: -1}, "timeout_seconds"},
		{actuator.Config{Kind: "webhook", URL: "http://h/x", Headers: map[string]string{"A": "b\r\nX-Evil: 1"}}, "control character"},
		{actuator.Config{Kind: "webhook", URL: "http://h/x", Headers: map[string]string{"A": "b\x00"}}, "control character"},
		{actuator.Config{Kind: "webhook", URL: "http://h/x", Headers: map[string]string{"A B": "c"}}, "valid HTTP header name"},
		{actuator.Config{Kind: "webhook", URL: "http://169.254.169.254/latest/"}, "link-local"},
		{actuator.Config{Kind: "webhook", URL: "http://[fe80::a9fe:a9fe]/"}, "link-local"},
		{actuator.Config{Kind: "webhook", URL: "http://[::ffff:169.254.1.1]/"}, "link-local"},
		{actuator.Config{Kind: "webhook", URL: "http://[fd00:ec2::254]/"}, "metadata"},
	}
	for _, tc := range tests {
		assert.ErrorContains(t, tc.cfg.Validate(), tc.msg)
	}
}

func TestPublicHidesSecrets(t *testing.T) {
	c := actuator.Config{Kind: "webhook", URL: "https://u:p@h.example/x?k=v", Headers: map[string]string{"Authorization": "Bearer s"}}
	assert.Equal(t, actuator.Config{Kind: "webhook", URL: "https://u:REDACTED@h.example/x?k=REDACTED",
		Headers: map[string]string{"Authorization": "REDACTED"}}, c.Public(true))
	assert.Nil(t, c.Public(false).Headers)
	assert.Equal(t, "Bearer s", c.Headers["Authorization"], "the original is untouched")
	ok := actuator.Config{Kind: "webhook", URL: "http://10.0.0.1:8080/x", Headers: map[string]string{"Authorization": "Bearer s\tt"}}
	assert.NoError(t, ok.Validate())
}

func TestExecSeesActionOnStdinAndEnv(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	a, err := actuator.New(actuator.Config{Kind: "exec", Command: []string{"sh", "-c", `{ echo "$MLECTL_TRAFFIC_PERCENT $MLECTL_ACTOR"; cat; } > "$0"`, out}})
	require.NoError(t, err)
	require.NoError(t, a.Apply(context.Background(), actuator.Request{Action: "set_traffic", Model: "m", ToVersion: "v2", TrafficPercent: 12.5, Actor: "bob"}))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.SplitN(string(b), "\n", 2)
	assert.Equal(t, "12.5 bob", lines[0])
	assert.Contains(t, lines[1], `"action":"set_traffic"`)
}

func TestFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "routing.json")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	a, err := actuator.New(actuator.Config{Kind: "file", Path: path})
	require.NoError(t, err)
	at := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	require.NoError(t, a.Apply(context.Background(), actuator.Request{Action: "rollback", Model: "m", ToVersion: "v1", RequestedAt: at,
		Routes: []actuator.Route{{Version: "v1", Stage: "production", Weight: 100}}}))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"updated_at": "2026-11-20T14:00:00Z"`)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "temporary file renamed away")

	// A read-only directory: the old file stays intact.
	ro := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.Mkdir(ro, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(ro, "r.json"), []byte("old"), 0o644))
	require.NoError(t, os.Chmod(ro, 0o555))
	defer os.Chmod(ro, 0o755)
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	err = actuator.WriteFileAtomic(filepath.Join(ro, "r.json"), []byte("new"), 0o644)
	assert.ErrorContains(t, err, "creating temporary file")
	b, _ = os.ReadFile(filepath.Join(ro, "r.json"))
	assert.Equal(t, "old", string(b))
}
