// Package mlmetrics owns the series that describe live model traffic:
// mle_predictions_total{model,version,role,status} and the
// mle_inference_latency_seconds histogram. An Aggregator accumulates
// prediction records and appends the cumulative values to any
// storage.Appendable, so the same series come out whether records arrive
// over the prediction-log API or from the demo's simulator. A model
// version/role that receives nothing for IdleAfter (default 1m) has its
// series ended with Prometheus staleness markers, as Prometheus ends the
// series a target stopped exporting: a version a rollback replaced stops
// reading as serving once rate() windows pass over its last samples.
package mlmetrics
