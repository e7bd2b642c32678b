// Package models owns the console's Models view: one row per model derived
// from the series the collector actually holds (prediction rate, error
// share, p95 latency, drift share), from the Sloth-style SLO recording
// rules `mlectl slo` generates (SLO state, 1h burn rate, budget left; joined
// on a model label or a sloth_service named after the model) and from its
// alerts, and from the model registry when the collector serves it (PROD
// names the registry's production version first and marks versions that
// still drain traffic after a rollback or promotion), sorted so the model that needs attention first is on top. Columns
// whose data source the collector does not offer show a dash and a "not
// configured" footnote.
package models
