// Package cluster shards models across collectors: each collector owns a
// set of models (an explicit list, or a rendezvous hash of the model name
// over the configured collectors), and a model's prediction log,
// baselines, drift windows, registry, events and audit live on its owner.
//
// There is no consensus protocol: ownership is configuration. A collector
// announces itself and the models it owns as series (mle_collector_info,
// mle_model_owner) through its normal series path; the Directory reads
// them back through the query path (the shared store in remote mode) and
// falls back to the static configuration. Any collector lists every model
// (ModelsHandler merges the peers' lists) and forwards a model's calls to
// its owner (Proxy), with the caller's Authorization header unchanged so
// the owner authenticates and audits the real caller. Alerts stay on the
// collector whose rules raised them; Alerts merges every collector's
// active alerts into one list and forwards an ack to the collector holding
// the alert, found by its id.
package cluster
