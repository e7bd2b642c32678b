// Package delivery turns the event log into the delivery indicators of
// each model (DORA's deployment frequency, change failure rate and time to
// restore), written into the TSDB every series interval:
//
//	mle_deployments_total{model,version}   deploys of the version
//	mle_rollbacks_total{model}             rollbacks (0 once the model has a deploy)
//	mle_deployments_last_7d{model}         deploys of the last 7 days (gauge)
//	mle_rollbacks_last_7d{model}           rollbacks of the last 7 days (gauge)
//	mle_change_failure_ratio{model}        share of the period's deploys that were rolled back
//	mle_time_to_restore_seconds{model}     impact start to resolution of the last incident
//	                                       resolved in the period
//	mle_mean_time_to_restore_seconds{model} the same, averaged over the period's incidents
//	mle_delivery_period_seconds            the period of the last three
//
// A deploy is a successful registry promote action, a registration
// straight into production (a deploy event with stage="production"), or a
// deploy event posted by a CD system (no stage label); registrations as
// none or shadow, traffic changes and rollbacks are not deploys. A
// rollback is a successful registry rollback action.
//
// The two counters are Prometheus counters rebuilt from the log: counted
// once when the tracker opens (the log survives restarts) and followed as
// events are appended (events.Store.Observe), each event counted once by
// its ID, so after a restart they continue where they were: no reset to 0,
// no deploy counted twice. Deploys per week are the gauge
// mle_deployments_last_7d, not increase(mle_deployments_total[7d]): each
// version's counter is a new series that starts at 1, and increase() takes
// a series' first sample as its base, so it would miss every first deploy.
//
// A deploy counts as failed when a rollback follows it: each rollback
// marks the latest deploy of the model before it that is not yet marked.
// Incidents are cut from the alert events like postmortem timelines
// (package timeline): one opens at the first alert (or SLO breach or drift
// event) while none is open and ends when all its alerts resolved or an
// incident_resolved event closes it; its time to restore is the timeline's
// impact-started to resolved. Ticket-severity alerts (cost over budget, a
// stale feature) are not incidents.
package delivery
