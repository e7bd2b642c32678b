package server

import (
	"context"
	"fmt"
	"time"

	"github.com/mlectl/mlectl/cost"
	"github.com/mlectl/mlectl/delivery"
	"github.com/mlectl/mlectl/training"
	"github.com/prometheus/prometheus/storage"
)

// openSLISeries opens what writes the delivery, cost and training series
// (after the metadata store: they read its event log, registry and
// database). A cost: entry for a model the registry does not know is
// refused here, the registry being where config-declared and API
// registered models meet.
func (s *Server) openSLISeries(ctx context.Context) error {
	c := s.cfg.Collector
	err := c.Cost.CheckModels(func(model string) (bool, error) {
		return training.RegistryModels{Registry: s.Meta.Registry}.Known(ctx, model)
	})
	if err != nil {
		return fmt.Errorf("--config %w", err)
	}
	if !c.Cost.Empty() {
		s.cost = cost.New(c.Cost, s.logger.With("component", "cost"))
	}
	if s.Training, err = training.Open(ctx, s.Meta.DB, training.RegistryModels{Registry: s.Meta.Registry}, s.cfg.MetaClock); err != nil {
		return err
	}
	s.delivery, err = delivery.Open(ctx, s.Meta.Events, delivery.Options{Period: c.Delivery.PeriodOrDefault()})
	return err
}

// writeSLISeries writes the delivery, training and cost series every
// interval until ctx is done.
func (s *Server) writeSLISeries(ctx context.Context, db storage.Storage) {
	t := time.NewTicker(s.cfg.SeriesInterval)
	defer t.Stop()
	for {
		now := time.Now()
		if err := s.delivery.AppendTo(ctx, db, now); err != nil && ctx.Err() == nil {
			s.logger.Warn("writing the delivery series failed", "err", err)
		}
		if err := s.Training.AppendTo(ctx, db, now); err != nil && ctx.Err() == nil {
			s.logger.Warn("writing the training-run series failed", "err", err)
		}
		if s.cost != nil {
			if err := s.cost.AppendTo(ctx, db, now); err != nil && ctx.Err() == nil {
				s.logger.Warn("writing the cost series failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
