// Package actuator owns carrying out a registry action (rollback, promote,
// set-traffic) in the serving system: a webhook POSTs the action as JSON to
// a controller (Argo Rollouts, KServe, an in-house router), exec runs a
// command with the action in MLECTL_* environment variables, and file
// atomically rewrites a routing file that a model server watches.
//
// An actuator either succeeds or returns an error worded for the operator;
// the registry commits the new stages only after success.
package actuator
