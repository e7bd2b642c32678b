package slo

import (
	"bytes"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/prometheus/common/model"
)

// Label names and metric names of the generated rules. They are Sloth's, so
// Sloth's Grafana dashboards and UI work on mlectl's rules unchanged.
const (
	LabelService   = "sloth_service"
	LabelSLO       = "sloth_slo"
	LabelID        = "sloth_id"
	LabelWindow    = "sloth_window"
	LabelSeverity  = "sloth_severity"
	LabelVersion   = "sloth_version"
	LabelMode      = "sloth_mode"
	LabelSpec      = "sloth_spec"
	LabelObjective = "sloth_objective"

	MetricSLIErrorPrefix             = "slo:sli_error:ratio_rate"
	MetricObjective                  = "slo:objective:ratio"
	MetricErrorBudget                = "slo:error_budget:ratio"
	MetricTimePeriodDays             = "slo:time_period:days"
	MetricCurrentBurnRate            = "slo:current_burn_rate:ratio"
	MetricPeriodBurnRate             = "slo:period_burn_rate:ratio"
	MetricPeriodErrorBudgetRemaining = "slo:period_error_budget_remaining:ratio"
	MetricInfo                       = "sloth_slo_info"
)

// Options tune Generate. The zero value generates for a 30-day period.
type Options struct {
	// Period is the SLO time window; 30d (default) or 28d, which use the
	// SRE Workbook's windows (WorkbookWindows).
	Period time.Duration
	// Windows, when set, replaces Period and the Workbook windows with its
	// own (Sloth's AlertWindows, see ParseAlertWindows).
	Windows *AlertWindows
	// ExtraLabels are added to every SLO's labels (Sloth's --extra-labels).
	ExtraLabels map[string]string
	// GeneratorVersion and Mode go into sloth_slo_info's sloth_version and
	// sloth_mode labels; defaults "mlectl" and "cli-gen-prom".
	GeneratorVersion string
	Mode             string
}

// Generate builds the Prometheus rule file for specs: per SLO, a group of SLI
// error-ratio recording rules, a group of metadata recording rules and a group
// with the page and ticket multiwindow multi-burn-rate alerts, named, ordered
// and written as Sloth v0.16.0 writes them.
func Generate(specs []Spec, opts Options) (*RuleFile, error) {
	if opts.Period == 0 {
		opts.Period = 30 * 24 * time.Hour
	}
	if opts.GeneratorVersion == "" {
		opts.GeneratorVersion = "mlectl"
	}
	if opts.Mode == "" {
		opts.Mode = "cli-gen-prom"
	}
	var windows AlertWindows
	if opts.Windows != nil {
		windows = *opts.Windows
	} else {
		w, err := WorkbookWindows(opts.Period)
		if err != nil {
			return nil, err
		}
		windows = w
	}
	out := &RuleFile{}
	for _, spec := range specs {
		for _, o := range spec.SLOs {
			groups, err := generateSLO(spec, o, windows, opts)
			if err != nil {
				return nil, fmt.Errorf("SLO %q: %w", spec.ID(o), err)
			}
			out.Groups = append(out.Groups, groups...)
		}
	}
	if len(out.Groups) == 0 {
		return nil, fmt.Errorf("no SLOs to generate rules for")
	}
	return out, nil
}

type sloContext struct {
	spec    Spec
	slo     SLO
	id      string
	idLbls  map[string]string
	labels  map[string]string // SLO identity + spec + SLO + extra labels
	filter  string
	windows AlertWindows
}

func generateSLO(spec Spec, o SLO, windows AlertWindows, opts Options) ([]RuleGroup, error) {
	c := sloContext{spec: spec, slo: o, id: spec.ID(o), windows: windows}
	c.idLbls = map[string]string{LabelID: c.id, LabelSLO: o.Name, LabelService: spec.Service}
	c.filter = promFilter(c.idLbls)
	c.labels = mergeLabels(c.idLbls, spec.Labels, o.Labels, opts.ExtraLabels)

	sli, err := c.sliRules()
	if err != nil {
		return nil, err
	}
	groups := []RuleGroup{
		{Name: "sloth-slo-sli-recordings-" + c.id, Rules: sli},
		{Name: "sloth-slo-meta-recordings-" + c.id, Rules: c.metaRules(opts)},
	}
	if alerts := c.alertRules(); len(alerts) > 0 {
		groups = append(groups, RuleGroup{Name: "sloth-slo-alerts-" + c.id, Rules: alerts})
	}
	return groups, nil
}

func sliMetric(window time.Duration) string { return MetricSLIErrorPrefix + formatDuration(window) }

// formatDuration prints d as Prometheus does (30d, 1h, 5m).
func formatDuration(d time.Duration) string { return model.Duration(d).String() }

func (c sloContext) sliRules() ([]Rule, error) {
	var rules []Rule
	for _, w := range c.windows.SLIWindows() {
		expr, err := c.sliExpr(w)
		if err != nil {
			return nil, fmt.Errorf("SLI query for window %s: %w", formatDuration(w), err)
		}
		rules = append(rules, Rule{Record: sliMetric(w), Expr: expr, Labels: c.windowLabels(w)})
	}
	// The period-long ratio would need a 30d range over raw series; Sloth
	// derives it from the 5m ratios instead: sum over count of 5m samples is
	// the mean 5m error ratio, which is the period ratio when traffic is even.
	short := c.windows.PageQuick.Short
	period := formatDuration(c.windows.Period)
	sel := sliMetric(short) + c.filter + "[" + period + "]"
	rules = append(rules, Rule{
		Record: sliMetric(c.windows.Period),
		Expr:   "sum_over_time(" + sel + ")\n/ ignoring (" + LabelWindow + ")\ncount_over_time(" + sel + ")\n",
		Labels: c.windowLabels(c.windows.Period),
	})
	return rules, nil
}

