package client

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConsoleDepsStayOffTheServer checks that the client and the console
// compile without the collector's storage, query engine, rules or TSDB:
// what they share with the server is package api alone. A package that
// starts importing a server type (registry, events, alerting, ...) pulls
// badger and promql back in and fails this test.
func TestConsoleDepsStayOffTheServer(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go binary on PATH to list the dependencies with: " + err.Error())
	}
	out, err := exec.Command(gobin, "list", "-deps", "../tui/...", "../client/...").CombinedOutput()
	require.NoError(t, err, "go list -deps: %s", out)
	deps := strings.Fields(string(out))
	require.NotEmpty(t, deps)
	require.Contains(t, deps, "github.com/mlectl/mlectl/client", "listed the client itself")
	require.Contains(t, deps, "github.com/mlectl/mlectl/tui", "listed the console itself")
	var bad []string
	for _, d := range deps {
		switch {
		case strings.Contains(d, "badger"),
			strings.Contains(d, "promql"),
			strings.HasPrefix(d, "github.com/prometheus/prometheus/rules"),
			strings.HasPrefix(d, "github.com/mlectl/mlectl/tsdb"):
			bad = append(bad, d)
		}
	}
	assert.Empty(t, bad, "the client and the console import server-side packages (%d dependencies in all)", len(deps))
}
