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

// startShadow serves GET /api/v1/shadow/{model}/report and runs the live
// shadow worker. The simulator logs shadow records beside production ones,
// so the logged comparison (report and source="logged" series) works
// without model files; live scoring stays idle (no candidate model file).
func startShadow(ctx context.Context, pipe *predapi.Pipeline, meta *metaapi.Service, srv *collector.Server, logger *slog.Logger) (*shadow.Service, error) {
	svc, err := shadow.StartService(ctx, shadow.ServiceConfig{
		HandlerConfig: shadow.HandlerConfig{
			Log:      pipe.Log,
			Labels:   func() shadow.Labels { return pipe.Labels() },
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
	pipe.Attach(svc.Live, svc.Live)
	svc.Mount(srv)
	return svc, nil
}
