// Package gameday owns game-day fault injection in the collector: the
// Injector holds the active injections (model, optional version, feature,
// kind, magnitude, end time), rewrites matching prediction records before
// they are stored (it is a predlog/api Transformer), marks every record it
// changed Injected, counts them per injection, ends injections at their end
// time, and records their start and stop in the event log (kind
// "injection", action "start" or "stop") so the timeline shows them.
//
// Kinds (magnitude in parentheses):
//
//	shift    feature += magnitude·σ, σ the feature's baseline standard
//	         deviation (absolute units when the model version has no baseline)
//	scale    feature *= magnitude
//	nulls    a fraction (0..1) of records get the feature set to null
//	swap     a fraction (0..1) of records get their categorical value replaced
//	         by another category seen (baseline or traffic)
//	latency  latency_ms *= magnitude (feature ignored)
//	errors   a fraction (0..1) of records get status "error" (feature ignored)
//
// Fractions draw from a PCG generator seeded per injection, so a test that
// replays the same seed knows exactly which records were hit. Injections
// are stored (Restore, Store: the prediction log's meta namespace) before
// a start is acknowledged: after a crash the active ones resume until their
// end, and one whose end passed meanwhile ends with its stop event dated at
// its end. A graceful stop ends the active ones (Run, Shutdown) and records
// their stop events (reason "collector stopped"), so the timeline shows no
// injection that never ends. Every stop event has a label reason:
// "duration over", "stopped" (by its actor) or "collector stopped".
// Injected records keep flowing to the streaming drift windows (the point of
// a game day) but the live quality joiner skips them and exports can exclude
// them (injected=exclude).
//
// HTTP (Handler, mounted by the collector and the demo):
//
//	POST   /api/v1/gameday/injections       start one (responder)
//	GET    /api/v1/gameday/injections       active and ended, newest first (viewer)
//	DELETE /api/v1/gameday/injections/{id}  stop one (responder)
//
// Subpackages: loadgen posts CSV rows as predictions at a fixed rate;
// scenario decodes and runs scripted exercises (mlectl gameday run).
package gameday
