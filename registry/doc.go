// Package registry owns the model registry: models with their actuator,
// versions (artifact URI, sha256, owner, training metrics, baseline) and
// their stages (production, shadow, canary with a traffic share, archived),
// and the actions that move versions between stages: rollback, promote and
// set-traffic.
//
// An action is planned (pre-checks: target exists, not archived, has a
// baseline), handed to the model's actuator, and committed only if the
// actuator succeeded, so a failed actuation leaves the registry unchanged.
// One action per model runs at a time; a second one fails fast with
// ErrConflict instead of queueing behind a rollback that may make it moot.
package registry
