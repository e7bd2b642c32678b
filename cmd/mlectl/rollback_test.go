package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
)

func TestRollbackPromoteSetTrafficCLI(t *testing.T) {
	e := newCLIEnv(t)
	routing := e.seed()

	out := e.ok(cliResponder, "rollback", "fraud", "--dry-run")
	assert.Contains(t, out, "DRY RUN: rollback fraud would go v2 → v1 through the file actuator")
	assert.Contains(t, out, "✓ target v1 has baseline s3://data/train-10.parquet")

	code, _, errs := e.mlectl(cliResponder, "rollback", "fraud")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--reason is required")

	code, _, errs = e.mlectl(cliViewer, "rollback", "fraud", "--reason", "drift")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "forbidden (403)")

	code, _, errs = e.mlectl("", "rollback", "fraud", "--reason", "drift")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "not authorized (401)")
	assert.Contains(t, errs, "MLECTL_TOKEN")

	out = e.ok(cliResponder, "rollback", "fraud", "--reason", "PSI 0.4 on amount")
	assert.Contains(t, out, "rollback fraud: v2 → v1 done through the file actuator")
	b, err := os.ReadFile(routing)
	require.NoError(t, err)
	var rf actuator.RoutingFile
	require.NoError(t, json.Unmarshal(b, &rf))
	assert.Equal(t, "PSI 0.4 on amount", rf.Reason)
	assert.Equal(t, "oncall", rf.Actor)
	require.Len(t, rf.Routes, 1)
	assert.Equal(t, "v1", rf.Routes[0].Version)

	assert.Regexp(t, `Last action: rollback v2 → v1 by oncall at .* \(PSI 0.4 on amount\)`, e.ok("", "models", "show", "fraud"))
	code, _, errs = e.mlectl(cliAdmin, "rollback", "fraud", "--reason", "me too")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "conflict (409): model fraud was already rolled back")

	// v2 is now "none": promote needs shadow/canary; set-traffic makes it a canary.
	code, _, errs = e.mlectl(cliAdmin, "promote", "fraud", "v2")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "only a shadow or canary")

	out = e.ok(cliAdmin, "set-traffic", "fraud", "v2", "5")
	assert.Contains(t, out, "v2: none 0% → canary 5%")
	assert.Contains(t, out, "v1: production 100% → production 95%")
	out = e.ok(cliAdmin, "promote", "fraud", "v2", "--reason", "canary healthy")
	assert.Contains(t, out, "promote fraud: v1 → v2")

	code, _, errs = e.mlectl(cliResponder, "rollback", "fraud", "--to", "v9", "--reason", "typo", "--dry-run")
	assert.Equal(t, 2, code, "an unknown target is a usage error")
	assert.Contains(t, errs, "target version v9 of model fraud is not registered")

	for _, args := range [][]string{
		{"set-traffic", "fraud", "v2"},
		{"set-traffic", "fraud", "v2", "100"},
		{"set-traffic", "fraud", "v2", "ten"},
		{"promote", "fraud"},
		{"rollback"},
	} {
		code, _, _ := e.mlectl(cliAdmin, args...)
		assert.Equal(t, 2, code, "%v", args)
	}
}
