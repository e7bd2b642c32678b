package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/metaapi"
	predapi "github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/shadow"
)

// startShadow mounts GET /api/v1/shadow/{model}/report (role viewer) and
// starts live shadow scoring of production records through each model's
// registered candidate. Close the service before the registry closes.
func startShadow(ctx context.Context, pipeline *predapi.Pipeline, meta *metaapi.Service, srv *collector.Server, logger *slog.Logger) (*shadow.Service, error) {
	svc, err := shadow.StartService(ctx, shadow.ServiceConfig{
		HandlerConfig: shadow.HandlerConfig{
			Log:      pipeline.Log,
			Labels:   func() shadow.Labels { return pipeline.Labels() },
			Registry: meta.Registry,
			Logger:   logger.With("component", "shadow"),
			Middleware: func(_ string, h http.Handler) http.Handler {
				return meta.Auth.Require(auth.RoleViewer, h, nil)
			},
		},
		Live: &shadow.LiveOptions{},
	})
	if err != nil {
		return nil, err
	}
	pipeline.Attach(svc.Live, svc.Live)
	svc.Mount(srv)
	return svc, nil
}
