package demo

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mlectl/mlectl/alerting"
)

//go:embed config/*.yml
var demoConfig embed.FS

// newAlerting builds the demo's rule evaluation: Sloth-compatible SLO rules
// for the demand model and drift rules on the demo's short drift windows.
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
	am, err := alerting.New(alerting.Options{
		Storage:      d.db,
		SLOSpecs:     []string{specPath},
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
