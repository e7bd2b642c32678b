// Package runbooks owns operator runbooks: Markdown files with YAML front
// matter (id, title, alert matchers, models, owner, steps with optional
// actions), the embedded default library shipped in the binary, loading an
// operator's directory over it, and linking a firing alert to its runbooks
// (through the rule's runbook/runbook_url annotation or the matchers).
package runbooks
