package timeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mlectl/mlectl/api"
)

// Milestone is one key moment of an incident and the event that marks it.
type Milestone struct {
	Name        string    `json:"name"`
	Time        time.Time `json:"time"`
	EventID     string    `json:"event_id,omitempty"`
	Description string    `json:"description"`
}

// Milestone names, in incident order.
const (
	ImpactStarted = "impact_started"
	Detected      = "detected"
	Acknowledged  = "acknowledged"
	Mitigated     = "mitigated"
	Resolved      = "resolved"
)

// Durations between milestones. Detect, mitigate and resolve are measured
// from impact start; acknowledge from detection.
type Durations struct {
	TimeToDetect      *time.Duration `json:"-"`
	TimeToAcknowledge *time.Duration `json:"-"`
	TimeToMitigate    *time.Duration `json:"-"`
	TimeToResolve     *time.Duration `json:"-"`
}

// Report is a computed timeline.
type Report struct {
	Model       string
	From, To    time.Time
	GeneratedAt time.Time
	Milestones  []Milestone
	Durations   Durations
	// Trigger is the last change before the impact (a deploy, version
	// change, promotion or traffic change), the likely trigger; nil when
	// the window holds none.
	Trigger *Milestone
	Events  []api.Event
}

// isChange reports whether e changed what serves: a trigger candidate.
func isChange(e api.Event) bool {
	switch e.Kind {
	case api.KindDeploy, api.KindVersionChange:
		return true
	case api.KindAction:
		return e.Result == api.ResultOK && e.Action != "rollback"
	}
	return false
}

// Milestone returns the named milestone, if reached.
func (r *Report) Milestone(name string) (Milestone, bool) {
	for _, m := range r.Milestones {
		if m.Name == name {
			return m, true
		}
	}
	return Milestone{}, false
}

func alertKey(e api.Event) string {
	keys := slices.Sorted(maps.Keys(e.Labels))
	var b strings.Builder
	b.WriteString(e.Model)
	for _, k := range keys {
		b.WriteString("\xff" + k + "=" + e.Labels[k])
	}
	return b.String()
}

func alertName(e api.Event) string {
	if n := e.Labels["alertname"]; n != "" {
		return n
	}
	return e.Text
}

func isMitigation(e api.Event) bool {
	return e.Kind == api.KindAction && e.Result == api.ResultOK
}

// Build computes the timeline of evs (any order) within [from, to).
func Build(model string, from, to time.Time, evs []api.Event) Report {
	r := Report{Model: model, From: from.UTC(), To: to.UTC()}
	for _, e := range evs {
		if model != "" && e.Model != "" && e.Model != model {
			continue
		}
		r.Events = append(r.Events, e)
	}
	sort.SliceStable(r.Events, func(i, j int) bool {
		if !r.Events[i].Time.Equal(r.Events[j].Time) {
			return r.Events[i].Time.Before(r.Events[j].Time)
		}
		return r.Events[i].ID < r.Events[j].ID
	})

	var impact, firstAlert, ack, mitigation, rollback, resolved *api.Event
	firing := map[string]bool{}
	for i := range r.Events {
		e := &r.Events[i]
		switch e.Kind {
		case api.KindDriftDetected, api.KindSLOBreach:
			if impact == nil {
				impact = e
			}
		case api.KindAlertFiring:
			if firstAlert == nil {
				firstAlert = e
			}
			firing[alertKey(*e)] = true
			resolved = nil
		case api.KindAlertResolved:
			delete(firing, alertKey(*e))
			if firstAlert != nil && len(firing) == 0 {
				resolved = e
			}
		case api.KindIncidentResolve:
			if firstAlert != nil || impact != nil {
				resolved = e
			}
		case api.KindAck:
			if ack == nil && firstAlert != nil {
				ack = e
			}
		case api.KindAction:
			if isMitigation(*e) && (firstAlert != nil || impact != nil) {
				if mitigation == nil {
					mitigation = e
				}
				if rollback == nil && e.Action == "rollback" {
					rollback = e
				}
			}
		}
	}
	if rollback != nil {
		mitigation = rollback
	}
	if impact == nil && firstAlert != nil {
		impact = firstAlert
	}
	add := func(name string, e *api.Event, desc string) {
		if e != nil {
			r.Milestones = append(r.Milestones, Milestone{Name: name, Time: e.Time.UTC(), EventID: e.ID, Description: desc})
		}
	}
	if impact != nil {
		desc := "first SLO breach or drift event: " + describe(*impact)
		if impact == firstAlert {
			desc = "no earlier breach or drift event; first alert: " + describe(*impact)
		}
		add(ImpactStarted, impact, desc)
	}
	if firstAlert != nil {
		add(Detected, firstAlert, "alert "+alertName(*firstAlert)+" firing")
	}
	if ack != nil {
		add(Acknowledged, ack, "acknowledged by "+orUnknown(ack.Actor))
	}
	if mitigation != nil {
		add(Mitigated, mitigation, describe(*mitigation))
	}
	if resolved != nil {
		desc := "all alerts resolved"
		if resolved.Kind == api.KindIncidentResolve {
			desc = "incident marked resolved by " + orUnknown(resolved.Actor)
		}
		add(Resolved, resolved, desc)
	}
	since := func(a, b *api.Event) *time.Duration {
		if a == nil || b == nil {
			return nil
		}
		d := b.Time.Sub(a.Time)
		return &d
	}
	if impact != nil {
		for i := range r.Events {
			e := &r.Events[i]
			if !e.Time.After(impact.Time) && isChange(*e) {
				r.Trigger = &Milestone{Name: "trigger", Time: e.Time.UTC(), EventID: e.ID, Description: describeChange(*e)}
			}
		}
	}
	// Time to detect needs an event that marks the impact before the
	// alert: a drift or breach event recorded as the alert fired says
	// nothing of when impact began, and 0s would claim instant detection.
	ttd := since(impact, firstAlert)
	if ttd != nil && *ttd <= 0 {
		ttd = nil
	}
	r.Durations = Durations{
		TimeToDetect:      ttd,
		TimeToAcknowledge: since(firstAlert, ack),
		TimeToMitigate:    since(impact, mitigation),
		TimeToResolve:     since(impact, resolved),
	}
	return r
}

