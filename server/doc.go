// Package server assembles the collector: one function, Assemble, builds
// every subsystem from the collector's configuration (the HTTP server and
// its TSDB, the prediction log with drift, quality and contracts, rules and
// alerting, the registry with its actuators, audit, events, runbooks,
// shadow scoring and game days, persisted injections restored) and mounts
// the one route table of routes.go. cmd/collector and the demo both call
// it; what the demo needs beyond a collector (scaled SLO windows, its drift
// tuning, a clock for its backdated registry) are explicit Config fields,
// not setters on the parts afterwards.
//
// Run serves until its context ends and shuts down in order (oklog/run):
// the HTTP server drains, rule evaluation, series writes and the game-day
// injector stop, then the TSDB is flushed and closed. Close releases the
// rest (shadow worker, prediction log, metadata store, rules manager).
//
// A cluster over a shared metrics store (storage.metrics: remote with
// cluster:, scale.go): every forwarded sample carries collector=<name>
// (Prometheus's external_labels rule), and the rules of this collector
// evaluate on its own series only, the fleet's rule files on all.
package server
