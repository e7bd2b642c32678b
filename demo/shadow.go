package demo

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

// mountShadow serves GET /api/v1/shadow/{model}/report. The simulator logs
// shadow records beside production ones, so the logged comparison works
// without model files; live scoring stays off (no candidate model file).
func mountShadow(ctx context.Context, pipe *predapi.Pipeline, meta *metaapi.Service, srv *collector.Server, logger *slog.Logger) error {
	svc, err := shadow.StartService(ctx, shadow.ServiceConfig{HandlerConfig: shadow.HandlerConfig{
		Log:      pipe.Log,
		Labels:   func() shadow.Labels { return pipe.Labels() },
		Registry: meta.Registry,
		Logger:   logger.With("component", "shadow"),
		Middleware: func(_ string, h http.Handler) http.Handler {
			return meta.Auth.Require(auth.RoleViewer, h, nil)
		},
	}})
	if err != nil {
		return err
	}
	svc.Mount(srv)
	return nil
}
