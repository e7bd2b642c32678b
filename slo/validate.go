package slo

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

// FieldError is a spec validation error tied to one field.
type FieldError struct {
	Path string // e.g. slos[1].sli.events.error_query
	Line int    // 1-based line in the YAML file, 0 when unknown
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d): %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// nameRe is Sloth's rule for service and SLO names: they end up in rule group
// names and the sloth_id label.
var nameRe = regexp.MustCompile(`^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$`)

var windowVarRe = regexp.MustCompile(`{{ *\.window *}}`)

type validator struct {
	root *yaml.Node
	errs []error
}

// at records an error for the field at path, given as alternating keys and
// indices (e.g. "slos", 1, "objective").
func (v *validator) at(path []any, format string, a ...any) {
	v.errs = append(v.errs, &FieldError{Path: pathString(path), Line: lineOf(v.root, path), Msg: fmt.Sprintf(format, a...)})
}

func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	if len(v.errs) == 1 {
		return v.errs[0]
	}
	msgs := make([]string, len(v.errs))
	for i, e := range v.errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%d problems: %w (and %s)", len(v.errs), v.errs[0], strings.Join(msgs[1:], "; "))
}

func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		}
	}
	return b.String()
}

// lineOf finds the line of the deepest node along path that exists, so a
// missing field points at its parent.
func lineOf(root *yaml.Node, path []any) int {
	n := root
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch p := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == p {
						line = n.Content[i].Line
						next = n.Content[i+1]
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && p < len(n.Content) {
				next = n.Content[p]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

func (s *Spec) expandAndValidate(root *yaml.Node) error {
	v := &validator{root: root}
	switch s.Version {
	case VersionSloth, VersionML:
	case "":
		v.at([]any{"version"}, "is required: use %q (Sloth format) or %q (with ML shorthands)", VersionSloth, VersionML)
		return v.err()
	default:
		v.at([]any{"version"}, "unknown version %q: use %q or %q", s.Version, VersionSloth, VersionML)
		return v.err()
	}
	if s.Service == "" {
		v.at([]any{"service"}, "is required")
	} else if !nameRe.MatchString(s.Service) {
		v.at([]any{"service"}, "%q must start and end with a letter or digit and contain only letters, digits, '.', '_' and '-'", s.Service)
	}
	v.labels([]any{"labels"}, s.Labels)
	if len(s.SLOs) == 0 {
		v.at([]any{"slos"}, "at least one SLO is required")
	}
	names := map[string]int{}
	for i := range s.SLOs {
		o := &s.SLOs[i]
		p := []any{"slos", i}
		if prev, dup := names[o.Name]; dup && o.Name != "" {
			v.at(append(p, "name"), "%q is already used by slos[%d]", o.Name, prev)
		}
		names[o.Name] = i
		if o.ML != nil {
			if s.Version != VersionML {
				v.at(append(p, "ml"), "ML shorthands need version: %s (prometheus/v1 files stay readable by Sloth)", VersionML)
				continue
			}
			if o.SLI.Events != nil || o.SLI.Raw != nil {
				v.at(append(p, "ml"), "give either sli or ml, not both")
				continue
			}
			if !v.expandML(append(p, "ml"), o) {
				continue
			}
		}
		v.slo(p, o)
	}
	return v.err()
}

func (v *validator) slo(p []any, o *SLO) {
	with := func(k ...any) []any { return append(append([]any{}, p...), k...) }
	switch {
	case o.Name == "":
		v.at(with("name"), "is required")
	case !nameRe.MatchString(o.Name):
		v.at(with("name"), "%q must start and end with a letter or digit and contain only letters, digits, '.', '_' and '-'", o.Name)
	}
	if math.IsNaN(o.Objective) || o.Objective <= 0 || o.Objective >= 100 {
		v.at(with("objective"), "must be a percentage in (0, 100), e.g. 99.9; got %s", strconv.FormatFloat(o.Objective, 'g', -1, 64))
	}
	v.labels(with("labels"), o.Labels)
	switch {
	case o.SLI.Events != nil && o.SLI.Raw != nil:
		v.at(with("sli"), "give either events or raw, not both")
	case o.SLI.Events != nil:
		e := o.SLI.Events
		v.query(with("sli", "events", "error_query"), e.ErrorQuery)
		v.query(with("sli", "events", "total_query"), e.TotalQuery)
		if e.ErrorQuery != "" && e.ErrorQuery == e.TotalQuery {
			v.at(with("sli", "events"), "error_query and total_query are the same query")
		}
	case o.SLI.Raw != nil:
		v.query(with("sli", "raw", "error_ratio_query"), o.SLI.Raw.ErrorRatioQuery)
	default:
		v.at(with("sli"), "is required: give sli.events (error_query and total_query), sli.raw (error_ratio_query) or, with version %s, ml", VersionML)
	}
	a := o.Alerting
	if a.Name == "" && (!a.PageAlert.Disable || !a.TicketAlert.Disable) {
		v.at(with("alerting", "name"), "is required unless both page_alert and ticket_alert are disabled")
	}
	v.labels(with("alerting", "labels"), a.Labels)
	v.annotations(with("alerting", "annotations"), a.Annotations)
	v.labels(with("alerting", "page_alert", "labels"), a.PageAlert.Labels)
	v.annotations(with("alerting", "page_alert", "annotations"), a.PageAlert.Annotations)
	v.labels(with("alerting", "ticket_alert", "labels"), a.TicketAlert.Labels)
	v.annotations(with("alerting", "ticket_alert", "annotations"), a.TicketAlert.Annotations)
}

func (v *validator) labels(p []any, m map[string]string) {
	for _, k := range sortedKeys(m) {
		switch {
		case k == model.MetricNameLabel:
			v.at(append(p, k), "the label %q is not allowed", k)
		case !model.UTF8Validation.IsValidLabelName(k):
			v.at(append(p, k), "%q is not a valid label name", k)
		case m[k] == "":
			v.at(append(p, k), "label value is empty")
		case !model.LabelValue(m[k]).IsValid():
			v.at(append(p, k), "label value %q is not valid UTF-8", m[k])
		}
	}
}

func (v *validator) annotations(p []any, m map[string]string) {
	for _, k := range sortedKeys(m) {
		switch {
		case !model.UTF8Validation.IsValidLabelName(k):
			v.at(append(p, k), "%q is not a valid annotation name", k)
		case m[k] == "":
			v.at(append(p, k), "annotation value is empty")
		}
	}
}

// query checks a templated SLI query the way Sloth does: it must use
// {{.window}} and be valid PromQL once a window is filled in.
func (v *validator) query(p []any, q string) {
	if strings.TrimSpace(q) == "" {
		v.at(p, "is required")
		return
	}
	if !windowVarRe.MatchString(q) {
		v.at(p, "must use the {{.window}} template variable as the range of its rate/increase so each rule window gets its own query")
		return
	}
	rendered, err := renderWindow(q, "5m")
	if err != nil {
		v.at(p, "bad template: %v", err)
		return
	}
	if _, err := parser.NewParser(parser.Options{}).ParseExpr(rendered); err != nil {
		v.at(p, "not valid PromQL: %v", err)
	}
}

func renderWindow(query, window string) (string, error) {
	tpl, err := template.New("sli").Option("missingkey=error").Parse(query)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, map[string]string{"window": window}); err != nil {
		return "", err
	}
	return b.String(), nil
}
