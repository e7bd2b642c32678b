// Package scenario owns scripted game-day exercises (mlectl gameday run):
// the scenario YAML (decoded strictly, every error naming its field), the
// Runner that plays its steps against a live collector — inject through the
// game-day API, wait, expect an alert to fire within a time, stop — with
// optional synthetic traffic from package loadgen, and the Report (Markdown
// or JSON): time to detect per expectation, alerts fired, actions taken
// (events of the model in the run's window), injections and pass/fail.
//
// Time to detect is measured from the start of the last inject step before
// the expectation (the start of the expect step when there is none) to when
// a matching alert began firing: the rule evaluation that fired it, as the
// alerting engine's /api/v1/alerts/state says (firedAt, exact whatever the
// poll timing). On a collector that serves only /api/v1/alerts: its
// activeAt when it fired without a pending period after the previous poll,
// else the first poll that saw it firing (late by at most one poll
// interval). An alert counts only when it became active
// after that start: one that was already firing is not a detection.
package scenario
