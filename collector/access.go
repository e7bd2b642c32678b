package collector

import (
	"net/http"
	"sort"

	"github.com/mlectl/mlectl/auth"
)

// promAPIRoles is the role each route of Prometheus's web/api/v1 (as the
// collector mounts it under /api/v1) needs. Every route the API registers
// must be listed: a route missing here is served to admins only and
// TestPrometheusAPIAccess fails, so a Prometheus upgrade that adds an
// endpoint cannot open it silently.
var promAPIRoles = map[string]auth.Role{
	// Queries and metadata: reads.
	"/query": auth.RoleViewer, "/query_range": auth.RoleViewer,
	"/query_cost": auth.RoleViewer, "/query_range_cost": auth.RoleViewer,
	"/query_exemplars": auth.RoleViewer, "/format_query": auth.RoleViewer, "/parse_query": auth.RoleViewer,
	"/series": auth.RoleViewer, "/labels": auth.RoleViewer, "/label/:name/values": auth.RoleViewer,
	"/metadata": auth.RoleViewer, "/read": auth.RoleViewer,
	"/search/label_names": auth.RoleViewer, "/search/label_values": auth.RoleViewer, "/search/metric_names": auth.RoleViewer,
	// Scrape, rules and alerting state: reads.
	"/scrape_pools": auth.RoleViewer, "/scrape_pools/config": auth.RoleViewer,
	"/targets": auth.RoleViewer, "/targets/metadata": auth.RoleViewer, "/targets/relabel_steps": auth.RoleViewer,
	"/alertmanagers": auth.RoleViewer, "/rules": auth.RoleViewer, "/alerts": auth.RoleViewer,
	// Server status (flags and runtimeinfo name the data dir, working
	// directory and host): reads, so auth: strict needs a token for them.
	"/status/config": auth.RoleViewer, "/status/flags": auth.RoleViewer, "/status/runtimeinfo": auth.RoleViewer,
	"/status/buildinfo": auth.RoleViewer, "/status/tsdb": auth.RoleViewer, "/status/tsdb/blocks": auth.RoleViewer,
	"/status/walreplay": auth.RoleViewer, "/status/self_metrics": auth.RoleViewer,
	"/notifications": auth.RoleViewer, "/notifications/live": auth.RoleViewer,
	"/features": auth.RoleViewer, "/openapi.yaml": auth.RoleViewer,
	// Ingest receivers: remote write is off in Prometheus's API (the
	// collector's own POST /api/v1/write takes precedence on its mux);
	// the OTLP receiver is on. Both follow ingest_auth (see GuardWrite).
	"/write": auth.RoleIngest, "/otlp/v1/metrics": auth.RoleIngest,
	// TSDB admin (turned off, refused with 403 by the guard as well).
	"/admin/tsdb/delete_series": auth.RoleAdmin, "/admin/tsdb/clean_tombstones": auth.RoleAdmin, "/admin/tsdb/snapshot": auth.RoleAdmin,
	// CORS preflight: answers headers only.
	"/*path": auth.RoleNone,
}

// storageReads are the Prometheus API routes that read the store: they run
// in the query gate's CPU turns (see queryGate).
var storageReads = map[string]bool{
	"/query": true, "/query_range": true, "/query_exemplars": true, "/series": true, "/labels": true,
	"/label/:name/values": true, "/read": true, "/metadata": true,
}

// Route is one route the server itself mounts, with the role it needs
// (Public routes need none).
type Route struct {
	// Pattern is the path under the server root; Prometheus API routes
	// keep the router's :param and *wildcard syntax.
	Pattern string
	// Methods are the HTTP methods a built-in route answers; empty for
	// Prometheus API routes, whose router does not report them.
	Methods []string
	Role    auth.Role
	// Ruled is false for a Prometheus API route missing from
	// promAPIRoles (then served to admins only).
	Ruled bool
}

// Routes lists every route on the server's mux: those New mounts
// (Prometheus's API, the remote write receiver, /api/v1/status/tsdb,
// /metrics and the health probes) and those added with Mount and Handle.
// Tests walk it to check access control.
func (s *Server) Routes() []Route {
	out := append([]Route(nil), s.routeList...)
	sort.Slice(out, func(i, j int) bool { return out[i].Pattern < out[j].Pattern })
	return out
}

// access is the server's access control; nil until Authorize.
type access struct{ authn *auth.Authenticator }

// Authorize makes every built-in read route (Prometheus's API, status/tsdb)
// need the role listed for it and /metrics the role of metrics_auth:
// under auth: strict a viewer token, under the default mode nothing for
// reads. The health probes stay open. Until it is called (a Server used as
// a library, in tests) nothing is checked. Remote write is guarded apart,
// by GuardWrite. Call it before Serve.
func (s *Server) Authorize(a *auth.Authenticator) { s.access.Store(&access{a}) }

// guard wraps h so that at request time it runs only for callers the
// authenticator (if any) admits for need; metrics selects the role of
// metrics_auth instead of need.
func (s *Server) guard(need auth.Role, metrics bool, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		acc := s.access.Load()
		if acc == nil {
			h.ServeHTTP(w, r)
			return
		}
		var ok bool
		if metrics {
			r, ok = acc.authn.AdmitMetrics(w, r)
		} else {
			r, ok = acc.authn.Admit(w, r, need, nil)
		}
		if ok {
			h.ServeHTTP(w, r)
		}
	})
}

// promRoute records a Prometheus API route and guards it.
func (s *Server) promRoute(name string, h http.Handler) http.Handler {
	role, ruled := promAPIRoles[name]
	if !ruled {
		role = auth.RoleAdmin // fail closed
	}
	s.addRoute(Route{Pattern: "/api/v1" + name, Role: role, Ruled: ruled})
	if backendReads[name] {
		h = s.viaBackend(h)
	}
	if storageReads[name] {
		h = s.queries.reading(h)
	}
	if role == auth.RoleIngest {
		// Ingest follows ingest_auth as remote write does, not the
		// read roles of Authorize.
		h = s.queries.ingesting(refuseWhenFull(s, h))
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if g := s.ingestGuard.Load(); g != nil {
				(*g)(h).ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	return s.guard(role, false, h)
}

// addRoute records r once per pattern and role (a Prometheus route
// registered for several methods is reported once per method by the
// router).
func (s *Server) addRoute(r Route) {
	for i := range s.routeList {
		if s.routeList[i].Pattern == r.Pattern && s.routeList[i].Role == r.Role && s.routeList[i].Ruled == r.Ruled {
			s.routeList[i].Methods = append(s.routeList[i].Methods, r.Methods...)
			return
		}
	}
	s.routeList = append(s.routeList, r)
}

// refuseWhenFull answers 507 before h when the data dir is below
// limits.min_free_disk_bytes, as remote write does.
func refuseWhenFull(s *Server, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.disk.Load().Check(); err != nil {
			s.refuseFull(w, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}
