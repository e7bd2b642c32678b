// Package runbooks owns the console's Runbooks view: the list of the
// collector's runbooks, and one runbook's Markdown rendered with glamour in
// a fixed style (dark; notty without colour; ascii for --ascii — never
// detected from the terminal), word-wrapped to the width and scrollable,
// with its steps runnable through the collector. A step that acts on a
// model (rollback, promote) runs only after the model's name is typed in
// the confirm dialog; a rollback step's dialog names from → to and offers
// the registry's targets, the previous production version first (↑/↓
// picks another, sent as the step's to); --read-only hides running steps.
package runbooks
