// Package events owns the append-only operational event log of the collector:
// deploys and version changes, alerts firing and resolving, acknowledgements,
// silences, operator actions with their result, runbook steps, game-day
// injections and free-text annotations.
//
// Events are stored in the collector's metadata badger database under their
// own key prefix, ordered by time; they are never updated or deleted. Writers
// (the API, the registry actions, the rules engine) depend only on the small
// Recorder interface.
package events
