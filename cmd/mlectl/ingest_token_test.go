package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/store"
)

// ingestTokenCollector serves the prediction log behind the collector's
// ingest access control with ingest_auth: token (see cmd/collector).
func ingestTokenCollector(t *testing.T) (string, *store.Store) {
	t.Helper()
	authn, err := auth.New(auth.Config{Ingest: auth.IngestToken, Tokens: []auth.TokenSpec{
		{Name: "grafana", Token: "view-secret", Role: "viewer"},
		{Name: "sender", Token: "ingest-secret", Role: "ingest"},
	}}, "")
	require.NoError(t, err)
	lg, err := store.Open(t.TempDir(), store.Options{})
	require.NoError(t, err)
	h, err := api.New(context.Background(), api.Config{Log: lg, Middleware: func(pattern string, h http.Handler) http.Handler {
		if strings.HasPrefix(pattern, http.MethodGet+" ") {
			return authn.Require(auth.RoleViewer, h, nil)
		}
		return authn.RequireIngest(h, nil)
	}})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); _ = lg.Close() })
	return srv.URL, lg
}

// mlectl baseline import and mlectl loadgen send --token, and say what the
// collector wants when it refuses them.
func TestIngestCommandsSendToken(t *testing.T) {
	url, lg := ingestTokenCollector(t)
	dir := t.TempDir()
	train := filepath.Join(dir, "train.csv")
	require.NoError(t, os.WriteFile(train, []byte("amount,country\n1.5,DE\n7,FR\n3,DE\n"), 0o600))
	rows := filepath.Join(dir, "rows.csv")
	require.NoError(t, os.WriteFile(rows, []byte("amount,country\n2,DE\n5,FR\n"), 0o600))
	stored := func() int {
		n := 0
		require.NoError(t, lg.Scan(context.Background(), store.Query{Model: "fraud"}, func(*predlog.Record) error { n++; return nil }))
		return n
	}

	tests := []struct {
		name  string
		args  []string
		token string
		code  int
		msg   string // in stdout when code is 0, else in stderr
	}{
		{"baseline without a token", []string{"baseline", "import", "fraud", "v7", train}, "", 2,
			"baseline import refused (HTTP 401): this call needs an API token with role ingest or higher"},
		{"baseline with a viewer token", []string{"baseline", "import", "fraud", "v7", train}, "view-secret", 2,
			`baseline import refused (HTTP 403): token "grafana" has role viewer; this call needs ingest or higher`},
		{"baseline with an ingest token", []string{"baseline", "import", "fraud", "v7", train}, "ingest-secret", 0,
			"baseline fraud/v7 stored: 3 rows"},
		{"loadgen without a token", []string{"loadgen", "fraud", "--rate", "50", "--from-csv", rows, "--version", "v7", "--duration", "300ms"}, "", 1,
			"HTTP 401"},
		{"loadgen with an ingest token", []string{"loadgen", "fraud", "--rate", "50", "--from-csv", rows, "--version", "v7", "--duration", "300ms"}, "ingest-secret", 0,
			"0 refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := stored()
			args := append(append([]string{}, tc.args...), "--collector", url)
			if tc.token != "" {
				args = append(args, "--token", tc.token)
			}
			code, out, errs := predlogCLI(args...)
			require.Equal(t, tc.code, code, "stdout %s stderr %s", out, errs)
			if tc.code == 0 {
				assert.Contains(t, out, tc.msg)
			} else {
				assert.Contains(t, errs, tc.msg)
			}
			if tc.args[0] == "loadgen" {
				if tc.code == 0 {
					assert.Greater(t, stored(), before, "the accepted predictions are in the log")
				} else {
					assert.Equal(t, before, stored(), "a refused loadgen stores nothing")
				}
			}
		})
	}
	// The baseline stored by the ingest token is readable.
	code, out, errs := predlogCLI("baseline", "show", "fraud", "v7", "--collector", url)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `"name": "amount"`)
}
