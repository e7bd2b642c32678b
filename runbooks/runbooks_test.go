package runbooks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/runbooks"
)

func TestEmbeddedLibrary(t *testing.T) {
	lib, err := runbooks.Default()
	require.NoError(t, err)
	var ids []string
	for _, rb := range lib.All() {
		ids = append(ids, rb.ID)
		assert.NotEmpty(t, rb.Alerts, rb.ID)
		assert.NotEmpty(t, rb.Owner, rb.ID)
		assert.Contains(t, rb.Body, "## What to check", rb.ID)
		assert.Contains(t, rb.Body, "## Decision", rb.ID)
		hasQuery := false
		for _, s := range rb.Steps {
			if s.Action == runbooks.ActionQuery {
				hasQuery = true
				// Model runbooks scope every query to the alert's model;
				// the collector's own to its data dir.
				assert.Regexp(t, `"\$\{(model|dir)\}"`, s.Args["query"], "%s: %s", rb.ID, s.Title)
			}
		}
		assert.True(t, hasQuery, "%s has at least one query step", rb.ID)
	}
	assert.Equal(t, []string{"error-rate-slo-burn", "feature-drift", "feature-explanations", "feature-freshness", "label-coverage", "latency-slo-burn", "quality-drop", "schema-violation", "serving-cost-overrun", "shadow-disagreement", "training-serving-skew", "volume-full"}, ids)
}

func TestForAlert(t *testing.T) {
	lib, err := runbooks.Default()
	require.NoError(t, err)
	ids := func(rbs []*runbooks.Runbook) []string {
		var out []string
		for _, rb := range rbs {
			out = append(out, rb.ID)
		}
		return out
	}
	tests := []struct {
		name        string
		labels      map[string]string
		annotations map[string]string
		want        []string
	}{
		{"alertname matcher", map[string]string{"alertname": "FeatureDrift", "model": "fraud"}, nil, []string{"feature-drift"}},
		{"multi-label matcher", map[string]string{"alertname": "FeatureDrift", "against": "baseline", "severity": "page"}, nil, []string{"feature-drift", "training-serving-skew"}},
		{"regex matcher", map[string]string{"alertname": "SLOErrorBudgetBurn", "slo": "fraud-latency"}, nil, []string{"latency-slo-burn"}},
		{"runbook annotation wins", map[string]string{"alertname": "FeatureDrift"}, map[string]string{"runbook": "quality-drop"}, []string{"quality-drop"}},
		{"runbook_url annotation", map[string]string{"alertname": "X"}, map[string]string{"runbook_url": "https://wiki/runbooks/schema-violation.md"}, []string{"schema-violation"}},
		{"unknown annotation falls back to matchers", map[string]string{"alertname": "ShadowDisagreement"}, map[string]string{"runbook_url": "https://wiki/other"}, []string{"shadow-disagreement"}},
		{"no match", map[string]string{"alertname": "DiskFull"}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ids(lib.ForAlert(tc.labels, tc.annotations)))
		})
	}
}

const custom = `---
id: feature-drift
title: Our own drift runbook
alerts: ['alertname="FeatureDrift"']
models: [fraud]
steps:
  - title: Roll back
    action: rollback
    args: {model: "${model}", reason: "drift on ${feature}"}
---
Body text.
`

func TestLoadDirOverridesAndModels(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "drift.md"), []byte(custom), 0o644))
	lib, err := runbooks.Load(dir)
	require.NoError(t, err)
	rb, ok := lib.Get("feature-drift")
	require.True(t, ok)
	assert.Equal(t, "Our own drift runbook", rb.Title)
	assert.Equal(t, filepath.Join(dir, "drift.md"), rb.Source)
	assert.Len(t, lib.All(), 12)
	assert.True(t, rb.MatchesAlert(map[string]string{"alertname": "FeatureDrift", "model": "fraud"}))
	assert.False(t, rb.MatchesAlert(map[string]string{"alertname": "FeatureDrift", "model": "churn"}), "runbook is for fraud only")

	args, missing := rb.Steps[0].Expand(map[string]string{"model": "fraud"})
	assert.Equal(t, []string{"feature"}, missing)
	assert.Equal(t, "fraud", args["model"])
	args, missing = rb.Steps[0].Expand(map[string]string{"model": "fraud", "feature": "amount"})
	assert.Empty(t, missing)
	assert.Equal(t, "drift on amount", args["reason"])

	_, err = runbooks.Load(filepath.Join(dir, "missing"))
	assert.ErrorContains(t, err, "runbooks directory")
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, msg string
	}{
		{"no front matter", "# Title\n", "must start with a '---'"},
		{"unclosed", "---\nid: x\n", "not closed"},
		{"bad id", "---\nid: Bad ID\ntitle: t\n---\n", "field id"},
		{"no title", "---\nid: x\n---\n", "field title"},
		{"unknown field", "---\nid: x\ntitle: t\nsteps_: []\n---\n", "steps_"},
		{"bad matcher", "---\nid: x\ntitle: t\nalerts: ['alertname=']\n---\n", "alerts[0]"},
		{"bad action", "---\nid: x\ntitle: t\nsteps: [{title: a, action: reboot}]\n---\n", "steps[0].action"},
		{"args without action", "---\nid: x\ntitle: t\nsteps: [{title: a, args: {k: v}}]\n---\n", "steps[0].args"},
		{"step without title", "---\nid: x\ntitle: t\nsteps: [{text: a}]\n---\n", "steps[0].title"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runbooks.Parse("t.md", []byte(tc.src))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Contains(t, err.Error(), "t.md")
		})
	}
	rb, err := runbooks.Parse("crlf.md", []byte(strings.ReplaceAll(custom, "\n", "\r\n")))
	require.NoError(t, err)
	assert.Equal(t, "Body text.", rb.Body)
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("library", "*.md"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(custom))
	f.Add([]byte("---\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rb, err := runbooks.Parse("fuzz.md", data)
		if err != nil {
			return
		}
		// A parsed runbook renders and matches without panicking.
		_ = rb.Markdown()
		_ = rb.MatchesAlert(map[string]string{"alertname": "FeatureDrift"})
		for _, s := range rb.Steps {
			_, _ = s.Expand(map[string]string{"model": "m"})
		}
	})
}
