package alerting

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Config is the collector configuration's `rules:` section:
//
//	rules:
//	  evaluation_interval: 30s
//	  rule_files: [rules/*.yml]        # Prometheus rule files (globs allowed)
//	  slo_specs: [slo/fraud.yml]       # SLO specs (slo package formats)
//	  drift: {min_events: 100, ...}    # DriftConfig; omitted: no drift rules
//	  alertmanagers: [http://127.0.0.1:9093]
//	  webhooks: [https://hooks.example/mlectl]
//	  external_url: http://collector:9710
//	  repeat_interval: 4h
//	  deploy_silence: 15m              # -1s disables
//	  outage_tolerance: 1h
//	  for_grace_period: 10m
//	  resend_delay: 1m
//
// Relative paths resolve against the configuration file's directory.
type Config struct {
	EvaluationInterval model.Duration `yaml:"evaluation_interval,omitempty"`
	RuleFiles          []string       `yaml:"rule_files,omitempty"`
	SLOSpecs           []string       `yaml:"slo_specs,omitempty"`
	Drift              *DriftConfig   `yaml:"drift,omitempty"`
	Alertmanagers      []string       `yaml:"alertmanagers,omitempty"`
	Webhooks           []string       `yaml:"webhooks,omitempty"`
	ExternalURL        string         `yaml:"external_url,omitempty"`
	RepeatInterval     model.Duration `yaml:"repeat_interval,omitempty"`
	DeploySilence      string         `yaml:"deploy_silence,omitempty"`
	OutageTolerance    model.Duration `yaml:"outage_tolerance,omitempty"`
	ForGracePeriod     model.Duration `yaml:"for_grace_period,omitempty"`
	ResendDelay        model.Duration `yaml:"resend_delay,omitempty"`
}

// DecodeConfig decodes the `rules:` section (kept as a raw yaml.Node by the
// collector) strictly: unknown keys are errors. An empty node gives the
// zero Config (Empty reports true).
func DecodeConfig(node *yaml.Node) (Config, error) {
	var c Config
	if node == nil || node.Kind == 0 {
		return c, nil
	}
	// yaml.v3 has no KnownFields on Node.Decode: re-encode and decode
	// strictly.
	b, err := yaml.Marshal(node)
	if err != nil {
		return c, fmt.Errorf("rules configuration: %w", err)
	}
	if err := strictUnmarshal(b, &c); err != nil {
		return c, fmt.Errorf("rules configuration: %w", err)
	}
	if c.Drift != nil {
		if err := c.Drift.validate(); err != nil {
			return c, err
		}
	}
	if c.DeploySilence != "" {
		if _, err := time.ParseDuration(c.DeploySilence); err != nil {
			return c, fmt.Errorf("rules configuration: deploy_silence %q is not a duration (e.g. 15m, -1s to disable)", c.DeploySilence)
		}
	}
	return c, nil
}

// Empty reports whether the section configures nothing to evaluate or
// notify, so the collector can skip starting a manager.
func (c Config) Empty() bool {
	return len(c.RuleFiles) == 0 && len(c.SLOSpecs) == 0 && c.Drift == nil
}

// Options turns c into manager options; relative paths resolve against
// baseDir and rule_files globs are expanded. The caller adds Storage,
// Recorder, StateDir, Logger, Registerer and DeployEvents.
func (c Config) Options(baseDir string) (Options, error) {
	abs := func(p string) string {
		if filepath.IsAbs(p) || baseDir == "" {
			return p
		}
		return filepath.Join(baseDir, p)
	}
	o := Options{
		EvalInterval:    time.Duration(c.EvaluationInterval),
		Drift:           c.Drift,
		Alertmanagers:   c.Alertmanagers,
		Webhooks:        c.Webhooks,
		ExternalURL:     c.ExternalURL,
		RepeatInterval:  time.Duration(c.RepeatInterval),
		OutageTolerance: time.Duration(c.OutageTolerance),
		ForGracePeriod:  time.Duration(c.ForGracePeriod),
		ResendDelay:     time.Duration(c.ResendDelay),
	}
	if c.DeploySilence != "" {
		d, err := time.ParseDuration(c.DeploySilence)
		if err != nil {
			return Options{}, fmt.Errorf("rules configuration: deploy_silence %q is not a duration", c.DeploySilence)
		}
		if d <= 0 {
			d = -1
		}
		o.DeploySilence = d
	}
	for _, pat := range c.RuleFiles {
		matches, err := filepath.Glob(abs(pat))
		if err != nil {
			return Options{}, fmt.Errorf("rules configuration: rule_files pattern %q: %w", pat, err)
		}
		if len(matches) == 0 {
			return Options{}, fmt.Errorf("rules configuration: rule_files %q matches no file", pat)
		}
		o.RuleFiles = append(o.RuleFiles, matches...)
	}
	for _, p := range c.SLOSpecs {
		o.SLOSpecs = append(o.SLOSpecs, abs(p))
	}
	return o, nil
}
