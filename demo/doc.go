// Package demo owns `mlectl demo`: an in-process collector on a temporary
// badger directory, assembled by server.Assemble exactly as cmd/collector
// assembles one (from a collector configuration the demo writes, plus the
// tuning of a time-compressed run: see serverConfig), fed by the
// simulator (package sim) with traffic from three models: predictions as
// NDJSON to /api/v1/predictions, ground-truth labels later (80% coverage) to
// /api/v1/feedback, training profiles as baselines, so traffic, quality and
// streaming drift series come from the collector itself; an incident is
// staged after about a minute and a registry rollback ends it.
package demo
