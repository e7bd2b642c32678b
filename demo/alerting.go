package demo

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/common/model"

	"github.com/mlectl/mlectl/alerting"
	"github.com/mlectl/mlectl/slo"
)

//go:embed config/*.yml
var demoConfig embed.FS

// newAlerting builds the demo's rule evaluation: Sloth-compatible SLO rules
// for the demand model on time-compressed alert windows
// (config/alert-windows.yml) and drift rules on the demo's drift windows
// (config/drift.yml).
// The SLO spec is written into the data dir because the rules manager loads
// specs by path, as the collector's `rules.slo_specs` does.
func (d *Demo) newAlerting(dir string) (*alerting.Manager, error) {
	spec, err := demoConfig.ReadFile("config/slos.yml")
	if err != nil {
		return nil, fmt.Errorf("demo: read SLO spec: %w", err)
	}
	specPath := filepath.Join(dir, "demo-slos.yml")
	if err := os.WriteFile(specPath, spec, 0o600); err != nil {
		return nil, fmt.Errorf("demo: write SLO spec: %w", err)
	}
	raw, err := demoConfig.ReadFile("config/drift.yml")
	if err != nil {
		return nil, fmt.Errorf("demo: read drift rules: %w", err)
	}
	driftCfg, err := alerting.DecodeDriftConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("demo: drift rules: %w", err)
	}
	// The rules count windows of the pipeline's drift window.
	driftCfg.Window = model.Duration(d.opts.DriftWindow)
	rawWindows, err := demoConfig.ReadFile("config/alert-windows.yml")
	if err != nil {
		return nil, fmt.Errorf("demo: read SLO alert windows: %w", err)
	}
	windows, err := slo.ParseAlertWindows(rawWindows)
	if err != nil {
		return nil, fmt.Errorf("demo: SLO alert windows: %w", err)
	}
	am, err := alerting.New(alerting.Options{
		Storage:  d.db,
		SLOSpecs: []string{specPath},
		// A demo hour lasts five minutes: the pages of a two-minute
		// incident end minutes after the rollback, not hours.
		SLOOptions:   slo.Options{Windows: &windows},
		Drift:        &driftCfg,
		EvalInterval: 5 * time.Second,
		ExternalURL:  d.URL,
		StateDir:     filepath.Join(dir, "alerting"),
		// The demo registers its versions at start; a deploy window would
		// silence the staged incident's notifications.
		DeploySilence: -1,
		Logger:        d.opts.Logger.With("component", "alerting"),
		Registerer:    d.srv.Registry(),
	})
	if err != nil {
		return nil, fmt.Errorf("demo: rules: %w", err)
	}
	return am, nil
}
