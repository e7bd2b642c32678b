package runbooks

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/mlectl/mlectl/api"
)

// Step actions.
const (
	ActionRollback = api.StepRollback
	ActionPromote  = api.StepPromote
	ActionSilence  = api.StepSilence
	ActionAnnotate = api.StepAnnotate
	ActionQuery    = api.StepQuery
)

var knownActions = []string{ActionRollback, ActionPromote, ActionSilence, ActionAnnotate, ActionQuery}

// Step is one step of a runbook (api.RunbookStep: Expand fills its
// ${placeholders}).
type Step = api.RunbookStep

// Runbook is one parsed runbook file.
type Runbook struct {
	ID     string   `yaml:"id" json:"id"`
	Title  string   `yaml:"title" json:"title"`
	Alerts []string `yaml:"alerts,omitempty" json:"alerts,omitempty"`
	Models []string `yaml:"models,omitempty" json:"models,omitempty"`
	Owner  string   `yaml:"owner,omitempty" json:"owner,omitempty"`
	Steps  []Step   `yaml:"steps,omitempty" json:"steps,omitempty"`
	// Body is the Markdown after the front matter.
	Body string `yaml:"-" json:"body"`
	// Source is the file the runbook came from ("embedded:NAME" for the
	// shipped library).
	Source string `yaml:"-" json:"source"`

	matchers [][]*labels.Matcher
}

var idSyntax = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)

// Parse reads a runbook file. source names it in errors.
func Parse(source string, data []byte) (*Runbook, error) {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	if !bytes.HasPrefix(data, []byte("---\n")) {
		return nil, fmt.Errorf("runbook %s: must start with a '---' line opening the YAML front matter", source)
	}
	rest := data[4:]
	end := bytes.Index(rest, []byte("\n---\n"))
	var front, body []byte
	switch {
	case end >= 0:
		front, body = rest[:end+1], rest[end+5:]
	case bytes.HasSuffix(rest, []byte("\n---")):
		front = rest[:len(rest)-3]
	default:
		return nil, fmt.Errorf("runbook %s: front matter is not closed by a '---' line", source)
	}
	rb := &Runbook{Source: source}
	dec := yaml.NewDecoder(bytes.NewReader(front))
	dec.KnownFields(true)
	if err := dec.Decode(rb); err != nil {
		return nil, fmt.Errorf("runbook %s: front matter: %w", source, err)
	}
	rb.Body = strings.TrimSpace(string(body))
	if err := rb.validate(); err != nil {
		return nil, fmt.Errorf("runbook %s: %w", source, err)
	}
	return rb, nil
}

func (rb *Runbook) validate() error {
	if !idSyntax.MatchString(rb.ID) {
		return fmt.Errorf("field id %q must match [a-z0-9][a-z0-9._-]*", rb.ID)
	}
	if strings.TrimSpace(rb.Title) == "" {
		return fmt.Errorf("field title is empty")
	}
	p := parser.NewParser(parser.Options{})
	for i, a := range rb.Alerts {
		sel := strings.TrimSpace(a)
		if !strings.HasPrefix(sel, "{") {
			sel = "{" + sel + "}"
		}
		ms, err := p.ParseMetricSelector(sel)
		if err != nil {
			return fmt.Errorf("field alerts[%d] %q is not a label matcher list: %w", i, a, err)
		}
		rb.matchers = append(rb.matchers, ms)
	}
	for i, s := range rb.Steps {
		if strings.TrimSpace(s.Title) == "" {
			return fmt.Errorf("field steps[%d].title is empty", i)
		}
		if s.Action != "" && !slices.Contains(knownActions, s.Action) {
			return fmt.Errorf("field steps[%d].action %q is not one of %s", i, s.Action, strings.Join(knownActions, ", "))
		}
		if s.Action == "" && len(s.Args) > 0 {
			return fmt.Errorf("field steps[%d].args is set but the step has no action", i)
		}
	}
	return nil
}

// MatchesAlert reports whether the alert with these labels matches one of
// the runbook's matcher lists and, when the runbook names models, whether
// the alert's model label is one of them.
func (rb *Runbook) MatchesAlert(lset map[string]string) bool {
	if len(rb.Models) > 0 {
		if m, ok := lset["model"]; ok && !slices.Contains(rb.Models, m) {
			return false
		}
	}
	for _, ms := range rb.matchers {
		all := true
		for _, m := range ms {
			if !m.Matches(lset[m.Name]) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// Wire returns the runbook as the API serves it (the same JSON).
func (rb *Runbook) Wire() api.Runbook {
	return api.Runbook{ID: rb.ID, Title: rb.Title, Alerts: rb.Alerts, Models: rb.Models, Owner: rb.Owner,
		Steps: rb.Steps, Body: rb.Body, Source: rb.Source}
}

// Markdown renders the runbook for a terminal or a wiki page
// (api.Runbook.Markdown).
func (rb *Runbook) Markdown() string {
	w := rb.Wire()
	return w.Markdown()
}
