// Package route is the one shape of an HTTP endpoint the collector serves:
// method, path pattern, the role a caller needs, and the handler. Each
// subsystem (metadata API, alerting, game days, prediction log, drift,
// shadow) lists its endpoints as Routes; package server puts them in one
// table and mounts only that table, so every endpoint has a declared role
// and nothing is mounted beside it.
package route
