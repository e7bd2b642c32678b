package api

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Actions a runbook step may carry out.
const (
	StepRollback = "rollback"
	StepPromote  = "promote"
	StepSilence  = "silence"
	StepAnnotate = "annotate"
	StepQuery    = "query"
)

// RunbookStep is one step of a runbook.
type RunbookStep struct {
	Title string `yaml:"title" json:"title"`
	Text  string `yaml:"text,omitempty" json:"text,omitempty"`
	// Action, when set, is what `mlectl runbook run --step N` carries out.
	Action string `yaml:"action,omitempty" json:"action,omitempty"`
	// Args of the action; values may use ${var} placeholders (model,
	// version, feature, ...) filled in when the step is run.
	Args map[string]string `yaml:"args,omitempty" json:"args,omitempty"`
}

// Runbook is GET /api/v1/runbooks/{id}: one runbook with its Markdown body
// and steps. The collector's runbooks.Runbook (which also holds the parsed
// alert matchers) marshals to this shape.
type Runbook struct {
	ID     string        `json:"id"`
	Title  string        `json:"title"`
	Alerts []string      `json:"alerts,omitempty"`
	Models []string      `json:"models,omitempty"`
	Owner  string        `json:"owner,omitempty"`
	Steps  []RunbookStep `json:"steps,omitempty"`
	// Body is the Markdown after the front matter.
	Body string `json:"body"`
	// Source is the file the runbook came from ("embedded:NAME" for the
	// shipped library).
	Source string `json:"source"`
}

// RunbookSummary is one entry of GET /api/v1/runbooks.
type RunbookSummary struct {
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	Alerts []string `json:"alerts,omitempty"`
	Models []string `json:"models,omitempty"`
	Owner  string   `json:"owner,omitempty"`
	Steps  int      `json:"steps"`
	Source string   `json:"source"`
}

// StepBody is the body of POST /api/v1/runbooks/{id}/steps/{n}.
type StepBody struct {
	Vars   map[string]string `json:"vars,omitempty"`
	DryRun bool              `json:"dry_run,omitempty"`
	// To is the version a rollback step rolls back to, as the CLI's
	// `rollback --to`; empty: the step's own version arg, else the
	// registry's default (the previous production version). The registry
	// refuses a version it does not hold.
	To string `json:"to,omitempty"`
}

// StepResult is what running a runbook step did.
type StepResult struct {
	Runbook string            `json:"runbook"`
	Step    int               `json:"step"`
	Title   string            `json:"title"`
	Action  string            `json:"action,omitempty"`
	Args    map[string]string `json:"args,omitempty"`
	Outcome string            `json:"outcome"`
	Result  *ActionResult     `json:"result,omitempty"`
	// Query is the expanded PromQL of a query step; the client evaluates it
	// against /api/v1/query.
	Query     string `json:"query,omitempty"`
	SilenceID string `json:"silence_id,omitempty"`
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Expand substitutes ${var} in the step's args from vars and returns the
// names that had no value.
func (s RunbookStep) Expand(vars map[string]string) (map[string]string, []string) {
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
