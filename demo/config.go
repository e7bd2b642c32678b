package demo

import (
	"embed"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/metaapi"
	"github.com/mlectl/mlectl/server"
	"github.com/mlectl/mlectl/slo"
)

//go:embed config/*.yml
var demoConfig embed.FS

// serverConfig is the demo's collector configuration: what a collector.yaml
// would say (auth off, the demo's models with webhook actuators, its drift
// window, Sloth-compatible SLO rules for the demand model and drift rules),
// parsed as cmd/collector parses one, plus the tuning of a time-compressed
// run that no configuration file offers.
//
// The SLO spec is written into the data dir because the rules load specs by
// path (rules.slo_specs, relative to the configuration's directory).
func (d *Demo) serverConfig(dir, routeURL string) (server.Config, error) {
	spec, err := demoConfig.ReadFile("config/slos.yml")
	if err != nil {
		return server.Config{}, fmt.Errorf("demo: read SLO spec: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo-slos.yml"), spec, 0o600); err != nil {
		return server.Config{}, fmt.Errorf("demo: write SLO spec: %w", err)
	}
	var drift map[string]any
	if err := yamlFile("config/drift.yml", &drift); err != nil {
		return server.Config{}, err
	}
	// The rules count windows of the pipeline's drift window.
	window := model.Duration(d.opts.DriftWindow).String()
	drift["window"] = window
	var models []metaapi.ModelConfig
	for _, m := range d.Sim.Models() {
		models = append(models, metaapi.ModelConfig{
			Name: m.Name, Owner: "ml-platform", Description: fmt.Sprintf("demo %s", m.Kind),
			Actuator: actuator.Config{Kind: actuator.KindWebhook, URL: routeURL, TimeoutSeconds: 5},
		})
	}
	var prices map[string]any
	if err := yamlFile("config/cost.yml", &prices); err != nil {
		return server.Config{}, err
	}
	doc := map[string]any{
		// A local demo has no tokens; access control is explicitly off.
		"auth":   auth.ModeDisabled,
		"drift":  map[string]any{"window": window},
		"models": models,
		// Serving prices: mle_cost_* for the overview.
		"cost": prices,
		"rules": map[string]any{
			"evaluation_interval": model.Duration(ruleInterval).String(),
			"slo_specs":           []string{"demo-slos.yml"},
			"drift":               drift,
			"external_url":        d.URL,
			// The demo registers its versions at start; a deploy window
			// would silence the staged incident's notifications.
			"deploy_silence": "-1s",
		},
	}
	if len(d.opts.Tokens) > 0 {
		doc["tokens"] = d.opts.Tokens
	}
	file, err := yaml.Marshal(doc)
	if err != nil {
		return server.Config{}, fmt.Errorf("demo: configuration: %w", err)
	}
	cfg, err := collector.ParseConfigBytes(file)
	if err != nil {
		return server.Config{}, fmt.Errorf("demo: configuration: %w", err)
	}
	cfg.Version = "demo"
	rawWindows, err := demoConfig.ReadFile("config/alert-windows.yml")
	if err != nil {
		return server.Config{}, fmt.Errorf("demo: read SLO alert windows: %w", err)
	}
	windows, err := slo.ParseAlertWindows(rawWindows)
	if err != nil {
		return server.Config{}, fmt.Errorf("demo: SLO alert windows: %w", err)
	}
	if d.sloSpecs, err = slo.Parse(spec); err != nil {
		return server.Config{}, fmt.Errorf("demo: SLO spec: %w", err)
	}
	d.sloWindows = &windows
	return server.Config{
		Collector: cfg, BaseDir: dir, DataDir: dir, Logger: d.opts.Logger,
		SeriesInterval: d.opts.DriftEvery,
		// A version that starts serving (after a rollback) is compared with
		// its own history once it holds four windows: a one-window history
		// would double the noise.
		DriftThreshold: d.opts.DriftThreshold, DriftMinHistory: 4,
		QualityWindow: d.opts.QualityWindow,
		RestoreJoins:  -1,
		// A demo hour lasts five minutes: the pages of a two-minute
		// incident end minutes after the rollback, not hours.
		SLOWindows: &windows,
		// registerVersions dates the demo's rollout before the simulated
		// history, which the current production version served.
		MetaClock: func() time.Time { return time.Now().Add(-time.Duration(d.clockBack.Load())) },
	}, nil
}

func yamlFile(name string, v any) error {
	raw, err := demoConfig.ReadFile(name)
	if err != nil {
		return fmt.Errorf("demo: read %s: %w", name, err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("demo: %s: %w", name, err)
	}
	return nil
}

// serveRouting serves the stand-in model server's routing endpoint, where
// the webhook actuator sends routing changes (as to an Argo Rollouts or
// KServe controller), on a port of its own: the collector serves only its
// route table. It returns the endpoint's URL.
func (d *Demo) serveRouting() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("demo: listen for routing changes: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+routePath, d.handleRoute)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	d.router = srv
	// The goroutine serves its own copy: Close may clear d.router before
	// the goroutine is scheduled.
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String() + routePath, nil
}
