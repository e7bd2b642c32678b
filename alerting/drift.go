package alerting

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"gopkg.in/yaml.v3"

	"github.com/mlectl/mlectl/api"
)

// Drift series written by the prediction-log pipeline (and the demo).
const (
	MetricFeatureDrifted = api.MetricFeatureDrifted
	MetricDriftShare     = api.MetricDatasetDriftShare
	MetricPredictions    = api.MetricPredictionsTotal
	MetricExplCoverage   = api.MetricExplanationCoverageRatio
	MetricFreshness      = api.MetricFeatureFreshnessSeconds
	MetricLabelCoverage  = api.MetricLabelCoverageRatio
)

// RoleShadow is the role label of predictions a shadow version logged
// beside production; the drift guard does not count them.
const RoleShadow = "shadow"

// Alert names of the generated drift rules; the shipped runbooks
// (runbooks/library) match them.
const (
	AlertFeatureDrift        = "FeatureDrift"
	AlertDatasetDrift        = "DatasetDrift"
	AlertTrainingServingSkew = "TrainingServingSkew"
	AlertExplanationCoverage = "ExplanationCoverageLow"
	AlertFeatureStale        = "FeatureStale"
	AlertLabelCoverage       = "LabelCoverageLow"
)

// Runbook ids the drift alerts point at through their runbook annotation.
const (
	RunbookFeatureDrift = "feature-drift"
	RunbookSkew         = "training-serving-skew"
	RunbookExplCoverage = "feature-explanations"
	RunbookFreshness    = "feature-freshness"
	RunbookLabelCover   = "label-coverage"
)

// DriftConfig is the `drift_rules:` part of the configuration: defaults plus
// per-model overrides. See the package documentation for the YAML.
type DriftConfig struct {
	// Interval is how often the drift groups are evaluated (default: the
	// manager's EvalInterval).
	Interval model.Duration `yaml:"interval,omitempty"`
	// Window is the length of one drift window: how often the drift series
	// are written (default 5m).
	Window model.Duration `yaml:"window,omitempty"`
	// MinEvents is the low-traffic guard: no drift alert for a model version
	// that served fewer predictions than this in the last window, shadow
	// predictions not counted (default 100; 0 keeps the default, -1 disables
	// the guard, and with it the shadow and stopped-version filter).
	MinEvents int `yaml:"min_events,omitempty"`
	// Defaults apply to every model; Models override them per model.
	Defaults DriftRule   `yaml:"defaults,omitempty"`
	Models   []DriftRule `yaml:"models,omitempty"`
}

// DriftRule configures the three drift alerts for one model (Model empty:
// every model not listed elsewhere).
type DriftRule struct {
	Model string `yaml:"model,omitempty"`
	// FeatureWindows: FeatureDrift fires when a feature was drifted in this
	// many consecutive windows (default 3, -1 disables).
	FeatureWindows int `yaml:"feature_windows,omitempty"`
	// DatasetShare: DatasetDrift fires when the share of drifted features
	// exceeds this (default 0.3, -1 disables).
	DatasetShare float64 `yaml:"dataset_share,omitempty"`
	// SkewWindows: TrainingServingSkew fires when a feature drifted against
	// the training baseline (against="baseline") in this many consecutive
	// windows (default 1, -1 disables).
	SkewWindows int `yaml:"skew_windows,omitempty"`
	// For is the pending period of every drift alert (default 0).
	For model.Duration `yaml:"for,omitempty"`
	// Severity of FeatureDrift and DatasetDrift (default ticket);
	// TrainingServingSkew is SkewSeverity (default page).
	Severity     string `yaml:"severity,omitempty"`
	SkewSeverity string `yaml:"skew_severity,omitempty"`
	// MinEvents overrides DriftConfig.MinEvents for this model.
	MinEvents int `yaml:"min_events,omitempty"`
	// ExplanationCoverage: ExplanationCoverageLow fires when fewer than
	// this share of a window's predictions were logged with explanations
	// (default 0.95, -1 disables). Only model versions that log
	// explanations at all have the series.
	ExplanationCoverage float64 `yaml:"explanation_coverage,omitempty"`
	// FeatureFreshness: FeatureStale fires when a feature's p99 age at
	// prediction time exceeds it (default 1h, the batch-feature template;
	// set 1s for a model served from an online feature store; -1s
	// disables).
	// A Go duration string, as deploy_silence, since Prometheus durations
	// cannot be negative.
	FeatureFreshness string `yaml:"feature_freshness,omitempty"`
	// LabelCoverage: LabelCoverageLow fires when the share of production
	// predictions joined to a label falls below it, for a model version
	// that has received labels in the last 24h (default 0.5, -1 disables).
	LabelCoverage float64 `yaml:"label_coverage,omitempty"`
}

