package slo

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mlectl/mlectl/api"
)

// Metric names the ML shorthands query. They are what the mlectl collector
// and the model servers it scrapes export.
const (
	MetricLatencyBucket = api.MetricInferenceLatencyBucket
	MetricLatencyCount  = api.MetricInferenceLatencyCount
	MetricPredictions   = api.MetricPredictionsTotal
	MetricAccuracy      = api.MetricModelAccuracy
	MetricMAE           = api.MetricModelMAE
	MetricDriftShare    = api.MetricDatasetDriftShare
)

// EvalWindow is the evaluation window of the gauge-based shorthands (quality,
// drift): their SLI is the share of EvalWindow-long windows that miss the
// target. It equals the shortest SLI window so the 5m rule holds exactly one.
const EvalWindow = "5m"

// ML is the shorthand that expands into an SLI for a model. Exactly one of
// Latency, Availability, Quality and Drift is set.
type ML struct {
	Model   string `yaml:"model"`
	Version string `yaml:"version,omitempty"`
	Role    string `yaml:"role,omitempty"`

	Latency      *LatencySLI      `yaml:"latency,omitempty"`
	Availability *AvailabilitySLI `yaml:"availability,omitempty"`
	Quality      *QualitySLI      `yaml:"quality,omitempty"`
	Drift        *DriftSLI        `yaml:"drift,omitempty"`
}

// LatencySLI: good requests are those served within Threshold seconds.
// Threshold must be a bucket bound of the latency histogram; it is printed as
// the le label value the way mlmetrics exports bounds (shortest form: 0.25,
// 1, 2.5).
type LatencySLI struct {
	Threshold float64 `yaml:"threshold"`
}

// AvailabilitySLI: good predictions are those with status="ok"; the errors
// are status="error".
type AvailabilitySLI struct{}

// QualitySLI: a 5m window is good when the live quality metric meets Target:
// accuracy ≥ Target, or MAE ≤ Target.
type QualitySLI struct {
	Metric string  `yaml:"metric"` // accuracy or mae
	Target float64 `yaml:"target"`
}

// DriftSLI: a 5m window is bad when the share of drifted features reaches
// Threshold (default 0.5, the dataset-drift rule of the drift package).
type DriftSLI struct {
	Threshold *float64 `yaml:"threshold,omitempty"`
}

// DefaultDriftThreshold is the share of drifted features at which the whole
// dataset counts as drifted.
const DefaultDriftThreshold = 0.5

// selector returns the label matchers selecting the model's series, plus extra.
func (m *ML) selector(extra ...string) string {
	parts := []string{fmt.Sprintf("model=%q", m.Model)}
	if m.Version != "" {
		parts = append(parts, fmt.Sprintf("version=%q", m.Version))
	}
	if m.Role != "" {
		parts = append(parts, fmt.Sprintf("role=%q", m.Role))
	}
	parts = append(parts, extra...)
	return "{" + strings.Join(parts, ",") + "}"
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// expandML fills o.SLI from o.ML; it reports whether the expansion succeeded.
func (v *validator) expandML(p []any, o *SLO) bool {
	with := func(k ...any) []any { return append(append([]any{}, p...), k...) }
	m := o.ML
	ok := true
	if m.Model == "" {
		v.at(with("model"), "is required: the model label value of the model's series")
		ok = false
	}
	for _, lv := range []struct{ name, val string }{{"model", m.Model}, {"version", m.Version}, {"role", m.Role}} {
		if strings.ContainsAny(lv.val, "\"\\\n") {
			v.at(with(lv.name), "%q must not contain quotes, backslashes or newlines", lv.val)
			ok = false
		}
	}
	kinds := []string{}
	if m.Latency != nil {
		kinds = append(kinds, "latency")
	}
	if m.Availability != nil {
		kinds = append(kinds, "availability")
	}
	if m.Quality != nil {
		kinds = append(kinds, "quality")
	}
	if m.Drift != nil {
		kinds = append(kinds, "drift")
	}
	if len(kinds) != 1 {
		v.at(p, "give exactly one of latency, availability, quality, drift (got %d: %s)", len(kinds), strings.Join(kinds, ", "))
		return false
	}
	if !ok {
		return false
	}
	window := "[{{.window}}]"
	switch {
	case m.Latency != nil:
		th := m.Latency.Threshold
		if !(th > 0) || math.IsInf(th, 0) {
			v.at(with("latency", "threshold"), "must be a positive number of seconds equal to a bucket bound (le) of %s; got %s", MetricLatencyBucket, formatFloat(th))
			return false
		}
		total := fmt.Sprintf("sum(rate(%s%s%s))", MetricLatencyCount, m.selector(), window)
		within := fmt.Sprintf("sum(rate(%s%s%s))", MetricLatencyBucket, m.selector(fmt.Sprintf("le=%q", formatFloat(th))), window)
		o.SLI.Events = &EventsSLI{ErrorQuery: total + " - " + within, TotalQuery: total}
	case m.Availability != nil:
		// "or vector(0)": a model that never failed exports no error series,
		// and that must read as 0 errors, not as no data.
		errs := fmt.Sprintf("sum(rate(%s%s%s)) or vector(0)", MetricPredictions, m.selector(`status="error"`), window)
		total := fmt.Sprintf("sum(rate(%s%s%s))", MetricPredictions, m.selector(`status=~"ok|error"`), window)
		o.SLI.Events = &EventsSLI{ErrorQuery: errs, TotalQuery: total}
	case m.Quality != nil:
		q := m.Quality
		var metric, agg, cmp string
		switch q.Metric {
		case "accuracy":
			if !(q.Target > 0 && q.Target <= 1) {
				v.at(with("quality", "target"), "accuracy target must be in (0, 1]; got %s", formatFloat(q.Target))
				return false
			}
			// The worst matching series decides: a window is bad if any
			// selected model instance is under target.
			metric, agg, cmp = MetricAccuracy, "min", "<"
		case "mae":
			if !(q.Target > 0) || math.IsInf(q.Target, 0) {
				v.at(with("quality", "target"), "MAE target must be a positive number; got %s", formatFloat(q.Target))
				return false
			}
			metric, agg, cmp = MetricMAE, "max", ">"
		default:
			v.at(with("quality", "metric"), "must be accuracy or mae; got %q", q.Metric)
			return false
		}
		o.SLI.Raw = &RawSLI{ErrorRatioQuery: fmt.Sprintf(
			"avg_over_time((%s(avg_over_time(%s%s[%s])) %s bool %s)[{{.window}}:%s])",
			agg, metric, m.selector(), EvalWindow, cmp, formatFloat(q.Target), EvalWindow)}
	case m.Drift != nil:
		th := DefaultDriftThreshold
		if m.Drift.Threshold != nil {
			th = *m.Drift.Threshold
		}
		if !(th > 0 && th <= 1) {
			v.at(with("drift", "threshold"), "must be a share of features in (0, 1]; got %s", formatFloat(th))
			return false
		}
		o.SLI.Raw = &RawSLI{ErrorRatioQuery: fmt.Sprintf(
			"avg_over_time((max(max_over_time(%s%s[%s])) >= bool %s)[{{.window}}:%s])",
			MetricDriftShare, m.selector(), EvalWindow, formatFloat(th), EvalWindow)}
	}
	return true
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
