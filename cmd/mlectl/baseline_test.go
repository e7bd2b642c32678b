package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBaselineImport(t *testing.T) {
	url, checker := predlogCollector(t)
	dir := t.TempDir()
	csv := filepath.Join(dir, "train.csv")
	require.NoError(t, os.WriteFile(csv, []byte("amount,country,hour\n1.5,DE,3\n7,FR,4\n3,DE,3\n"), 0o644))

	code, out, errs := predlogCLI("baseline", "import", "fraud", "v7", csv, "--categorical", "hour", "--collector", url)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "baseline fraud/v7 stored: 3 rows, 1 numerical and 2 categorical features\n", out)

	c := checker.Get("fraud", "v7")
	require.NotNil(t, c, "a contract is learned from the baseline")
	assert.Equal(t, []string{"3", "4"}, c.Features["hour"].Categories)

	code, out, errs = predlogCLI("baseline", "show", "fraud", "v7", "--collector", url)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `"name": "amount"`)

	for _, args := range [][]string{
		{"baseline", "import", "fraud", "v7", filepath.Join(dir, "train.parquet"), "--collector", url},
		{"baseline", "import", "fraud", "v7", filepath.Join(dir, "missing.csv"), "--collector", url},
		{"baseline", "import", "fraud", csv, "--collector", url},
		{"baseline", "import", "fraud", "v7", csv, "--categorical", "nope", "--collector", url},
		{"baseline", "show", "fraud", "v9", "--collector", url},
	} {
		code, _, errs := predlogCLI(args...)
		assert.NotEqual(t, 0, code, "%v", args)
		assert.NotEmpty(t, errs)
	}
}
