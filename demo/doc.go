// Package demo owns `mlectl demo`: an in-process collector on a temporary
// badger directory, fed by the simulator (package sim) with traffic from
// three models, per-feature drift computed every few seconds against each
// model's training profile, and an incident staged after about a minute.
package demo
