// Package gameday owns the console's Game day view: the collector's fault
// injections (active and ended), a small form to start one (model,
// feature, kind, magnitude, duration) behind the typed-confirmation
// dialog, and stopping the selected one. When the collector answers 404
// the view says "not configured" and offers nothing; --read-only removes
// start and stop.
package gameday
