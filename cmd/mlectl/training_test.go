package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/metaapi"
	"github.com/mlectl/mlectl/training"
)

// trainingCollector serves the real training-run log (model fraud known)
// on 127.0.0.1.
func trainingCollector(t *testing.T) string {
	t.Helper()
	svc, err := metaapi.Open(t.Context(), metaapi.Config{Dir: filepath.Join(t.TempDir(), "meta"), Auth: auth.Config{Mode: auth.ModeDisabled},
		Models: []metaapi.ModelConfig{{Name: "fraud", Actuator: actuator.Config{Kind: actuator.KindFile, Path: "/tmp/routes.json"}}}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, svc.Close()) })
	store, err := training.Open(t.Context(), svc.DB, training.RegistryModels{Registry: svc.Registry}, nil)
	require.NoError(t, err)
	mux := http.NewServeMux()
	route.Mount(mux, training.NewHandler(store, nil).Routes())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestTrainingRunsCLI: add records a run, list prints it; bad input is
// exit 2 naming what was wrong, from the flags or from the collector.
func TestTrainingRunsCLI(t *testing.T) {
	url := trainingCollector(t)
	code, out, errs := runCLI(t, "training-runs", "add", "fraud", "--collector", url, "--version", "v14", "--status", "succeeded",
		"--started", "-3h", "--ended", "-1h", "--cost", "42.5")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "training run of fraud recorded: succeeded, 2h0m0s, cost 42.5")

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"negative cost", []string{"fraud", "--status", "failed", "--started", "-2h", "--ended", "-1h", "--cost", "-1"}, "field cost"},
		{"unknown model", []string{"fruad", "--status", "failed", "--started", "-2h", "--ended", "-1h"}, "field model"},
		{"unknown status", []string{"fraud", "--status", "done", "--started", "-2h", "--ended", "-1h"}, "field status"},
		{"ended before started", []string{"fraud", "--status", "failed", "--started", "-1h", "--ended", "-2h"}, "field ended"},
		{"no status", []string{"fraud", "--started", "-2h", "--ended", "-1h"}, "--status is required"},
		{"bad time", []string{"fraud", "--status", "failed", "--started", "yesterday", "--ended", "-1h"}, "--started"},
		{"no model", []string{"--status", "failed", "--started", "-2h", "--ended", "-1h"}, "usage: mlectl training-runs add MODEL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, append([]string{"training-runs", "add", "--collector", url}, tc.args...)...)
			assert.Equal(t, 2, code, errs)
			assert.Contains(t, errs, tc.want)
			assert.Empty(t, out)
		})
	}

	code, out, errs = runCLI(t, "training-runs", "list", "fraud", "--collector", url)
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `(?m)^STARTED\s+MODEL\s+VERSION\s+STATUS\s+DURATION\s+COST$`, out)
	assert.Regexp(t, `(?m)^\S+ \S+\s+fraud\s+v14\s+succeeded\s+2h0m0s\s+42.5$`, out)
	assert.NotContains(t, out, "failed", "nothing stored from the refused runs")
}
