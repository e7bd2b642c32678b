// Package training owns the training-run log of the collector: one entry
// per training job of a model (POST /api/v1/training-runs: model, version,
// status succeeded|failed|cancelled, started, ended, cost), kept in the
// metadata badger database under its own key prefix, never updated or
// deleted, like the event log.
//
// From the log it writes two counters into the TSDB every series interval:
//
//	mle_training_runs_total{model,status}  runs recorded
//	mle_training_cost_total{model}         sum of their cost
//
// Both are the totals of the whole log: counted once when the store opens
// and incremented as runs are added, so after a restart they go on from
// where they were instead of dropping to 0 (rate() and increase() see no
// reset) and no run is counted twice. Training-job success rate per model
// is then a PromQL ratio of the first, training spend the increase of the
// second.
package training
