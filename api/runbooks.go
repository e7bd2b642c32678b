package api

// RunbookStep is one step of a runbook.
type RunbookStep struct {
	Title string `json:"title"`
	Text  string `json:"text,omitempty"`
	// Action, when set, is what `mlectl runbook run --step N` carries out.
	Action string `json:"action,omitempty"`
	// Args of the action; values may use ${var} placeholders (model,
	// version, feature, ...) filled in when the step is run.
	Args map[string]string `json:"args,omitempty"`
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
