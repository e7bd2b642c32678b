package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/tsdb"
)

// openStore opens the project's TSDB under o.dataDir. The DB applies
// retention itself; its metrics join the collector's /metrics.
func openStore(_ context.Context, o options, logger *slog.Logger, srv *collector.Server) (collector.Store, error) {
	db, err := tsdb.Open(o.dataDir, tsdb.Options{
		Retention:  o.retention,
		Logger:     logger.With("component", "tsdb"),
		Registerer: srv.Registry(),
		DiskGuard:  srv.DiskGuard(), // seals wait while the disk is below its reserve
	})
	if err != nil {
		return nil, fmt.Errorf("open storage in %s: %w", o.dataDir, err)
	}
	return db, nil
}
