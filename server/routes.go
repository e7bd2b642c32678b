package server

import (
	"net/http"
	"sort"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/training"
)

// table is the collector's route table: every endpoint it serves, with
// method, pattern, the role it needs and its handler. Nothing else is
// mounted (the test walks it against the mux and README's API table).
//
// The first rows are the ones the collector's HTTP server mounts itself
// (Prometheus's web/api/v1 under /api/v1 with promAPIRoles, remote write,
// status/tsdb, /metrics, the probes); their handlers live on that server's
// mux. The metadata API, alerting and game days guard their routes
// themselves, because they audit refusals; the prediction log, drift
// histograms and shadow reports come bare and are guarded here, from the
// role in their row.
func (s *Server) table(mounted []route.Route) []route.Route {
	var t []route.Route
	for _, r := range s.http.Routes() { // built in by collector.New
		if !r.Ruled {
			continue
		}
		methods := r.Methods
		if len(methods) == 0 {
			methods = []string{""}
		}
		for _, m := range methods {
			t = append(t, route.Route{Method: m, Pattern: r.Pattern, Role: r.Role, Open: r.Role == auth.RoleNone && r.Ruled, Handler: s.http.Handler()})
		}
	}
	return append(t, mounted...)
}

// mounted are the rows the subsystems bring; Assemble mounts them on the
// collector's HTTP server.
func (s *Server) mounted() []route.Route {
	var t []route.Route
	t = append(t, s.Meta.Routes()...)
	if s.Rules != nil {
		t = append(t, s.Rules.Routes(s.Meta.Auth, s.Meta.Audit)...)
	}
	t = append(t, s.guard(s.Pipeline.Handler.Routes())...)
	t = append(t, s.guard(s.CloudEvents.Routes())...)
	t = append(t, s.guard(s.OTLPLogs.Routes())...)
	t = append(t, s.guard(skew.NewHandler(s.Pipeline.Skew, nil).Routes())...)
	t = append(t, s.guard(s.Shadow.Routes())...)
	t = append(t, s.guard(training.NewHandler(s.Training, s.logger.With("component", "training")).Routes())...)
	t = append(t, gameday.NewHandler(s.Injector, gameday.HandlerOptions{Auth: s.Meta.Auth, Audit: s.Meta.Audit,
		Logger: s.logger.With("component", "gameday")}).Routes()...)
	return t
}

// guard wraps bare routes in the access control of their role: a viewer
// token for reads (under auth: strict), ingest_auth for ingest; baseline
// and contract uploads are audited even when ingest is open (a silently
// swapped baseline would silence drift alerts).
func (s *Server) guard(routes []route.Route) []route.Route {
	a := s.Meta.Auth
	out := make([]route.Route, len(routes))
	for i, r := range routes {
		switch r.Role {
		case auth.RoleIngest:
			r.Handler = a.RequireIngest(r.Handler, nil)
			if r.Method == http.MethodPut {
				r.Handler = s.Meta.AuditWrites(uploadKind(r.Pattern), r.Handler)
			}
		default:
			r.Handler = a.Require(r.Role, r.Handler, nil)
		}
		out[i] = r
	}
	return out
}

// uploadKind names what a PUT route uploads, for its audit entries.
func uploadKind(pattern string) string {
	if pattern == "/api/v1/contracts/{model}" {
		return "contract"
	}
	return "baseline"
}

// Routes is the route table, sorted by pattern and method.
func (s *Server) Routes() []route.Route {
	out := append([]route.Route(nil), s.routes...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Pattern != out[j].Pattern {
			return out[i].Pattern < out[j].Pattern
		}
		return out[i].Method < out[j].Method
	})
	return out
}
