package route

import (
	"net/http"

	"github.com/mlectl/mlectl/auth"
)

// Route is one endpoint.
type Route struct {
	// Method is the HTTP method; empty for a Prometheus API route, whose
	// router answers each method itself.
	Method string
	// Pattern is the path in http.ServeMux syntax (/api/v1/models/{model});
	// Prometheus API routes keep their router's :param and *wildcard.
	Pattern string
	// Role is what a caller needs. RoleIngest routes are open under
	// ingest_auth: open, and RoleViewer reads open under auth: default,
	// as package auth decides at request time.
	Role auth.Role
	// Open marks a route that needs no role on purpose (health probes,
	// CORS preflight); a route with RoleNone and not Open has no role.
	Open bool
	// Handler serves the route. Subsystems that audit refusals (metadata,
	// alerting, game days) return it guarded for Role; the others return
	// it bare and the server guards it for Role.
	Handler http.Handler
}

// MuxPattern is the http.ServeMux pattern: "METHOD /path".
func (r Route) MuxPattern() string {
	if r.Method == "" {
		return r.Pattern
	}
	return r.Method + " " + r.Pattern
}

// Access names the role for tables and errors: "open" or the role.
func (r Route) Access() string {
	if r.Open {
		return "open"
	}
	return r.Role.String()
}

// Mux is where routes are mounted: *http.ServeMux, or the collector's
// Server (which instruments and records each one).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Mount registers every route on m, for callers without a route table
// (tests, tools that serve one subsystem).
func Mount(m Mux, routes []Route) { MountWrapped(m, routes, nil) }

// MountWrapped is Mount with each handler passed through wrap (with its mux
// pattern) first, when wrap is not nil: a subsystem's own middleware for
// tests and tools that mount it without the collector's route table.
func MountWrapped(m Mux, routes []Route, wrap func(pattern string, h http.Handler) http.Handler) {
	for _, r := range routes {
		h := r.Handler
		if wrap != nil {
			h = wrap(r.MuxPattern(), h)
		}
		m.Handle(r.MuxPattern(), h)
	}
}
