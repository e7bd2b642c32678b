package shadow

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/mlectl/mlectl/engine"
	predapi "github.com/mlectl/mlectl/predlog/api"
)

// ServiceConfig wires the shadow side of a collector.
type ServiceConfig struct {
	HandlerConfig
	// Live enables live shadow scoring with these options (nil: off).
	// LiveOptions.Registry defaults to HandlerConfig.Registry.
	Live *LiveOptions
}

// Service is the report endpoint and, when enabled, the live scorer with
// its worker running. Hand Live to the prediction pipeline as an observer
// and a series writer (predlog/api Handler.Attach) and Mount the handler.
type Service struct {
	*Handler
	Live   *Live
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// StartService builds the service and starts the live worker, which runs
// until Close (or ctx is done).
func StartService(ctx context.Context, cfg ServiceConfig) (*Service, error) {
	s := &Service{}
	if cfg.Live != nil {
		lo := *cfg.Live
		if lo.Registry == nil {
			lo.Registry = cfg.Registry
		}
		if lo.Backend == nil {
			lo.Backend = cfg.Backend
		}
		if lo.Logger == nil {
			lo.Logger = cfg.Logger
		}
		s.Live = NewLive(lo)
		cfg.HandlerConfig.Live = s.Live
	}
	h, err := NewHandler(cfg.HandlerConfig)
	if err != nil {
		return nil, fmt.Errorf("shadow service: %w", err)
	}
	s.Handler = h
	if s.Live != nil {
		runCtx, cancel := context.WithCancel(ctx)
		s.cancel = cancel
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.Live.Run(runCtx)
		}()
	}
	return s, nil
}

// Close stops the live worker and waits for it.
func (s *Service) Close() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
}

// StartOnPipeline is how a process hosting the prediction pipeline (the
// collector's assembly, package server) runs shadow comparison: it hooks
// live scoring into pipe and starts its worker; the caller mounts Routes
// (GET /api/v1/shadow/{model}/report) behind its access control. Close the
// service before the registry and the log close. backend scores the
// candidates of live and replay shadow (nil: the CPU).
func StartOnPipeline(ctx context.Context, pipe *predapi.Pipeline, reg Registry, backend engine.Backend, logger *slog.Logger) (*Service, error) {
	svc, err := StartService(ctx, ServiceConfig{
		HandlerConfig: HandlerConfig{
			Log:      pipe.Log,
			Labels:   func() Labels { return pipe.Labels() },
			Registry: reg,
			Backend:  backend,
			Logger:   logger.With("component", "shadow"),
		},
		Live: &LiveOptions{},
	})
	if err != nil {
		return nil, err
	}
	pipe.Attach(svc.Live, svc.Live)
	return svc, nil
}
