package common

import (
	"context"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// NavigateMsg asks the root model to open a view, e.g. a Models row opening
// the Query view with a prepared expression.
type NavigateMsg struct {
	View string // command name: models, alerts, query, ...
	Arg  string // view-specific argument (the query for "query")
	// Labels go with Arg: an alert's labels when it opens its runbook
	// (they fill the runbook steps' ${placeholders}).
	Labels map[string]string
}

// ErrorLine renders an error for the one-line footnote area of a view.
func (c Common) ErrorLine(prefix string, err error) string {
	return c.Styles.Error.Render(prefix + ": " + err.Error())
}

// Call is the tea.Cmd of one collector call: fn runs off the update loop
// with a context derived from the console's, bounded by timeout.
func (c Common) Call(timeout time.Duration, fn func(ctx context.Context) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(c.Ctx, timeout)
		defer cancel()
		return fn(ctx)
	}
}
