package demo

import (
	"log/slog"

	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/gameday"
)

// newInjector is the demo's game-day injector; the prediction pipeline
// applies it before storing, and mountGameday connects it to the event log
// and the registry once they are open.
func newInjector(logger *slog.Logger) *gameday.Injector {
	return gameday.New(gameday.Options{Logger: logger.With("component", "gameday")})
}

// mountGameday serves the game-day API (access control is off in the demo,
// as for the rest of its API) and records injections in the event log.
func (d *Demo) mountGameday(srv *collector.Server) {
	d.gameday.SetRecorder(d.meta.Recorder())
	d.gameday.SetModels(gameday.KnownModels{Registry: d.meta.Registry, Log: d.pipe.Log})
	gameday.NewHandler(d.gameday, gameday.HandlerOptions{Auth: d.meta.Auth, Audit: d.meta.Audit, Logger: d.opts.Logger.With("component", "gameday")}).Mount(srv)
}
