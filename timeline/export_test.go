package timeline

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/events"
)

func TestFormatOf(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"t.json", FormatJSON}, {"T.JSON", FormatJSON}, {"./x/t.md", FormatMarkdown},
		{"postmortem", FormatMarkdown}, {"t.json.md", FormatMarkdown},
	} {
		assert.Equal(t, tc.want, FormatOf(tc.path), tc.path)
	}
}

func TestWriteFileMatchesExport(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	r := Build("demand", at.Add(-time.Hour), at, []events.Event{
		{ID: "1", Time: at.Add(-30 * time.Minute), Kind: events.KindAlertFiring, Model: "demand", Labels: map[string]string{"alertname": "FeatureDrift"}},
		{ID: "2", Time: at.Add(-20 * time.Minute), Kind: events.KindAction, Model: "demand", Action: "rollback", Result: events.ResultOK, Text: "rollback demand: v12 → v11"},
	})
	dir := t.TempDir()
	for _, tc := range []struct{ file, format string }{{"a.md", FormatMarkdown}, {"a.json", FormatJSON}} {
		path := filepath.Join(dir, tc.file)
		require.NoError(t, r.WriteFile(path, FormatOf(path)))
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Contains(t, string(got), "rollback demand: v12 → v11")
		switch tc.format {
		case FormatJSON:
			want, err := r.JSON()
			require.NoError(t, err)
			assert.Equal(t, want, got)
		default:
			assert.Equal(t, r.Markdown(), got)
		}
	}
	_, err := r.Export("pdf")
	require.ErrorContains(t, err, `"pdf" must be md or json`)
	require.Error(t, r.WriteFile(filepath.Join(dir, "missing", "a.md"), FormatMarkdown))
}
