// Package mlmetrics owns the series that describe live model traffic:
// mle_predictions_total{model,version,role,status} and the
// mle_inference_latency_seconds histogram. An Aggregator accumulates
// prediction records and appends the cumulative values to any
// storage.Appendable, so the same series come out whether records arrive
// over the prediction-log API or from the demo's simulator.
package mlmetrics
