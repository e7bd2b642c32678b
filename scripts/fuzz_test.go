//go:build slow

package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Behind the slow tag: the first run builds the fuzzing-instrumented
// runtime (a minute or two on 2 cores).
//
// fuzz.sh runs every target even when an earlier one fails, lists every
// failure at the end and exits 1 (it used to stop at the first, set -e).
func TestFuzzScriptRunsEveryTargetAndReportsAllFailures(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	script, err := os.ReadFile("fuzz.sh")
	require.NoError(t, err)
	mod := t.TempDir()
	files := map[string]string{
		"go.mod":          "module fuzzprobe\n\ngo 1.22\n",
		"scripts/fuzz.sh": string(script),
		"a/a_test.go":     "package a\n\nimport \"testing\"\n\nfunc FuzzAlwaysFails(f *testing.F) {\n\tf.Add(1)\n\tf.Fuzz(func(t *testing.T, n int) { t.Fatal(\"boom\") })\n}\n",
		"b/b_test.go":     "package b\n\nimport \"testing\"\n\nfunc FuzzFine(f *testing.F) {\n\tf.Add(1)\n\tf.Fuzz(func(t *testing.T, n int) {})\n}\n\nfunc FuzzAlsoFails(f *testing.F) {\n\tf.Add(2)\n\tf.Fuzz(func(t *testing.T, n int) { t.Fatal(\"bang\") })\n}\n",
	}
	for name, body := range files {
		p := filepath.Join(mod, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o755))
	}
	cmd := exec.Command("bash", filepath.Join(mod, "scripts", "fuzz.sh"), "1x")
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s", out)
	assert.Equal(t, 1, exit.ExitCode(), "%s", out)
	text := string(out)
	for _, target := range []string{"./a FuzzAlwaysFails", "./b FuzzFine", "./b FuzzAlsoFails"} {
		assert.Contains(t, text, "== "+target, "every target ran")
	}
	assert.Contains(t, text, "== 3 fuzz targets, 2 failed")
	assert.Contains(t, text, "FAILED: ./a FuzzAlwaysFails")
	assert.Contains(t, text, "FAILED: ./b FuzzAlsoFails")
	assert.NotContains(t, text, "FAILED: ./b FuzzFine")
	assert.Less(t, strings.Index(text, "FAILED: ./a"), strings.Index(text, "FAILED: ./b"))
}
