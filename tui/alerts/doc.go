// Package alerts owns the console's Alerts view: the collector's pending
// and firing alerts (Prometheus /api/v1/alerts shape) with severity, age,
// model and runbook, firing and most severe first. When the collector has
// no alerting endpoint the view says "not configured" and shows nothing
// else.
package alerts
