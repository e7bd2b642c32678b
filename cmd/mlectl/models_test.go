package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/metaapi"
)

const (
	cliAdmin     = "cli-admin-token"
	cliResponder = "cli-responder-token"
	cliViewer    = "cli-viewer-token"
)

type cliEnv struct {
	t   *testing.T
	svc *metaapi.Service
	url string
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	svc, err := metaapi.Open(context.Background(), metaapi.Config{Dir: t.TempDir(), Auth: auth.Config{Tokens: []auth.TokenSpec{
		{Name: "admin", Token: cliAdmin, Role: "admin"},
		{Name: "oncall", Token: cliResponder, Role: "responder"},
		{Name: "viewer", Token: cliViewer, Role: "viewer"},
	}}})
	require.NoError(t, err)
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() { srv.Close(); require.NoError(t, svc.Close()) })
	return &cliEnv{t: t, svc: svc, url: srv.URL}
}

// mlectl runs the CLI with --collector set and returns exit code and output.
func (e *cliEnv) mlectl(token string, args ...string) (int, string, string) {
	return e.mlectlIn(token, "", args...)
}

func (e *cliEnv) mlectlIn(token, stdin string, args ...string) (int, string, string) {
	e.t.Helper()
	full := append([]string{}, args...)
	full = append(full, "--collector", e.url)
	if token != "" {
		full = append(full, "--token", token)
	}
	var out, errb bytes.Buffer
	var code int
	if args[0] == "runbook" {
		// runbookMain is the stdin-injectable body of the runbook command.
		err := runbookMain(context.Background(), full[1:], strings.NewReader(stdin), &out, &errb)
		code = exitCode(err, &errb, args[0])
	} else {
		code = run(context.Background(), full, &out, &errb)
	}
	return code, out.String(), errb.String()
}

func exitCode(err error, stderr *bytes.Buffer, name string) int {
	if err == nil {
		return 0
	}
	stderr.WriteString("mlectl " + name + ": " + err.Error() + "\n")
	if _, ok := err.(usageError); ok {
		return 2
	}
	return 1
}

func (e *cliEnv) ok(token string, args ...string) string {
	e.t.Helper()
	code, out, errs := e.mlectl(token, args...)
	require.Equalf(e.t, 0, code, "mlectl %v: %s", args, errs)
	return out
}

// seed registers model fraud with a file actuator: v1 production, v2
// shadow promoted to production.
func (e *cliEnv) seed() string {
	routing := filepath.Join(e.t.TempDir(), "routing.json")
	e.ok(cliAdmin, "models", "set", "fraud", "--actuator", "file", "--path", routing, "--owner", "risk")
	e.ok(cliAdmin, "versions", "register", "fraud", "v1", "--artifact", "s3://m/fraud/v1", "--sha256", strings.Repeat("a", 64),
		"--baseline", "s3://data/train-10.parquet", "--metric", "auc=0.91", "--stage", "production")
	art := filepath.Join(e.t.TempDir(), "model.json")
	require.NoError(e.t, os.WriteFile(art, []byte(`{"trees":[]}`), 0o644))
	e.ok(cliAdmin, "versions", "register", "fraud", "v2", "--artifact", "s3://m/fraud/v2", "--file", art,
		"--baseline", "s3://data/train-11.parquet", "--metric", "auc=0.93", "--stage", "shadow")
	e.ok(cliAdmin, "promote", "fraud", "v2")
	return routing
}

func TestModelsAndVersionsCLI(t *testing.T) {
	e := newCLIEnv(t)
	e.seed()
	out := e.ok("", "models", "list")
	assert.Contains(t, out, "MODEL")
	assert.Regexp(t, `fraud\s+v2\s+-\s+-\s+2\s+file\s+risk`, out)

	out = e.ok(cliViewer, "models", "show", "fraud")
	assert.Contains(t, out, "Production:  v2")
	assert.Contains(t, out, "Rollback to: v1")
	assert.Regexp(t, `v1\s+none\s+0%`, out)
	assert.Contains(t, out, "auc=0.93")
	// sha256 of the file `{"trees":[]}` computed by --file.
	assert.Contains(t, out, "3bcf1c108467")

	out = e.ok("", "versions", "list", "fraud")
	assert.Regexp(t, `v2\s+production\s+100%`, out)

	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"models no subcommand", []string{"models"}, 2, "unknown models subcommand"},
		{"models show no name", []string{"models", "show"}, 2, "usage: mlectl models show MODEL"},
		{"models set bad actuator", []string{"models", "set", "x", "--actuator", "ftp"}, 2, "actuator.kind"},
		{"register missing sha", []string{"versions", "register", "fraud", "v3", "--artifact", "s3://x"}, 2, "--sha256 or --file"},
		{"register bad metric", []string{"versions", "register", "fraud", "v3", "--artifact", "s3://x", "--sha256", strings.Repeat("b", 64), "--metric", "auc"}, 2, "name=number"},
		{"register bad stage", []string{"versions", "register", "fraud", "v3", "--artifact", "s3://x", "--sha256", strings.Repeat("b", 64), "--stage", "prod"}, 2, "--stage"},
		{"register duplicate", []string{"versions", "register", "fraud", "v1", "--artifact", "s3://x", "--sha256", strings.Repeat("b", 64)}, 1, "already registered"},
		{"show unknown", []string{"models", "show", "nope"}, 1, "not registered"},
		{"bad collector", []string{"models", "list", "--collector", "ftp://x"}, 2, "--collector"},
		{"unknown flag", []string{"models", "list", "--nope"}, 2, "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append(append([]string{}, tc.args...), "--token", cliAdmin)
			if !strings.Contains(strings.Join(tc.args, " "), "--collector") {
				args = append(args, "--collector", e.url)
			}
			code := run(context.Background(), args, &out, &errb)
			assert.Equal(t, tc.code, code, errb.String())
			assert.Contains(t, errb.String(), tc.msg)
		})
	}
}