// DecodeDriftConfig decodes the drift rule configuration strictly: an
// unknown key is an error that names it.
func DecodeDriftConfig(data []byte) (DriftConfig, error) {
	var c DriftConfig
	if err := strictUnmarshal(data, &c); err != nil {
		return DriftConfig{}, fmt.Errorf("drift rules configuration: %w", err)
	}
	return c, c.validate()
}

func strictUnmarshal(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil // empty document
	}
	return err
}

var modelNameRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

func (c DriftConfig) validate() error {
	if c.Window < 0 {
		return fmt.Errorf("drift rules configuration: window must be positive, got %s", c.Window)
	}
	seen := map[string]bool{}
	for i, r := range c.Models {
		if r.Model == "" {
			return fmt.Errorf("drift rules configuration: models[%d].model is empty", i)
		}
		if !modelNameRE.MatchString(r.Model) {
			return fmt.Errorf("drift rules configuration: models[%d].model %q may only hold letters, digits and _.:-", i, r.Model)
		}
		if seen[r.Model] {
			return fmt.Errorf("drift rules configuration: models[%d].model %q is listed twice", i, r.Model)
		}
		seen[r.Model] = true
	}
	for i, r := range append([]DriftRule{c.Defaults}, c.Models...) {
		field := "defaults"
		if i > 0 {
			field = fmt.Sprintf("models[%d]", i-1)
		}
		if r.DatasetShare > 1 {
			return fmt.Errorf("drift rules configuration: %s.dataset_share must be at most 1, got %g", field, r.DatasetShare)
		}
		if r.For < 0 {
			return fmt.Errorf("drift rules configuration: %s.for must not be negative", field)
		}
		if r.ExplanationCoverage > 1 {
			return fmt.Errorf("drift rules configuration: %s.explanation_coverage must be at most 1, got %g", field, r.ExplanationCoverage)
		}
		if r.FeatureFreshness != "" {
			if _, err := time.ParseDuration(r.FeatureFreshness); err != nil {
				return fmt.Errorf("drift rules configuration: %s.feature_freshness %q is not a duration (1s for online features, 1h for batch, -1s disables)", field, r.FeatureFreshness)
			}
		}
		if r.LabelCoverage > 1 {
			return fmt.Errorf("drift rules configuration: %s.label_coverage must be at most 1, got %g", field, r.LabelCoverage)
		}
	}
	return nil
}

// withDefaults fills r's zero fields from d and then from the built-in
// defaults.
func (r DriftRule) withDefaults(d DriftRule, minEvents int) DriftRule {
	pick := func(v, dv, builtin int) int {
		if v != 0 {
			return v
		}
		if dv != 0 {
			return dv
		}
		return builtin
	}
	r.FeatureWindows = pick(r.FeatureWindows, d.FeatureWindows, 3)
	r.SkewWindows = pick(r.SkewWindows, d.SkewWindows, 1)
	r.MinEvents = pick(r.MinEvents, d.MinEvents, pick(minEvents, 0, 100))
	if r.DatasetShare == 0 {
		r.DatasetShare = d.DatasetShare
	}
	if r.DatasetShare == 0 {
		r.DatasetShare = 0.3
	}
	if r.For == 0 {
		r.For = d.For
	}
	pickF := func(v, dv, builtin float64) float64 {
		if v != 0 {
			return v
		}
		if dv != 0 {
			return dv
		}
		return builtin
	}
	r.ExplanationCoverage = pickF(r.ExplanationCoverage, d.ExplanationCoverage, 0.95)
	r.LabelCoverage = pickF(r.LabelCoverage, d.LabelCoverage, 0.5)
	r.FeatureFreshness = cmp(r.FeatureFreshness, d.FeatureFreshness, "1h")
	r.Severity = cmp(r.Severity, d.Severity, "ticket")
	r.SkewSeverity = cmp(r.SkewSeverity, d.SkewSeverity, "page")
	return r
}

