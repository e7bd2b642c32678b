//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSLOGenerateThenPromtool runs the built mlectl on SLO specs and hands
// its rule files to the real promtool: `check rules` must accept them and
// `promtool test rules` must see the page alert fire and resolve at the
// minutes worked out in slo/testdata/*.promtest.yml.
func TestSLOGenerateThenPromtool(t *testing.T) {
	mlectl, promtool := binary(t, "mlectl"), binary(t, "promtool")
	testdata := filepath.Join(repoRoot(t), "slo", "testdata")
	for _, tc := range []struct {
		spec, test, rules string
		args              []string
	}{
		{"getting-started.yml", "getting-started.promtest.yml", "getting-started.rules.yml", []string{"-l", "cmd=examplesgen.sh"}},
		{"ml-model.yml", "ml-model.promtest.yml", "ml-model.rules.yml", nil},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			dir := t.TempDir()
			rules := filepath.Join(dir, tc.rules)
			args := append([]string{"slo", "generate", filepath.Join(testdata, tc.spec), "-o", rules}, tc.args...)
			out, err := exec.Command(mlectl, args...).CombinedOutput()
			require.NoError(t, err, "mlectl %v: %s", args, out)

			out, err = exec.Command(promtool, "check", "rules", rules).CombinedOutput()
			require.NoError(t, err, "promtool check rules: %s", out)
			require.Contains(t, string(out), "SUCCESS")

			test, err := os.ReadFile(filepath.Join(testdata, tc.test))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, tc.test), test, 0o600))
			cmd := exec.Command(promtool, "test", "rules", tc.test)
			cmd.Dir = dir
			out, err = cmd.CombinedOutput()
			require.NoError(t, err, "promtool test rules: %s", out)
			require.Contains(t, string(out), "SUCCESS")
		})
	}
}
