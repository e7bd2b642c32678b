// Package client owns the Go HTTP client for the mlectl collector API: the
// Prometheus-compatible query endpoints (/api/v1/query, query_range, series,
// labels, status), the health probes (/-/healthy, /-/ready), the alerting
// endpoints (/api/v1/rules, /api/v1/alerts) and the calls the console makes
// beyond them: runbooks and their steps, the event log, game-day
// injections (meta.go), the registry actions, acks, silences and the
// shadow report (ops.go).
//
// Every method takes a context and returns typed results decoded from the
// Prometheus JSON envelope. A collector that answers an API-level error
// yields an *APIError carrying errorType and message; an endpoint the
// collector does not serve (HTTP 404) yields an error wrapping
// ErrNotConfigured so callers can say "not configured" instead of inventing
// data.
package client
