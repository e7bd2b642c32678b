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
)

// Step actions.
const (
	ActionRollback = "rollback"
	ActionPromote  = "promote"
	ActionSilence  = "silence"
	ActionAnnotate = "annotate"
	ActionQuery    = "query"
)

var knownActions = []string{ActionRollback, ActionPromote, ActionSilence, ActionAnnotate, ActionQuery}

// Step is one numbered step of a runbook.
type Step struct {
	Title string `yaml:"title" json:"title"`
	Text  string `yaml:"text,omitempty" json:"text,omitempty"`
	// Action, when set, is what `mlectl runbook run --step N` carries out.
	Action string `yaml:"action,omitempty" json:"action,omitempty"`
	// Args of the action; values may use ${var} placeholders (model,
	// version, feature, ...) filled in when the step is run.
	Args map[string]string `yaml:"args,omitempty" json:"args,omitempty"`
}

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

var placeholder = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Expand substitutes ${var} in the step's args from vars and returns the
// names that had no value.
func (s Step) Expand(vars map[string]string) (map[string]string, []string) {
	out := make(map[string]string, len(s.Args))
	var missing []string
	for k, v := range s.Args {
		out[k] = placeholder.ReplaceAllStringFunc(v, func(m string) string {
			name := m[2 : len(m)-1]
			val, ok := vars[name]
			if !ok || val == "" {
				if !slices.Contains(missing, name) {
					missing = append(missing, name)
				}
				return m
			}
			return val
		})
	}
	slices.Sort(missing)
	return out, missing
}

// Markdown renders the runbook for a terminal or a wiki page.
func (rb *Runbook) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", rb.Title)
	fmt.Fprintf(&b, "- **ID:** `%s`\n", rb.ID)
	if rb.Owner != "" {
		fmt.Fprintf(&b, "- **Owner:** %s\n", rb.Owner)
	}
	if len(rb.Alerts) > 0 {
		fmt.Fprintf(&b, "- **Alerts:** `%s`\n", strings.Join(rb.Alerts, "` · `"))
	}
	if len(rb.Models) > 0 {
		fmt.Fprintf(&b, "- **Models:** %s\n", strings.Join(rb.Models, ", "))
	}
	if rb.Body != "" {
		fmt.Fprintf(&b, "\n%s\n", rb.Body)
	}
	if len(rb.Steps) > 0 {
		b.WriteString("\n## Steps\n\n")
		for i, s := range rb.Steps {
			fmt.Fprintf(&b, "%d. **%s**", i+1, s.Title)
			if s.Action != "" {
				fmt.Fprintf(&b, " — action `%s`", s.Action)
			}
			b.WriteString("\n")
			if s.Text != "" {
				for _, line := range strings.Split(strings.TrimSpace(s.Text), "\n") {
					fmt.Fprintf(&b, "   %s\n", line)
				}
			}
			if len(s.Args) > 0 {
				keys := make([]string, 0, len(s.Args))
				for k := range s.Args {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				b.WriteString("\n")
				for _, k := range keys {
					fmt.Fprintf(&b, "   - `%s`: `%s`\n", k, s.Args[k])
				}
			}
			_, vars := s.Expand(nil)
			run := fmt.Sprintf("mlectl runbook run %s --step %d", rb.ID, i+1)
			for _, v := range vars {
				run += fmt.Sprintf(" --set %s=…", v)
			}
			fmt.Fprintf(&b, "\n   Run: `%s`\n\n", run)
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}
