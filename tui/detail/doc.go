// Package detail owns the console's model detail screen: one model's
// overview charts (latency p95, error rate, traffic, live quality), drift
// per feature (with the selected feature's training baseline beside the
// collector's open drift window, fetched when the selection changes), the shadow comparison, registry versions with rollback and
// promote (behind a typed confirmation, absent in read-only mode) and the
// model's events. All data comes from the collector in tea.Cmds; the view
// only renders what the last fetch returned.
package detail
