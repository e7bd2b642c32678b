package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	promtsdb "github.com/prometheus/prometheus/tsdb"

	"github.com/mlectl/mlectl/collector"
)

// openStore opens the TSDB under o.dataDir.
func openStore(_ context.Context, o options, logger *slog.Logger, srv *collector.Server) (collector.Store, error) {
	opts := promtsdb.DefaultOptions()
	opts.RetentionDuration = o.retention.Milliseconds()
	opts.OutOfOrderTimeWindow = time.Hour.Milliseconds()
	db, err := promtsdb.Open(o.dataDir, logger.With("component", "tsdb"), srv.Registry(), opts, nil)
	if err != nil {
		return nil, fmt.Errorf("open storage in %s: %w", o.dataDir, err)
	}
	return db, nil
}
