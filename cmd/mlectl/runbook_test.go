package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunbookCLI(t *testing.T) {
	e := newCLIEnv(t)
	e.seed()

	out := e.ok("", "runbook", "list")
	for _, id := range []string{"feature-drift", "training-serving-skew", "latency-slo-burn", "error-rate-slo-burn", "quality-drop", "schema-violation", "shadow-disagreement"} {
		assert.Contains(t, out, id)
	}
	out = e.ok("", "runbook", "show", "latency-slo-burn")
	assert.Contains(t, out, "# Latency SLO burning error budget")
	assert.Contains(t, out, "mle_inference_latency_seconds_bucket")

	// Declined confirmation changes nothing.
	code, out, errs := e.mlectlIn(cliResponder, "n\n", "runbook", "run", "feature-drift", "--step", "5", "--set", "model=fraud")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "Run rollback now? [y/N]")
	assert.Contains(t, out, "aborted: nothing was changed")
	assert.Contains(t, e.ok("", "models", "show", "fraud"), "Production:  v2")

	code, out, errs = e.mlectlIn(cliResponder, "y\n", "runbook", "run", "feature-drift", "--step", "5", "--set", "model=fraud")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "rollback fraud: v2 → v1 done")
	assert.Contains(t, e.ok("", "models", "show", "fraud"), "Production:  v1")

	// --to picks the rollback's target as rollback --to does: a version the
	// registry does not hold is a usage error and changes nothing.
	code, _, errs = e.mlectlIn(cliResponder, "", "runbook", "run", "feature-drift", "--step", "5", "--set", "model=fraud", "--to", "v9", "--yes")
	assert.Equal(t, 2, code, errs)
	assert.Contains(t, errs, "target version v9 of model fraud is not registered")
	code, _, errs = e.mlectlIn(cliResponder, "", "runbook", "run", "feature-drift", "--step", "2", "--set", "model=fraud", "--set", "version=v1", "--to", "v1")
	assert.Equal(t, 2, code, errs)
	assert.Contains(t, errs, "--to: step 2 (query) is not a rollback")
	assert.Contains(t, e.ok("", "models", "show", "fraud"), "Production:  v1")
	code, out, errs = e.mlectlIn(cliResponder, "y\n", "runbook", "run", "feature-drift", "--step", "5", "--set", "model=fraud", "--to", "v2")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "  to: v2")
	assert.Contains(t, out, "rollback fraud: v1 → v2 done")
	assert.Contains(t, e.ok("", "models", "show", "fraud"), "Production:  v2")

	// A query step needs no confirmation; this server has no /api/v1/query,
	// so the CLI prints the expanded query and says why it could not run it.
	code, out, errs = e.mlectlIn(cliResponder, "", "runbook", "run", "feature-drift", "--step", "2", "--set", "model=fraud", "--set", "version=v1")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `query: mle_dataset_drift_share{model="fraud", version="v1"}`)

	code, out, _ = e.mlectlIn(cliAdmin, "", "runbook", "run", "feature-drift", "--step", "4", "--set", "model=fraud", "--set", "text=amount in cents upstream", "--yes")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "annotated")

	for _, args := range [][]string{
		{"runbook", "run", "feature-drift"},
		{"runbook", "run", "feature-drift", "--step", "9"},
		{"runbook", "run", "feature-drift", "--step", "5"},
		{"runbook", "run", "feature-drift", "--step", "5", "--set", "model"},
		{"runbook", "show"},
		{"runbook"},
	} {
		code, _, errs := e.mlectl(cliResponder, args...)
		assert.Equal(t, 2, code, "%v: %s", args, errs)
	}
	code, _, errs = e.mlectl(cliResponder, "runbook", "show", "nope")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "not found")
}
