// Package alerting owns rule evaluation and alert notification for the
// collector: Prometheus rule groups (plain rule files, rules generated from
// SLO specs by package slo, and drift rules generated from DriftConfig)
// evaluated by Prometheus's own rules package on a storage.Storage, the
// resulting alerts sent to Alertmanager (Prometheus's notifier, API v2) and
// to generic webhooks (the Alertmanager webhook payload), and the
// acknowledgements and silences operators put on them.
//
// # Evaluation
//
// New loads every source through one rules.GroupLoader: rule files as
// Prometheus reads them, SLO specs under the file name "slo:<path>" and the
// drift rules under "mlectl:drift-rules" (the names /api/v1/rules shows).
// Groups run with Prometheus's semantics unchanged: for, keep_firing_for,
// pending/firing/inactive, ALERTS and ALERTS_FOR_STATE written to the
// storage, and the for-state restored from ALERTS_FOR_STATE after the
// second evaluation following a restart (OutageTolerance, ForGracePeriod).
// Run evaluates each group in Prometheus's aligned slots; EvalAt evaluates
// all groups at an explicit timestamp, which is how the tests drive time.
//
// Manager implements web/api/v1's RulesRetriever (RuleGroups,
// AlertingRules) and AlertmanagerRetriever, so the collector's Prometheus
// API answers /api/v1/rules, /api/v1/alerts and /api/v1/alertmanagers from
// it.
//
// # Notifications
//
// The rules package calls the manager with the alerts due for sending
// (firing ones every ResendDelay, resolved ones for 15 minutes). The
// manager drops those matched by an active silence, hands the rest to
// Prometheus's notifier for every configured Alertmanager (POST
// /api/v2/alerts, queued and resent exactly as Prometheus does) and, for
// webhooks, sends one Alertmanager-format message (version "4", one alert
// per message, groupKey {}:{labels}) when an alert starts firing, when it
// resolves and every RepeatInterval while it fires unacknowledged. Each
// webhook has its own bounded queue (the oldest message is dropped when it
// is full) and goroutine; an attempt times out after Webhook.Timeout, and
// network errors, 429 and 5xx are retried with exponential backoff. Neither
// path ever blocks evaluation.
//
// Silencing is done here, before Alertmanager: a silenced alert is not sent
// to Alertmanager either, which therefore treats it as resolved once its
// endsAt passes.
//
// # Events
//
// Through Options.Recorder: alert_firing and alert_resolved on every
// transition to and from firing (pending is not an event), with the
// alert's labels, its model (label model, else sloth_service), actor
// "rules" and the alert's own firing/resolved time; slo_breach in addition
// for SLO alerts (label sloth_slo) and drift_detected for the drift alerts;
// ack and silence with the acting principal. The manager does not persist
// which alerts it saw firing, so an alert still firing across a restart is
// recorded as firing again.
//
// # Acknowledgements and silences
//
// Handler serves them (auth roles: viewer to read, responder to write;
// AuditedHandler also appends every mutating call to the audit log):
//
//	GET    /api/v1/alerts/state     pending and firing alerts with id (the
//	                                Alertmanager fingerprint), ack, silences
//	POST   /api/v1/alerts/ack       {"id": "...", "comment": "..."}
//	GET    /api/v1/silences
//	POST   /api/v1/silences         {"matchers": "alertname=\"X\", model=\"m\"",
//	                                 "duration": "1h" | "endsAt": RFC3339,
//	                                 "startsAt": optional, "comment": "..."}
//	DELETE /api/v1/silences/{id}    expire now
//
// Matchers use PromQL selector syntax; at least one must need a non-empty
// value, and a silence lasts at most 90 days. An ack lasts until the
// alert resolves and stops webhook repeats. Silences and acks are kept in
// StateDir/silences.json. Manager.Silence implements metaapi.Silencer
// for runbook silence steps. A deploy or version_change event for a model
// (NoteDeploy, or polled from Options.DeployEvents) opens a suppression
// window: a silence on model="<model>" for DeploySilence (default 15m).
//
// # Drift rules
//
// DriftConfig is the YAML below; every field is optional:
//
//	interval: 1m          # group evaluation interval (default EvalInterval)
//	window: 5m            # one drift window: how often drift series are written
//	min_events: 100       # low-traffic guard (-1: off)
//	defaults:             # apply to every model
//	  feature_windows: 3  # FeatureDrift after N consecutive drifted windows (-1: off)
//	  dataset_share: 0.3  # DatasetDrift when mle_dataset_drift_share exceeds it (-1: off)
//	  skew_windows: 1     # TrainingServingSkew after N windows drifted against="baseline" (-1: off)
//	  for: 0s             # pending period of each alert
//	  severity: ticket    # FeatureDrift, DatasetDrift
//	  skew_severity: page # TrainingServingSkew
//	  explanation_coverage: 0.95 # ExplanationCoverageLow (-1: off)
//	  feature_freshness: 1h      # FeatureStale: p99 feature age; 1s for online features (-1s: off)
//	  label_coverage: 0.5        # LabelCoverageLow (-1: off)
//	models:               # per-model overrides (same keys plus model, min_events)
//	  - model: fraud
//	    feature_windows: 2
//
// It generates one group per listed model and one for all other models:
//
//	FeatureDrift:        min_over_time(mle_feature_drifted{S}[N*window]) == 1
//	                     and count_over_time(mle_feature_drifted{S}[N*window]) >= N
//	DatasetDrift:        last_over_time(mle_dataset_drift_share{S}[window]) > X
//	TrainingServingSkew: as FeatureDrift on {S, against="baseline"}
//	ExplanationCoverageLow: last_over_time(mle_explanation_coverage_ratio{S}[window]) < X
//	FeatureStale:        last_over_time(mle_feature_freshness_seconds{S, quantile="0.99"}[window]) > seconds
//	LabelCoverageLow:    last_over_time(mle_label_coverage_ratio{S, role!="shadow"}[window]) < X
//	                     and on (model, version, role) max_over_time(...[1d]) > 0
//
// each followed by the guard "and on (model, version) sum by (model,
// version) (increase(mle_predictions_total{S, role!="shadow"}[window])) >=
// min_events", so a model version that served fewer predictions in the last
// window never alerts on drift. Shadow predictions do not count: a shadow
// version sees the serving version's inputs, so its drift is not a second
// alert; and a version that stops serving (a rollback) resolves one window
// after its traffic ends. Size min_events so that the drift statistic's
// noise at that sample size stays under the threshold (see README, "Tuning
// drift alerts").
// increase() needs two samples of the counter inside the window, which the
// prediction-log pipeline's per-flush counters give; a counter written less
// often than twice per window keeps the guard closed.
// The count term makes "N consecutive windows" mean N verdicts, not one
// verdict seen early. Every alert carries labels severity and model (from
// the series) and a runbook annotation naming a shipped runbook:
// feature-drift for FeatureDrift and DatasetDrift, training-serving-skew
// for TrainingServingSkew. The three SLI tickets (severity ticket, not
// configurable: none of them is an outage) point at feature-explanations,
// feature-freshness and label-coverage.
package alerting
