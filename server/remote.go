package server

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	config_util "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/storage/remote"

	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/remotestore"
	"github.com/mlectl/mlectl/tsdb"
)

// openRemote prepares storage.metrics: remote: the forwarding queue in
// <data>/forward, and the backend's query API behind the Prometheus API's
// query routes (and, in openRules, behind rule evaluation).
func (s *Server) openRemote() error {
	sc := s.cfg.Collector.Storage
	w := sc.Remote.Write
	hc, err := w.HTTPClientConfig(s.cfg.BaseDir)
	if err != nil {
		return fmt.Errorf("--config storage.remote.write: %w", err)
	}
	u, err := url.Parse(w.URL)
	if err != nil {
		return fmt.Errorf("--config storage.remote.write.url: %w", err)
	}
	timeout := w.Timeout
	if timeout == 0 {
		timeout = remotestore.DefaultRemoteTimeout
	}
	client, err := remotestore.NewWriteClient("mlectl-forward", &remote.ClientConfig{
		URL: &config_util.URL{URL: u}, Timeout: model.Duration(timeout), HTTPClientConfig: hc, Headers: w.Headers,
		RetryOnRateLimit: true,
	})
	if err != nil {
		return fmt.Errorf("--config storage.remote.write: %w", err)
	}
	if s.reads, err = remotestore.NewQueryClient(sc.Remote.Query, s.cfg.BaseDir); err != nil {
		return fmt.Errorf("--config %w", err)
	}
	if s.queue, err = remotestore.Open(remotestore.QueueOptions{
		Dir: filepath.Join(s.cfg.DataDir, "forward"), Client: client, Queue: w.Queue,
		Logger: s.logger.With("component", "forward"), Registerer: s.http.Registry(),
	}); err != nil {
		return err
	}
	s.http.ReadThrough(s.reads.QueryProxy(collector.ExpandWith))
	s.http.StatusThrough(s.reads.TSDBStatusProxy())
	s.logger.Info("metrics store: remote", "write", w.URL, "query", sc.Remote.Query.URL, "local_retention", sc.LocalRetention)
	return nil
}

// ruleQueryFunc evaluates rule queries on the backend in remote mode (nil:
// the rules manager's own engine over the embedded TSDB).
func (s *Server) ruleQueryFunc() func(context.Context, string, time.Time) (promql.Vector, error) {
	if s.reads == nil {
		return nil
	}
	if c := s.cfg.Collector.Cluster; c != nil {
		// A shared store: this collector's rules see its own series only;
		// the fleet's rules (on the collector that evaluates them) see all.
		var fleet []string
		if c.EvaluatesFleetRules() {
			fleet = s.resolveRuleFiles(c.FleetRuleFiles)
		}
		return scopeRuleQueries(s.reads.InstantQuery, c.Name, fleet)
	}
	return s.reads.InstantQuery
}

// metricsStore is what the collector reads and writes: the TSDB, or in
// remote mode the forwarding store (the TSDB as its local cache when
// storage.local_retention is set).
func (s *Server) metricsStore(db *tsdb.DB) collector.Store {
	if s.queue == nil {
		return db
	}
	var cache storage.Storage
	if s.cfg.Collector.Storage.LocalRetention > 0 {
		cache = db
	}
	var store collector.Store = remotestore.NewStore(s.queue, s.reads, cache, s.logger.With("component", "remote store"))
	if c := s.cfg.Collector.Cluster; c != nil {
		// A store shared by the cluster's collectors: each one's samples
		// carry its name (LabelCollector).
		store = withExternalLabel(store, LabelCollector, c.Name)
	}
	return store
}

// runForwarding sends the queue to the backend until ctx ends.
func (s *Server) runForwarding(ctx context.Context) {
	if s.queue == nil {
		return
	}
	if err := s.queue.Run(ctx); err != nil {
		s.logger.Error("forwarding stopped", "err", err)
	}
}
