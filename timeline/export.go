package timeline

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/internal/atomicfile"
)

// Export formats.
const (
	FormatMarkdown = "md"
	FormatJSON     = "json"
)

// FormatOf picks the export format from a file name: .json is JSON,
// anything else the Markdown postmortem draft.
func FormatOf(path string) string {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return FormatJSON
	}
	return FormatMarkdown
}

// Export renders the report in format (md or json). It is the one exporter
// both `mlectl timeline export` and the console's timeline view use.
func (r *Report) Export(format string) ([]byte, error) {
	switch format {
	case FormatJSON:
		return r.JSON()
	case FormatMarkdown, "":
		return r.Markdown(), nil
	}
	return nil, fmt.Errorf("timeline format %q must be md or json", format)
}

// WriteFile exports the report to path atomically (a reader never sees a
// half-written file).
func (r *Report) WriteFile(path, format string) error {
	b, err := r.Export(format)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, b, 0o644); err != nil {
		return fmt.Errorf("writing timeline: %w", err)
	}
	return nil
}

// Describe is the one-line summary of an event the exports use in their
// Details column.
func Describe(e api.Event) string { return eventDetails(e) }
