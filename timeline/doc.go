// Package timeline owns postmortem timelines: it turns the events of an
// incident window into milestones (impact started, detected, acknowledged,
// mitigated, resolved), the durations between them, and a Markdown draft in
// the shape of Google's postmortem template or the same content as JSON.
// It is pure and imports only package api and the standard library (the
// console builds timelines client-side): callers fetch the events (from the
// event store or the API).
package timeline
