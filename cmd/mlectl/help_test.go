package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSubcommandHelp: `mlectl CMD --help` prints the command's usage and
// exits 0; every default is printed once, and the token from the
// environment never.
func TestSubcommandHelp(t *testing.T) {
	t.Setenv("MLECTL_TOKEN", "s3cret-token-value")
	for _, args := range [][]string{
		{"rollback", "--help"}, {"promote", "-h"}, {"set-traffic", "--help"}, {"annotate", "--help"},
		{"timeline", "export", "--help"}, {"logs", "export", "--help"}, {"shadow", "report", "--help"},
		{"shadow", "replay", "--help"}, {"alerts", "list", "--help"}, {"models", "list", "--help"},
		{"versions", "list", "--help"}, {"runbook", "list", "--help"}, {"audit", "verify", "--help"},
		{"gameday", "inject", "--help"}, {"gameday", "list", "--help"}, {"demo", "--help"},
		{"drift", "--help"}, {"slo", "generate", "--help"}, {"baseline", "import", "--help"},
		{"loadgen", "--help"}, {"console", "--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), args, &out, &errb)
			help := out.String() + errb.String()
			assert.Equal(t, 0, code, "%s", help)
			assert.NotEmpty(t, help)
			assert.NotContains(t, help, "s3cret-token-value", "the token is a secret")
			assert.NotContains(t, help, "see the flags above")
			for _, line := range strings.Split(help, "\n") {
				assert.LessOrEqual(t, strings.Count(line, "(default"), 1, "default printed twice: %q", line)
			}
		})
	}
}
