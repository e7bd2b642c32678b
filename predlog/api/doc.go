// Package api owns the collector's prediction-log HTTP endpoints:
//
//	POST /api/v1/predictions          NDJSON records (gzip, zstd accepted)
//	GET  /api/v1/predictions/export   stream records back (ndjson or csv;
//	                                  injected=include (default)|exclude|only
//	                                  selects game-day records; training
//	                                  exports pass exclude)
//	POST /api/v1/feedback             NDJSON ground-truth labels
//	PUT  /api/v1/baselines/{model}/{version}  a training profile (JSON)
//	GET  /api/v1/baselines/{model}/{version}
//	PUT  /api/v1/contracts/{model}    a data contract (YAML)
//	GET  /api/v1/contracts/{model}
//
// Ingest reads the whole body, decodes it line by line, stores the good
// records durably in the prediction log and only then answers: 200 when every
// line was good, 400 when some were bad (the good ones are stored all the
// same; the JSON answer counts both and names line and field of each error),
// 413 when the body, its decoded size or its record count is over a limit
// (nothing is stored), 503 when the log could not commit (nothing is
// acknowledged). A line longer than MaxLineBytes is one bad line, not a
// failed request. Records of a model nobody registered are accepted.
//
// Before a batch is stored, Config.Transformers may rewrite it (the
// game-day injector, which marks what it changed Injected); ServeIngest and
// Ingest both apply them, and call the commit each returns only once the
// batch is stored.
//
// After a batch is durable, the Handler hands it to its observers: the
// traffic aggregator (mlmetrics), the contract checker, the label joiner and
// any Observer in Config.Observers (the streaming drift windows). Their
// series are written by AppendSeries, which Run calls on an interval.
//
// Mounting in the collector (package server does it): OpenPipeline(ctx,
// dataDir, PipelineOptions{}) opens <dataDir>/predlog and wires every part;
// Routes lists the endpoints with the role each needs (viewer for the GETs,
// ingest for the POSTs and PUTs), which the collector's route table guards
// (auth.RequireIngest: open, or a token of role ingest or higher with
// ingest_auth: token) and mounts (the method+path patterns win over its
// "/api/v1/" catch-all); go p.Run(ctx, store, 15*time.Second) once the TSDB
// is attached writes the series, compacts small blocks and applies
// retention, and p.Close() comes after the HTTP server has stopped. Mount
// (with PipelineOptions.Middleware) serves the routes on any mux, for tests
// and tools.
package api
