// Package api holds what crosses the collector's HTTP API: the JSON bodies
// the client sends and receives (registry models, versions and actions, the
// event log, alerts, acks and silences, runbooks and their step results,
// shadow reports, baselines and drift histograms, game-day injections, the
// Prometheus-compatible status answers) and the catalog of the mle_* metric
// names the collector writes.
//
// It imports the standard library only, so that the client and the console
// can speak to a collector without compiling its storage, query engine or
// rules. The server packages import api (registry.Version is api.Version),
// never the other way round; a type that carries server state (a parsed
// runbook's matchers, a silence's parsed selector) keeps its own type in
// its package and marshals to the same JSON as its api counterpart here.
//
// Field names and JSON shapes are the API's contract: changing one breaks
// every client in the field.
package api
