package scenario

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/gameday/loadgen"
)

// Report is the outcome of a run.
type Report struct {
	Name         string              `json:"name"`
	Collector    string              `json:"collector"`
	Model        string              `json:"model"`
	Started      time.Time           `json:"started"`
	Ended        time.Time           `json:"ended"`
	Passed       bool                `json:"passed"`
	Error        string              `json:"error,omitempty"`
	Expectations []ExpectResult      `json:"expectations"`
	Injections   []gameday.Injection `json:"injections"`
	AlertsFired  []FiredAlert        `json:"alerts_fired"`
	Actions      []events.Event      `json:"actions"`
	Loadgen      *loadgen.Stats      `json:"loadgen,omitempty"`
	Notes        []string            `json:"notes,omitempty"`
}

// ExpectResult is one expectation's outcome.
type ExpectResult struct {
	Step        int               `json:"step"`
	Alert       string            `json:"alert"`
	Labels      map[string]string `json:"labels,omitempty"`
	FiresWithin string            `json:"fires_within"`
	// Since is when the clock started: the last injection's start.
	Since               time.Time  `json:"since"`
	Fired               bool       `json:"fired"`
	FiredAt             *time.Time `json:"fired_at,omitempty"`
	TimeToDetect        string     `json:"time_to_detect,omitempty"`
	TimeToDetectSeconds float64    `json:"time_to_detect_seconds,omitempty"`
	Passed              bool       `json:"passed"`
	Reason              string     `json:"reason,omitempty"`
}

// FiredAlert is an alert seen firing during the run.
type FiredAlert struct {
	Name     string            `json:"alertname"`
	Labels   map[string]string `json:"labels"`
	ActiveAt time.Time         `json:"active_at"`
	// FiredAt is when it began firing: the evaluation that fired it (the
	// alerting engine's firedAt); without that, ActiveAt when it fired
	// without a pending period after the previous poll, else FirstSeen
	// (the poll that first saw it firing), late by at most one poll.
	FiredAt   time.Time `json:"fired_at"`
	FirstSeen time.Time `json:"first_seen"`
	key       string
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func clock(t time.Time) string { return t.UTC().Format("15:04:05") }

func labelText(l map[string]string, skip ...string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		if slices.Contains(skip, k) {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=%q", k, l[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// WriteMarkdown writes the report as a Markdown document.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	name := r.Name
	if name == "" {
		name = "game day on " + r.Model
	}
	fmt.Fprintf(&b, "# Game day: %s — %s\n\n", name, verdict(r.Passed))
	fmt.Fprintf(&b, "Model `%s` on %s, %s to %s UTC (%s).\n", r.Model, r.Collector,
		r.Started.UTC().Format("2006-01-02 15:04:05"), clock(r.Ended), r.Ended.Sub(r.Started).Round(time.Second))
	if r.Error != "" {
		fmt.Fprintf(&b, "\n**The run stopped early:** %s\n", cell(r.Error))
	}
	b.WriteString("\n## Expectations\n\n")
	if len(r.Expectations) == 0 {
		b.WriteString("None (a scenario without expectations does not pass).\n")
	} else {
		b.WriteString("| Step | Expectation | Clock from | Fired at | Time to detect | Result |\n|---|---|---|---|---|---|\n")
		for _, e := range r.Expectations {
			fired, ttd := "—", "—"
			if e.FiredAt != nil {
				fired, ttd = clock(*e.FiredAt), e.TimeToDetect
			}
			res := verdict(e.Passed)
			if e.Reason != "" {
				res += ": " + e.Reason
			}
			fmt.Fprintf(&b, "| %d | %s fires within %s | %s | %s | %s | %s |\n", e.Step, cell(e.Alert+labelText(e.Labels, "alertname")), e.FiresWithin,
				clock(e.Since), fired, ttd, cell(res))
		}
	}
	b.WriteString("\n## Injections\n\n")
	if len(r.Injections) == 0 {
		b.WriteString("None.\n")
	} else {
		b.WriteString("| ID | Kind | Feature | Magnitude | Version | Started | Stopped | Records |\n|---|---|---|---|---|---|---|---|\n")
		for _, in := range r.Injections {
			stopped, version, feature := "—", in.Version, in.Feature
			if in.StoppedAt != nil {
				stopped = clock(*in.StoppedAt)
			}
			if version == "" {
				version = "all"
			}
			if feature == "" {
				feature = "—"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %g | %s | %s | %s | %d |\n", in.ID, in.Kind, cell(feature), in.Magnitude, cell(version), clock(in.StartedAt), stopped, in.Records)
		}
	}
	b.WriteString("\n## Alerts fired\n\n")
	if len(r.AlertsFired) == 0 {
		b.WriteString("None.\n")
	} else {
		b.WriteString("| Alert | Labels | Active since | Fired at | First seen |\n|---|---|---|---|---|\n")
		for _, a := range r.AlertsFired {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(a.Name), cell(labelText(a.Labels, "alertname")), clock(a.ActiveAt), clock(a.FiredAt), clock(a.FirstSeen))
		}
	}
	b.WriteString("\n## Actions taken\n\n")
	if len(r.Actions) == 0 {
		b.WriteString("None.\n")
	} else {
		b.WriteString("| Time | Kind | Actor | What |\n|---|---|---|---|\n")
		for _, e := range r.Actions {
			what := e.Text
			if what == "" {
				what = strings.TrimSpace(e.Action + " " + e.Result)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", clock(e.Time), e.Kind, cell(e.Actor), cell(what))
		}
	}
	if r.Loadgen != nil {
		fmt.Fprintf(&b, "\n## Traffic\n\nloadgen sent %d predictions in %d requests: %d accepted, %d refused.\n",
			r.Loadgen.Sent, r.Loadgen.Batches, r.Loadgen.Accepted, r.Loadgen.Failed)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nNote: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