func (c sloContext) windowLabels(w time.Duration) map[string]string {
	return mergeLabels(c.labels, map[string]string{LabelWindow: formatDuration(w)})
}

func (c sloContext) sliExpr(w time.Duration) (string, error) {
	var tpl string
	switch {
	case c.slo.SLI.Events != nil:
		tpl = "(" + c.slo.SLI.Events.ErrorQuery + ")\n/\n(" + c.slo.SLI.Events.TotalQuery + ")\n"
	case c.slo.SLI.Raw != nil:
		tpl = "(" + c.slo.SLI.Raw.ErrorRatioQuery + ")"
	default:
		return "", fmt.Errorf("the SLO has no SLI")
	}
	return renderWindow(tpl, formatDuration(w))
}

func (c sloContext) metaRules(opts Options) []Rule {
	objective := c.slo.Objective / 100
	burnRate := func(sli string) string {
		return sli + c.filter + "\n/ on(" + LabelID + ", " + LabelSLO + ", " + LabelService + ") group_left\n" +
			MetricErrorBudget + c.filter + "\n"
	}
	return []Rule{
		{Record: MetricObjective, Expr: fmt.Sprintf("vector(%g)", objective), Labels: c.labels},
		{Record: MetricErrorBudget, Expr: fmt.Sprintf("vector(1-%g)", objective), Labels: c.labels},
		{Record: MetricTimePeriodDays, Expr: fmt.Sprintf("vector(%g)", c.windows.Period.Hours()/24), Labels: c.labels},
		{Record: MetricCurrentBurnRate, Expr: burnRate(sliMetric(c.windows.PageQuick.Short)), Labels: c.labels},
		{Record: MetricPeriodBurnRate, Expr: burnRate(sliMetric(c.windows.Period)), Labels: c.labels},
		{Record: MetricPeriodErrorBudgetRemaining, Expr: "1 - " + MetricPeriodBurnRate + c.filter, Labels: c.labels},
		{Record: MetricInfo, Expr: "vector(1)", Labels: mergeLabels(c.labels, map[string]string{
			LabelVersion:   opts.GeneratorVersion,
			LabelMode:      opts.Mode,
			LabelSpec:      c.spec.Version,
			LabelObjective: strconv.FormatFloat(c.slo.Objective, 'f', -1, 64),
		})},
	}
}

var mwmbAlertTpl = template.Must(template.New("mwmb").Option("missingkey=error").Parse(`(
    max({{ .QuickShort }}{{ .Filter }} > ({{ .QuickFactor }} * {{ .Budget }})) without ({{ .WindowLabel }})
    and
    max({{ .QuickLong }}{{ .Filter }} > ({{ .QuickFactor }} * {{ .Budget }})) without ({{ .WindowLabel }})
)
or
(
    max({{ .SlowShort }}{{ .Filter }} > ({{ .SlowFactor }} * {{ .Budget }})) without ({{ .WindowLabel }})
    and
    max({{ .SlowLong }}{{ .Filter }} > ({{ .SlowFactor }} * {{ .Budget }})) without ({{ .WindowLabel }})
)
`))

func (c sloContext) alertRules() []Rule {
	a := c.slo.Alerting
	var rules []Rule
	if !a.PageAlert.Disable {
		rules = append(rules, c.alertRule(a, a.PageAlert, c.windows.PageQuick, c.windows.PageSlow))
	}
	if !a.TicketAlert.Disable {
		rules = append(rules, c.alertRule(a, a.TicketAlert, c.windows.TicketQuick, c.windows.TicketSlow))
	}
	return rules
}

func (c sloContext) alertRule(a Alerting, sev Alert, quick, slow BurnWindow) Rule {
	// The budget is computed as Sloth does, (100 − objective)/100, so the
	// printed constant matches Sloth's to the last digit.
	budget := (100 - c.slo.Objective) / 100
	var b bytes.Buffer
	// The template is static and its data complete: Execute cannot fail.
	_ = mwmbAlertTpl.Execute(&b, map[string]any{
		"QuickShort": sliMetric(quick.Short), "QuickLong": sliMetric(quick.Long),
		"SlowShort": sliMetric(slow.Short), "SlowLong": sliMetric(slow.Long),
		"QuickFactor": quick.BurnRate(c.windows.Period), "SlowFactor": slow.BurnRate(c.windows.Period),
		"Budget": budget, "Filter": c.filter, "WindowLabel": LabelWindow,
	})
	severity := string(quick.Severity)
	annotations := mergeLabels(map[string]string{
		"title":   fmt.Sprintf("(%s) {{$labels.%s}} {{$labels.%s}} SLO error budget burn rate is too fast.", severity, LabelService, LabelSLO),
		"summary": fmt.Sprintf("{{$labels.%s}} {{$labels.%s}} SLO error budget burn rate is over expected.", LabelService, LabelSLO),
	}, a.Annotations, sev.Annotations)
	// SLO labels are not repeated here: the alert inherits them from the SLI
	// series, and repeating them would only override with the same values.
	labels := mergeLabels(map[string]string{LabelSeverity: severity}, a.Labels, sev.Labels)
	return Rule{Alert: a.Name, Expr: b.String(), Labels: labels, Annotations: annotations}
}

// promFilter renders labels as a sorted PromQL selector body, the format of
// prometheus/common's LabelSet.String that Sloth uses.
func promFilter(lbls map[string]string) string {
	keys := sortedKeys(lbls)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(lbls[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func mergeLabels(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}
