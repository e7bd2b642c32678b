package alerting

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func decodeRulesSection(t *testing.T, doc string) (Config, error) {
	t.Helper()
	var top struct {
		Rules yaml.Node `yaml:"rules"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(doc), &top))
	return DecodeConfig(&top.Rules)
}

func TestDecodeConfig(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "rules"), 0o755))
	for _, f := range []string{"a.yml", "b.yml"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "rules", f), []byte("groups: []\n"), 0o644))
	}
	c, err := decodeRulesSection(t, `
rules:
  evaluation_interval: 15s
  rule_files: [rules/*.yml]
  slo_specs: [slo/fraud.yml, /abs/eta.yml]
  drift: {min_events: 50, defaults: {feature_windows: 2}}
  alertmanagers: [http://127.0.0.1:9093]
  webhooks: [http://127.0.0.1:9000/hook]
  deploy_silence: -1s
  resend_delay: 30s
`)
	require.NoError(t, err)
	assert.False(t, c.Empty())
	o, err := c.Options(dir)
	require.NoError(t, err)
	assert.Equal(t, 15*time.Second, o.EvalInterval)
	assert.Equal(t, []string{filepath.Join(dir, "rules/a.yml"), filepath.Join(dir, "rules/b.yml")}, o.RuleFiles)
	assert.Equal(t, []string{filepath.Join(dir, "slo/fraud.yml"), "/abs/eta.yml"}, o.SLOSpecs)
	assert.Equal(t, 50, o.Drift.MinEvents)
	assert.Equal(t, time.Duration(-1), o.DeploySilence)
	assert.Equal(t, 30*time.Second, o.ResendDelay)

	empty, err := decodeRulesSection(t, "other: 1\n")
	require.NoError(t, err)
	assert.True(t, empty.Empty())

	for _, tc := range []struct{ doc, want string }{
		{"rules: {rule_file: [x]}", "field rule_file not found"},
		{"rules: {deploy_silence: soon}", "deploy_silence"},
		{"rules: {drift: {models: [{model: ''}]}}", "models[0].model is empty"},
	} {
		_, err := decodeRulesSection(t, tc.doc)
		require.Error(t, err, tc.doc)
		assert.Contains(t, err.Error(), tc.want)
	}
	_, err = Config{RuleFiles: []string{"nope/*.yml"}}.Options(dir)
	assert.ErrorContains(t, err, "matches no file")
}

func TestNewRejectsBadInput(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	bad := writeFile(t, "bad.yml", "groups: [{name: g, rules: [{alert: X, expr: 'up =='}]}]")
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no storage", Options{}, "Storage is required"},
		{"bad rule", Options{Storage: db, RuleFiles: []string{bad}}, "bad.yml"},
		{"missing slo spec", Options{Storage: db, SLOSpecs: []string{"/nonexistent.yml"}}, "SLO spec"},
		{"bad alertmanager", Options{Storage: db, Alertmanagers: []string{"127.0.0.1:9093"}}, "alertmanagers[0]"},
		{"bad webhook", Options{Storage: db, Webhooks: []string{"ftp://x"}}, "webhooks[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
