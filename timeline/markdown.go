package timeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/mlectl/mlectl/api"
)

const tsLayout = "2006-01-02 15:04:05Z"

func ts(t time.Time) string { return t.UTC().Format(tsLayout) }

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func dur(d *time.Duration) string {
	if d == nil {
		return "n/a"
	}
	return FormatDuration(*d)
}

// Markdown renders a postmortem draft following Google's SRE postmortem
// template; the sections a human must write are marked TODO.
func (r *Report) Markdown() []byte {
	var b strings.Builder
	subject := r.Model
	if subject == "" {
		subject = "all models"
	}
	impact, hasImpact := r.Milestone(ImpactStarted)
	date := r.From
	if hasImpact {
		date = impact.Time
	}
	fmt.Fprintf(&b, "# Postmortem: %s incident of %s\n\n", subject, date.UTC().Format("2006-01-02"))
	fmt.Fprintf(&b, "**Status:** draft · **Window:** %s → %s (UTC)", ts(r.From), ts(r.To))
	if !r.GeneratedAt.IsZero() {
		fmt.Fprintf(&b, " · **Generated:** %s by `mlectl timeline export`", ts(r.GeneratedAt))
	}
	b.WriteString("\n\n")

	b.WriteString("## Summary\n\n_TODO: two or three sentences — what broke, who was affected, for how long, how it was mitigated._\n\n")

	b.WriteString("## Impact\n\n")
	if hasImpact {
		fmt.Fprintf(&b, "- Impact started: %s — %s\n", ts(impact.Time), impact.Description)
		if res, ok := r.Milestone(Resolved); ok {
			fmt.Fprintf(&b, "- Impact ended: %s (duration %s)\n", ts(res.Time), dur(r.Durations.TimeToResolve))
		} else {
			b.WriteString("- Impact ended: not resolved within the window\n")
		}
	} else {
		b.WriteString("- No SLO breach, drift or alert event in the window.\n")
	}
	b.WriteString("\n_TODO: requests or users affected, wrong predictions served, business impact._\n\n")

	b.WriteString("## Detection\n\n")
	if m, ok := r.Milestone(Detected); ok {
		if r.Durations.TimeToDetect != nil {
			fmt.Fprintf(&b, "- Detected: %s — %s (time to detect: %s)\n", ts(m.Time), m.Description, dur(r.Durations.TimeToDetect))
		} else {
			fmt.Fprintf(&b, "- Detected: %s — %s (time to detect: unknown — no event before the alert marks when impact began)\n", ts(m.Time), m.Description)
		}
	} else {
		b.WriteString("- No alert fired in the window.\n")
	}
	if m, ok := r.Milestone(Acknowledged); ok {
		fmt.Fprintf(&b, "- Acknowledged: %s — %s (time to acknowledge: %s after detection)\n", ts(m.Time), m.Description, dur(r.Durations.TimeToAcknowledge))
	}
	b.WriteString("\n")

	b.WriteString("## Root cause\n\n_TODO: the chain of causes; link the change, data source or dependency._\n\n")
	b.WriteString("## Trigger\n\n")
	if r.Trigger != nil {
		fmt.Fprintf(&b, "- Last change before the impact: %s — %s\n\n_TODO: confirm it set the incident off, or name what did._\n\n", ts(r.Trigger.Time), r.Trigger.Description)
	} else {
		b.WriteString("_TODO: what set it off (deploy, upstream data change, traffic shift); no deploy, version change or promotion is in the window._\n\n")
	}

	b.WriteString("## Resolution\n\n")
	if m, ok := r.Milestone(Mitigated); ok {
		fmt.Fprintf(&b, "- Mitigated: %s — %s (time to mitigate: %s)\n", ts(m.Time), m.Description, dur(r.Durations.TimeToMitigate))
	} else {
		b.WriteString("- No successful mitigation action recorded.\n")
	}
	if m, ok := r.Milestone(Resolved); ok {
		fmt.Fprintf(&b, "- Resolved: %s — %s (time to resolve: %s)\n", ts(m.Time), m.Description, dur(r.Durations.TimeToResolve))
	}
	b.WriteString("\n")

	b.WriteString("## Key milestones\n\n| Milestone | Time (UTC) | Since impact start |\n|---|---|---|\n")
	for _, m := range r.Milestones {
		since := "—"
		if hasImpact {
			since = FormatDuration(m.Time.Sub(impact.Time))
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", strings.ReplaceAll(m.Name, "_", " "), ts(m.Time), since)
	}
	fmt.Fprintf(&b, "\n| Measure | Value |\n|---|---|\n| Time to detect | %s |\n| Time to acknowledge | %s |\n| Time to mitigate | %s |\n| Time to resolve | %s |\n\n",
		dur(r.Durations.TimeToDetect), dur(r.Durations.TimeToAcknowledge), dur(r.Durations.TimeToMitigate), dur(r.Durations.TimeToResolve))

	b.WriteString("## Timeline (UTC)\n\n| Time | Event | Model | Version | Actor | Details |\n|---|---|---|---|---|---|\n")
	marks := map[string]string{}
	for _, m := range r.Milestones {
		if m.EventID != "" && marks[m.EventID] == "" {
			marks[m.EventID] = strings.ReplaceAll(m.Name, "_", " ")
		}
	}
	for _, e := range r.Events {
		kind := string(e.Kind)
		if mark := marks[e.ID]; mark != "" && e.ID != "" {
			kind = fmt.Sprintf("**%s** (%s)", kind, mark)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", ts(e.Time), kind, cell(e.Model), cell(e.Version), cell(e.Actor), cell(eventDetails(e)))
	}
	if len(r.Events) == 0 {
		b.WriteString("| — | no events in the window | | | | |\n")
	}
	b.WriteString("\n")

	b.WriteString("## Action items\n\n| Action item | Type | Owner | Bug |\n|---|---|---|---|\n")
	b.WriteString("| _TODO: prevent recurrence_ | prevent | | |\n| _TODO: detect earlier_ | detect | | |\n| _TODO: mitigate faster_ | mitigate | | |\n\n")
	b.WriteString("## Lessons learned\n\n### What went well\n\n_TODO_\n\n### What went wrong\n\n_TODO_\n\n### Where we got lucky\n\n_TODO_\n")
	return []byte(b.String())
}

func eventDetails(e api.Event) string {
	d := describe(e)
	if e.Actor != "" {
		d = strings.TrimSuffix(d, " (by "+e.Actor+")")
	}
	return d
}
