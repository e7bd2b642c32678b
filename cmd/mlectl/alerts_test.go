package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/alerting"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/tsdb"
)

// newAlertsEnv serves the alerting API of a manager with one firing alert.
func newAlertsEnv(t *testing.T) (url string, m *alerting.Manager) {
	t.Helper()
	db, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	now := time.Now().Truncate(time.Minute)
	app := db.Appender(context.Background())
	for i := -5; i <= 0; i++ {
		_, err := app.Append(0, labels.FromStrings("__name__", "mle_feature_drifted", "model", "fraud", "feature", "amount"), now.Add(time.Duration(i)*time.Minute).UnixMilli(), 1)
		require.NoError(t, err)
	}
	require.NoError(t, app.Commit())
	rules := filepath.Join(t.TempDir(), "r.yml")
	require.NoError(t, os.WriteFile(rules, []byte(`
groups:
  - name: g
    rules:
      - alert: FeatureDrift
        expr: mle_feature_drifted == 1
        labels: {severity: ticket}
`), 0o644))
	m, err = alerting.New(alerting.Options{Storage: db, RuleFiles: []string{rules}, StateDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(m.Stop)
	for i := 2; i >= 0; i-- {
		m.EvalAt(context.Background(), now.Add(-time.Duration(i)*time.Minute))
	}
	authn, err := auth.New(auth.Config{Tokens: []auth.TokenSpec{
		{Name: "oncall", Token: cliResponder, Role: "responder"},
		{Name: "viewer", Token: cliViewer, Role: "viewer"},
		{Name: "ssh-gateway-viewer", Token: cliGatewayViewer, Role: "viewer", Delegate: true},
		{Name: "ssh-gateway", Token: cliGatewayResponder, Role: "responder", Delegate: true},
	}}, "")
	require.NoError(t, err)
	srv := httptest.NewServer(m.Handler(authn, nil))
	t.Cleanup(srv.Close)
	return srv.URL, m
}

func mlectlAt(url, token string, args ...string) (int, string, string) {
	full := append(append([]string{}, args...), "--collector", url)
	if token != "" {
		full = append(full, "--token", token)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), full, &out, &errb)
	return code, out.String(), errb.String()
}

func TestAlertsCLI(t *testing.T) {
	url, m := newAlertsEnv(t)
	as := m.Alerts()
	require.Len(t, as, 1)
	id := as[0].ID

	code, out, errs := mlectlAt(url, cliViewer, "alerts", "list")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, id)
	assert.Regexp(t, `FeatureDrift\s+firing\s+\S+\s+fraud\s+ticket\s+-\s+-\s+feature="amount"`, out)

	for _, tc := range []struct {
		name  string
		token string
		args  []string
		code  int
		errs  string
	}{
		{"unknown subcommand", cliResponder, []string{"alerts", "mute"}, 2, "unknown alerts subcommand"},
		{"ack needs an id", cliResponder, []string{"alerts", "ack"}, 2, "takes 1 argument"},
		{"viewer cannot ack", cliViewer, []string{"alerts", "ack", id}, 1, "forbidden (403)"},
		{"unknown alert", cliResponder, []string{"alerts", "ack", "0000000000000000"}, 1, "not found (404)"},
		{"silence without matcher", cliResponder, []string{"alerts", "silence", "--duration", "1h", "--comment", "x"}, 2, "--matcher is required"},
		{"silence bad duration", cliResponder, []string{"alerts", "silence", "--matcher", `model="fraud"`, "--duration", "1 hour", "--comment", "x"}, 2, "--duration"},
		{"silence without comment", cliResponder, []string{"alerts", "silence", "--matcher", `model="fraud"`, "--duration", "1h"}, 2, "--comment is required"},
		{"server rejects matcher", cliResponder, []string{"alerts", "silence", "--matcher", `model=`, "--duration", "1h", "--comment", "x"}, 1, "matchers"},
		{"no token", "", []string{"alerts", "silence", "--matcher", `model="fraud"`, "--duration", "1h", "--comment", "x"}, 1, "not authorized (401)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := mlectlAt(url, tc.token, tc.args...)
			assert.Equal(t, tc.code, code, errs)
			assert.Contains(t, errs, tc.errs)
		})
	}

	code, out, errs = mlectlAt(url, cliResponder, "alerts", "ack", id, "--comment", "on it")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "acknowledged "+id+" by oncall")

	code, out, errs = mlectlAt(url, cliResponder, "alerts", "silence", "--matcher", `alertname="FeatureDrift"`, "--matcher", `model="fraud"`, "--duration", "1h", "--comment", "retraining")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `silence [0-9a-f]{16}: alertname="FeatureDrift", model="fraud" until .* by oncall`, out)

	code, out, errs = mlectlAt(url, cliViewer, "alerts", "list")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `fraud\s+ticket\s+oncall\s+[0-9a-f]{16}`, out)

	sils := m.Silences()
	require.Len(t, sils, 1)
	code, out, errs = mlectlAt(url, cliResponder, "alerts", "expire", sils[0].ID)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "expired")
	code, out, _ = mlectlAt(url, cliViewer, "alerts", "silences")
	require.Equal(t, 0, code)
	assert.Regexp(t, sils[0].ID+`\s+expired\s+alertname="FeatureDrift", model="fraud"`, out)
}
