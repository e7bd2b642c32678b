// Package models owns the console's Models view: one row per model derived
// from the series the collector actually holds (prediction rate, error
// share, p95 latency, drift share) and from its alerts, sorted so the model
// that needs attention first is on top. Columns whose data source the
// collector does not offer show a dash and a "not configured" footnote.
package models
