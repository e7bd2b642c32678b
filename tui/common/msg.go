package common

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
