// Package slo owns SLO specs and their translation into Prometheus rules:
// SLI error-ratio recording rules, SLO metadata rules and multiwindow
// multi-burn-rate alerts, generated exactly as Sloth v0.16.0 generates them
// (same group names, rule order, expressions, labels and annotations; the
// YAML text is byte-identical apart from the header comment), so Sloth's
// dashboards and tooling work on mlectl's rules unchanged.
//
// # Spec formats
//
// version: prometheus/v1 is Sloth's format, read as Sloth reads it: service,
// labels, and slos[] with name, objective (percent), description, labels,
// sli.events.{error_query,total_query} or sli.raw.error_ratio_query (Go
// templates using {{.window}}), and alerting.{name,labels,annotations,
// page_alert,ticket_alert} where page_alert/ticket_alert carry labels,
// annotations and disable. Several specs may share a file, separated by ---.
//
// version: mlectl/v1 is the same format in which an SLO may give an ml:
// block instead of sli:. The block selects the model's series by model and
// optionally version and role labels, and names exactly one SLI kind:
//
//	ml:
//	  model: fraud            # required
//	  version: v3             # optional label matchers
//	  role: primary
//	  latency: {threshold: 0.25}                  # or
//	  availability: {}                            # or
//	  quality: {metric: accuracy, target: 0.9}    # metric: accuracy | mae, or
//	  drift: {threshold: 0.5}                     # threshold optional, default 0.5
//
// Each kind expands to an ordinary Sloth SLI ({S} is the model selector):
//
//   - latency (events): good = requests within threshold seconds.
//     error = sum(rate(mle_inference_latency_seconds_count{S}[w])) -
//     sum(rate(mle_inference_latency_seconds_bucket{S,le="0.25"}[w])),
//     total = sum(rate(mle_inference_latency_seconds_count{S}[w])).
//     The threshold must be a histogram bucket bound; le is printed in the
//     shortest form (0.25, 1, 2.5), as the mlmetrics package exports it.
//   - availability (events): error = sum(rate(mle_predictions_total{S,
//     status="error"}[w])) or vector(0), total = the same over
//     status=~"ok|error". The "or vector(0)" makes a model that never failed
//     (and so exports no error series) read as 0 errors instead of no data.
//   - quality (raw): the share of 5m evaluation windows whose live quality
//     misses the target: avg_over_time((min(avg_over_time(
//     mle_model_accuracy{S}[5m])) < bool target)[w:5m]) for accuracy, and
//     max(...mle_model_mae...) > bool target for MAE. Quality gauges are
//     not event counts, so "good windows / all windows" is the SLI; the
//     worst matching series decides (min accuracy, max MAE).
//   - drift (raw): the share of 5m windows in which any
//     mle_dataset_drift_share{S} sample reached the threshold (>= 0.5 means
//     the dataset drifted): avg_over_time((max(max_over_time(
//     mle_dataset_drift_share{S}[5m])) >= bool 0.5)[w:5m]).
//
// The gauge-based kinds use 5m windows aligned by the subquery step, the
// same length as the shortest SLI window, so the 5m rule holds exactly one
// evaluation window and the longer rules and the 30d rule average them.
//
// # Generated rules
//
// Per SLO, three groups (the alert group is left out when both alerts are
// disabled): sloth-slo-sli-recordings-ID with slo:sli_error:ratio_rate5m, 30m,
// 1h, 2h, 6h, 1d, 3d and the period ratio (30d, computed from the 5m series
// with sum_over_time / count_over_time); sloth-slo-meta-recordings-ID with
// slo:objective:ratio, slo:error_budget:ratio, slo:time_period:days,
// slo:current_burn_rate:ratio, slo:period_burn_rate:ratio,
// slo:period_error_budget_remaining:ratio and sloth_slo_info; and
// sloth-slo-alerts-ID with the page alert (14.4× the budget rate over 1h and
// 5m, or 6× over 6h and 30m) and the ticket alert (3× over 1d and 2h, or 1×
// over 3d and 6h), both named alerting.name and told apart by
// sloth_severity. The burn rates are derived from the share of the budget
// each long window may consume (2%, 5%, 10%, 10%; Google SRE Workbook,
// "Alerting on SLOs"), see WorkbookWindows and BurnRateFor.
//
// # Differences from Sloth
//
// Parsing is stricter: unknown fields are errors (Sloth ignores them), an
// objective of 100 is rejected (no error budget to burn), Sloth plugins
// (slo_plugins, plugins, sli.plugin) are not supported, and errors name the
// field path and line. Several specs in one file produce one rule file with
// all groups (Sloth writes one YAML document per spec, which Prometheus
// would truncate to the first). sloth_version defaults to "mlectl"; only the
// 30d and 28d periods of Sloth's default window catalogue are offered.
package slo
