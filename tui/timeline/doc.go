// Package timeline owns the console's Timeline view: the collector's event
// log (deploys, version changes, alerts, actions, runbook steps, game-day
// injections) newest first, for one model or all, and its export to a
// Markdown postmortem draft or JSON file through the timeline package's own
// exporter, written in a tea.Cmd.
package timeline