// describeChange says what a trigger candidate changed.
func describeChange(e api.Event) string {
	var b strings.Builder
	if e.Kind == api.KindAction && e.Text != "" {
		b.WriteString(e.Text) // the registry writes "promote fraud: v2 → v3"
	} else {
		b.WriteString(string(e.Kind))
		if e.Kind == api.KindAction {
			b.Reset()
			b.WriteString(e.Action)
		}
		if e.Model != "" {
			b.WriteString(" " + e.Model)
		}
		if e.Version != "" {
			b.WriteString(" " + e.Version)
		}
		if e.Text != "" {
			b.WriteString(": " + e.Text)
		}
	}
	if e.Actor != "" {
		fmt.Fprintf(&b, " (by %s)", e.Actor)
	}
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func describe(e api.Event) string {
	var b strings.Builder
	switch e.Kind {
	case api.KindAlertFiring, api.KindAlertResolved:
		state := "firing"
		if e.Kind == api.KindAlertResolved {
			state = "resolved"
		}
		fmt.Fprintf(&b, "alert %s %s", alertName(e), state)
		// The rules engine writes "NAME firing: summary"; say it once.
		text := strings.TrimPrefix(strings.TrimPrefix(e.Text, alertName(e)+" "+state), ":")
		if text = strings.TrimSpace(text); text != "" && text != alertName(e) {
			b.WriteString(": " + text)
		}
	case api.KindAction:
		fmt.Fprintf(&b, "%s %s", e.Action, orUnknown(e.Result))
		if e.Text != "" {
			b.WriteString(": " + e.Text)
		}
	default:
		b.WriteString(e.Text)
		if b.Len() == 0 {
			b.WriteString(string(e.Kind))
		}
	}
	if e.Actor != "" && e.Kind != api.KindAlertFiring && e.Kind != api.KindAlertResolved {
		fmt.Fprintf(&b, " (by %s)", e.Actor)
	}
	return b.String()
}

// FormatDuration prints d the way on-call reports do: 1h02m, 4m30s, 45s.
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	neg := d < 0
	if neg {
		d = -d
	}
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	var out string
	switch {
	case h > 0:
		out = fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	case m > 0:
		out = fmt.Sprintf("%dm%02ds", m, s)
	default:
		out = fmt.Sprintf("%ds", s)
	}
	if neg {
		return "-" + out
	}
	return out
}

type jsonDuration struct {
	Seconds float64 `json:"seconds"`
	Human   string  `json:"human"`
}

type jsonReport struct {
	Model       string                   `json:"model,omitempty"`
	From        time.Time                `json:"from"`
	To          time.Time                `json:"to"`
	GeneratedAt *time.Time               `json:"generated_at,omitempty"`
	Milestones  []Milestone              `json:"milestones"`
	Durations   map[string]*jsonDuration `json:"durations"`
	Events      []api.Event              `json:"events"`
}

func jd(d *time.Duration) *jsonDuration {
	if d == nil {
		return nil
	}
	return &jsonDuration{Seconds: d.Seconds(), Human: FormatDuration(*d)}
}

// JSON renders the report machine-readably (indented, trailing newline).
func (r *Report) JSON() ([]byte, error) {
	jr := jsonReport{Model: r.Model, From: r.From, To: r.To, Milestones: r.Milestones, Events: r.Events,
		Durations: map[string]*jsonDuration{
			"time_to_detect":      jd(r.Durations.TimeToDetect),
			"time_to_acknowledge": jd(r.Durations.TimeToAcknowledge),
			"time_to_mitigate":    jd(r.Durations.TimeToMitigate),
			"time_to_resolve":     jd(r.Durations.TimeToResolve),
		}}
	if !r.GeneratedAt.IsZero() {
		g := r.GeneratedAt.UTC()
		jr.GeneratedAt = &g
	}
	if jr.Milestones == nil {
		jr.Milestones = []Milestone{}
	}
	if jr.Events == nil {
		jr.Events = []api.Event{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jr); err != nil {
		return nil, fmt.Errorf("encoding timeline: %w", err)
	}
	return buf.Bytes(), nil
}
