package common

import (
	"context"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mlectl/mlectl/tui/styles"
)

// Common is handed to every view at construction.
type Common struct {
	// Ctx bounds every collector call a view starts; the root cancels it
	// when the console exits so in-flight requests stop with it.
	Ctx    context.Context
	Styles styles.Styles
	// Now is the console's clock; tests fix it so ages render stably.
	Now func() time.Time
	// ASCII restricts drawing to 7-bit characters (charts, markers).
	ASCII bool
	// ReadOnly hides actions that change collector state.
	ReadOnly bool
	// RemoteSession is set when the console runs for someone else's
	// terminal (an SSH session): a file the console wrote would land on the
	// server's disk, not the user's, so file exports are refused.
	RemoteSession bool
}

// NotConfigured is the text views show for a data source the collector
// does not serve yet.
const NotConfigured = "not configured"

// Dash marks a cell whose data source does not exist.
const Dash = "—"

// DashFor returns the "no data" marker for the drawing mode.
func (c Common) DashFor() string {
	if c.ASCII {
		return "-"
	}
	return Dash
}

// Fit cuts s to at most width display cells, one line.
func Fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	return ansi.Truncate(s, width, "…")
}
