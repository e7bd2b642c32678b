// Package placeholder owns the console views whose collector APIs arrive in
// later releases (Timeline, Runbooks, Game day). Each probes its endpoint
// and says "not configured" while the collector answers 404; it never
// shows invented content.
package placeholder
