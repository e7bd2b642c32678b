package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/cluster"
	"github.com/mlectl/mlectl/internal/route"
)

// clusterParts are what a collector of a cluster adds (package cluster).
type clusterParts struct {
	dir    *cluster.Directory
	proxy  *cluster.Proxy
	models *cluster.Models
	alerts *cluster.Alerts
}

// openCluster builds the owner directory, the proxy and the merged models
// list when the configuration has a cluster: block.
func (s *Server) openCluster() {
	c := s.cfg.Collector.Cluster
	if c == nil {
		return
	}
	logger := s.logger.With("component", "cluster")
	dir := cluster.NewDirectory(*c, logger)
	proxy := cluster.NewProxy(dir, logger)
	s.cluster = &clusterParts{dir: dir, proxy: proxy, models: cluster.NewModels(dir), alerts: cluster.NewAlerts(dir, proxy)}
	logger.Info("collector of a cluster", "name", c.Name, "url", c.URL, "peers", len(c.Peers), "fleet_rules", c.FleetRules)
}

// Directory is the cluster's owner directory; nil without cluster:.
func (s *Server) Directory() *cluster.Directory {
	if s.cluster == nil {
		return nil
	}
	return s.cluster.dir
}

// ownerCheck refuses prediction records of models another collector owns
// (nil without cluster:). Records are refused rather than forwarded: the
// sender is told the owner once per line and goes there directly, instead
// of every batch crossing two collectors and this one acknowledging what
// only the owner stores.
func (s *Server) ownerCheck() func(model string) error {
	if s.cfg.Collector.Cluster == nil {
		return nil
	}
	return func(model string) error {
		dir := s.cluster.dir
		o, err := dir.Owner(model)
		if err != nil {
			return err
		}
		if o.Name != dir.Self().Name {
			return fmt.Errorf("model %q is owned by collector %s (%s), not %s: send its records there", model, o.Name, o.URL, dir.Self().Name)
		}
		return nil
	}
}

// routeByOwner puts the cluster's routing in front of the mounted routes:
// GET /api/v1/models and GET /api/v1/alerts/state merge every collector's
// list; an ack of another collector's alert goes to it; a route about one
// model (in its path, its model parameter or its JSON body) is served by
// the model's owner; ?collector=NAME sends any call to that collector.
// Prediction ingest stays local (ownerCheck refuses foreign models).
func (s *Server) routeByOwner(routes []route.Route) []route.Route {
	if s.cluster == nil {
		return routes
	}
	p := s.cluster.proxy
	out := make([]route.Route, len(routes))
	for i, r := range routes {
		switch {
		case r.Method == http.MethodGet && r.Pattern == "/api/v1/models":
			r.Handler = p.Wrap(s.cluster.models.Wrap(r.Handler), nil)
		case r.Method == http.MethodGet && r.Pattern == "/api/v1/alerts/state":
			r.Handler = p.Wrap(s.cluster.alerts.WrapList(r.Handler), nil)
		case r.Method == http.MethodPost && r.Pattern == "/api/v1/alerts/ack":
			r.Handler = p.Wrap(s.cluster.alerts.WrapAck(r.Handler, s.holdsAlert), nil)
		case strings.Contains(r.Pattern, "{model}"):
			r.Handler = p.Wrap(r.Handler, cluster.ByPath)
		case r.Method == http.MethodGet && (r.Pattern == "/api/v1/events" || r.Pattern == "/api/v1/predictions/export"):
			r.Handler = p.Wrap(r.Handler, cluster.ByQuery)
		case r.Method == http.MethodPost && (r.Pattern == "/api/v1/events" || r.Pattern == "/api/v1/runbooks/{id}/steps/{step}" || r.Pattern == "/api/v1/gameday/injections"):
			r.Handler = p.Wrap(r.Handler, cluster.ByBody)
		case r.Role == auth.RoleIngest:
			// Records and feedback: stored where they arrive.
		default:
			r.Handler = p.Wrap(r.Handler, nil)
		}
		out[i] = r
	}
	return out
}

// holdsAlert reports whether this collector's alerting engine holds the
// active alert with id.
func (s *Server) holdsAlert(id string) bool {
	if s.Rules == nil {
		return false
	}
	for _, a := range s.Rules.Alerts() {
		if a.ID == id {
			return true
		}
	}
	return false
}

// runCluster announces this collector and its models and reads the
// directory back through the query path, until ctx is done.
func (s *Server) runCluster(ctx context.Context, db storage.Appendable) {
	if s.cluster == nil {
		return
	}
	s.cluster.dir.Run(ctx, db, s.http.RuleStore(), func(ctx context.Context) ([]string, error) {
		ms, err := s.Meta.Registry.List(ctx)
		names := make([]string, len(ms))
		for i, m := range ms {
			names[i] = m.Name
		}
		return names, err
	})
}
