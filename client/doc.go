// Package client is the one Go client of the mlectl collector API: the
// Prometheus-compatible query endpoints (/api/v1/query, query_range, series,
// labels, status), the health probes (/-/healthy, /-/ready), the alerting
// endpoints (/api/v1/rules, /api/v1/alerts, alert state, acks, silences),
// the registry (models, versions, rollback, promote, traffic), the event
// log, runbooks and their steps, the audit log, game-day injections, the
// shadow report, and the prediction pipeline (ingest, feedback, export,
// baselines, drift histograms). The console (tui/), the command line
// (cmd/mlectl), game-day scenarios and the demo all call the collector
// through it.
//
// It imports package api (the wire types) and the standard library only,
// so its users compile without the collector's storage or query engine
// (deps_test.go checks it). Every method takes a context; every call is
// also bounded by the HTTP client's timeout (DefaultTimeout, or
// WithTimeout).
//
// Every method returns typed results decoded from the Prometheus JSON
// envelope. A collector that answers an API-level error yields an *APIError
// carrying errorType and message; an endpoint the collector does not serve
// (HTTP 404) yields an error wrapping ErrNotConfigured, so the console can
// say "not configured" instead of inventing data. WithOperatorErrors words
// refusals for a command line instead. The prediction pipeline answers
// outside the envelope; its refusals are *StatusError. A collector that
// does not answer yields an *UnreachableError.
package client
