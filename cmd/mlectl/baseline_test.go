package main

import (
	"encoding/json"
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

// TestBaselineImportParquet: the Parquet copy of a training set stores the
// same profile as its CSV, found by extension or by the PAR1 magic.
func TestBaselineImportParquet(t *testing.T) {
	url, _ := predlogCollector(t)
	dir := t.TempDir()
	parquetBytes, err := os.ReadFile("../../predlog/baseline/testdata/adult.parquet")
	require.NoError(t, err)
	noExt := filepath.Join(dir, "adult-train")
	require.NoError(t, os.WriteFile(noExt, parquetBytes, 0o644))
	bad := filepath.Join(dir, "broken.parquet")
	require.NoError(t, os.WriteFile(bad, parquetBytes[:len(parquetBytes)/2], 0o644))

	tests := []struct {
		version, file string
	}{
		{"csv", "../../sim/profiles/adult.csv"},
		{"parquet", "../../predlog/baseline/testdata/adult.parquet"},
		{"magic", noExt},
	}
	profiles := map[string]map[string]any{}
	for _, tt := range tests {
		code, out, errs := predlogCLI("baseline", "import", "adult", tt.version, tt.file, "--categorical", "education_num", "--collector", url)
		require.Equal(t, 0, code, errs)
		assert.Equal(t, "baseline adult/"+tt.version+" stored: 3257 rows, 3 numerical and 6 categorical features\n", out)
		code, out, errs = predlogCLI("baseline", "show", "adult", tt.version, "--collector", url)
		require.Equal(t, 0, code, errs)
		var p map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &p))
		delete(p, "created")
		delete(p, "version")
		profiles[tt.version] = p
	}
	assert.Equal(t, profiles["csv"], profiles["parquet"])
	assert.Equal(t, profiles["csv"], profiles["magic"])

	code, _, errs := predlogCLI("baseline", "import", "adult", "bad", bad, "--collector", url)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "parquet")
	code, _, errs = predlogCLI("baseline", "import", "adult", "bad", filepath.Join(dir, "train.xlsx"), "--collector", url)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `CSV (.csv) or Parquet (.parquet), got ".xlsx"`)
}