func cmp(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// DriftRuleGroups generates the drift alerting rules as Prometheus rule
// groups: one group per configured model plus one for every other model.
func (c DriftConfig) DriftRuleGroups() (rulefmt.RuleGroups, error) {
	if err := c.validate(); err != nil {
		return rulefmt.RuleGroups{}, err
	}
	window := time.Duration(c.Window)
	if window == 0 {
		window = 5 * time.Minute
	}
	var out rulefmt.RuleGroups
	var listed []string
	for _, r := range c.Models {
		listed = append(listed, regexp.QuoteMeta(r.Model))
		sel := "model=" + strconv.Quote(r.Model)
		out.Groups = append(out.Groups, driftGroup("mlectl-drift-"+r.Model, sel, window, r.withDefaults(c.Defaults, c.MinEvents), c.Interval))
	}
	sel := `model!=""`
	if len(listed) > 0 {
		// strconv.Quote escapes QuoteMeta's backslashes for the PromQL string.
		sel = `model!="", model!~` + strconv.Quote(strings.Join(listed, "|"))
	}
	out.Groups = append(out.Groups, driftGroup("mlectl-drift-default", sel, window, c.Defaults.withDefaults(DriftRule{}, c.MinEvents), c.Interval))
	return out, nil
}

// YAML renders the groups as a Prometheus rule file.
func (c DriftConfig) YAML() ([]byte, error) {
	g, err := c.DriftRuleGroups()
	if err != nil {
		return nil, err
	}
	return yaml.Marshal(g)
}

func driftGroup(name, sel string, window time.Duration, r DriftRule, interval model.Duration) rulefmt.RuleGroup {
	w := model.Duration(window)
	// The guard keeps a drift verdict only for a model version that served
	// at least MinEvents predictions in the last window, shadow records not
	// counted: drift statistics on a handful of rows are noise; a shadow
	// version sees the production version's inputs, so its input drift is
	// the serving version's alert, not a second one; and a version that
	// stopped serving (rolled back, replaced) resolves one window after its
	// traffic ends instead of firing on until its series go stale.
	guard := ""
	if r.MinEvents > 0 {
		guard = fmt.Sprintf("\nand on (model, version)\n  sum by (model, version) (increase(%s{%s, role!=%q}[%s])) >= %d", MetricPredictions, sel, RoleShadow, w, r.MinEvents)
	}
	// N consecutive windows: every sample in the last N windows is 1 and
	// there are at least N of them (a series that appeared one window ago is
	// not "drifted for N windows"). With one sample per window, a range of N
	// windows holds exactly the last N samples.
	consecutive := func(extra string, n int) string {
		span := model.Duration(time.Duration(n) * window)
		s := sel + extra
		return fmt.Sprintf("(min_over_time(%[1]s{%[2]s}[%[3]s]) == 1)\nand\n(count_over_time(%[1]s{%[2]s}[%[3]s]) >= %[4]d)", MetricFeatureDrifted, s, span, n)
	}
	var rules []rulefmt.Rule
	if r.FeatureWindows > 0 {
		rules = append(rules, rulefmt.Rule{
			Alert: AlertFeatureDrift,
			Expr:  consecutive("", r.FeatureWindows) + guard,
			For:   r.For,
			Labels: map[string]string{
				"severity": r.Severity,
			},
			Annotations: map[string]string{
				"runbook": RunbookFeatureDrift,
				"summary": fmt.Sprintf("Feature {{ $labels.feature }} of model {{ $labels.model }} drifted (against {{ $labels.against }}) for %d consecutive %s windows", r.FeatureWindows, w),
			},
		})
	}
	if r.DatasetShare > 0 {
		rules = append(rules, rulefmt.Rule{
			Alert: AlertDatasetDrift,
			Expr:  fmt.Sprintf("last_over_time(%s{%s}[%s]) > %s", MetricDriftShare, sel, w, strconv.FormatFloat(r.DatasetShare, 'g', -1, 64)) + guard,
			For:   r.For,
			Labels: map[string]string{
				"severity": r.Severity,
			},
			Annotations: map[string]string{
				"runbook": RunbookFeatureDrift,
				"summary": fmt.Sprintf("{{ $value | humanizePercentage }} of model {{ $labels.model }}'s features drifted (threshold %s)", strconv.FormatFloat(r.DatasetShare*100, 'g', -1, 64)+"%"),
			},
		})
	}
	if r.SkewWindows > 0 {
		rules = append(rules, rulefmt.Rule{
			Alert: AlertTrainingServingSkew,
			Expr:  consecutive(`, against="baseline"`, r.SkewWindows) + guard,
			For:   r.For,
			Labels: map[string]string{
				"severity": r.SkewSeverity,
			},
			Annotations: map[string]string{
				"runbook": RunbookSkew,
				"summary": fmt.Sprintf("Feature {{ $labels.feature }} of model {{ $labels.model }} differs from its training baseline for %d consecutive %s windows", r.SkewWindows, w),
			},
		})
	}
	return rulefmt.RuleGroup{Name: name, Interval: interval, Rules: append(rules, sliRules(sel, w, guard, r)...)}
}

// sliRules are the ticket rules on the per-record SLIs: explanation
// coverage, feature freshness and label coverage.
func sliRules(sel string, w model.Duration, guard string, r DriftRule) []rulefmt.Rule {
	var rules []rulefmt.Rule
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	if r.ExplanationCoverage > 0 {
		rules = append(rules, rulefmt.Rule{
			Alert:  AlertExplanationCoverage,
			Expr:   fmt.Sprintf("last_over_time(%s{%s}[%s]) < %s", MetricExplCoverage, sel, w, num(r.ExplanationCoverage)) + guard,
			For:    r.For,
			Labels: map[string]string{"severity": "ticket"},
			Annotations: map[string]string{
				"runbook": RunbookExplCoverage,
				"summary": fmt.Sprintf("Only {{ $value | humanizePercentage }} of model {{ $labels.model }}'s predictions were logged with explanations (threshold %s%%)", num(r.ExplanationCoverage*100)),
			},
		})
	}
	if fresh, _ := time.ParseDuration(r.FeatureFreshness); fresh > 0 {
		rules = append(rules, rulefmt.Rule{
			Alert:  AlertFeatureStale,
			Expr:   fmt.Sprintf("last_over_time(%s{%s, quantile=\"0.99\"}[%s]) > %s", MetricFreshness, sel, w, num(fresh.Seconds())) + guard,
			For:    r.For,
			Labels: map[string]string{"severity": "ticket"},
			Annotations: map[string]string{
				"runbook": RunbookFreshness,
				"summary": fmt.Sprintf("Feature {{ $labels.feature }} of model {{ $labels.model }} was {{ $value | humanizeDuration }} old at prediction time (p99; limit %s)", model.Duration(fresh)),
			},
		})
	}
	if r.LabelCoverage > 0 {
		// Only versions that did get labels in the last day: a model whose
		// ground truth is never posted has nothing to lose.
		labelled := fmt.Sprintf("%s{%s, role!=%q}", MetricLabelCoverage, sel, RoleShadow)
		rules = append(rules, rulefmt.Rule{
			Alert: AlertLabelCoverage,
			Expr: fmt.Sprintf("last_over_time(%[1]s[%[2]s]) < %[3]s\nand on (model, version, role)\n  max_over_time(%[1]s[1d]) > 0",
				labelled, w, num(r.LabelCoverage)) + guard,
			For:    r.For,
			Labels: map[string]string{"severity": "ticket"},
			Annotations: map[string]string{
				"runbook": RunbookLabelCover,
				"summary": fmt.Sprintf("Only {{ $value | humanizePercentage }} of model {{ $labels.model }}'s predictions have a label (threshold %s%%)", num(r.LabelCoverage*100)),
			},
		})
	}
	return rules
}
