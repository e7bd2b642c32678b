package alerting

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/rules"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/events"
)

// ActiveAlert is an active alert with its id, ack and silences (api.ActiveAlert).
type ActiveAlert = api.ActiveAlert

// Alerts returns the pending and firing alerts, firing first, then by name
// and id.
func (m *Manager) Alerts() []ActiveAlert {
	now := m.opts.Now()
	var out []ActiveAlert
	for _, r := range m.AlertingRules() {
		for _, a := range r.ActiveAlerts() {
			id := Fingerprint(a.Labels)
			aa := ActiveAlert{
				ID:          id,
				Name:        r.Name(),
				State:       a.State.String(),
				Labels:      a.Labels.Map(),
				Annotations: a.Annotations.Map(),
				Value:       a.Value,
				ActiveAt:    a.ActiveAt.UTC(),
				SilencedBy:  m.sil.silencedBy(a.Labels, now),
			}
			if !a.FiredAt.IsZero() {
				t := a.FiredAt.UTC()
				aa.FiredAt = &t
			}
			if !a.KeepFiringSince.IsZero() {
				t := a.KeepFiringSince.UTC()
				aa.KeepFiringSince = &t
			}
			if ack, ok := m.sil.ackFor(id); ok {
				aa.Ack = &ack
			}
			out = append(out, aa)
		}
	}
	slices.SortFunc(out, func(a, b ActiveAlert) int {
		if a.State != b.State {
			if a.State == rules.StateFiring.String() {
				return -1
			}
			if b.State == rules.StateFiring.String() {
				return 1
			}
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func (m *Manager) findAlert(id string) (*rules.Alert, bool) {
	for _, r := range m.AlertingRules() {
		for _, a := range r.ActiveAlerts() {
			if Fingerprint(a.Labels) == id {
				return a, true
			}
		}
	}
	return nil, false
}

// Ack acknowledges an active alert as actor. The ack lasts until the alert
// resolves; while it holds, the webhooks get no repeat notifications.
func (m *Manager) Ack(ctx context.Context, id, actor, comment string) (Ack, error) {
	a, ok := m.findAlert(id)
	if !ok {
		return Ack{}, fmt.Errorf("alert %q is not pending or firing: %w", id, ErrNotFound)
	}
	ack := Ack{AlertID: id, By: actor, At: m.opts.Now().UTC(), Comment: comment}
	if err := m.sil.ack(ack); err != nil {
		return Ack{}, err
	}
	text := fmt.Sprintf("acknowledged %s", a.Labels.Get(labels.AlertName))
	if comment != "" {
		text += ": " + comment
	}
	m.record(ctx, events.Event{Time: ack.At, Kind: events.KindAck, Model: modelOf(a.Labels), Version: a.Labels.Get("version"),
		Actor: actor, Text: text, Labels: map[string]string{"alert_id": id, labels.AlertName: a.Labels.Get(labels.AlertName)}})
	return ack, nil
}

// SilenceRequest is the body of POST /api/v1/silences (api.SilenceRequest).
type SilenceRequest = api.SilenceRequest

// CreateSilence validates and stores a silence by actor and records a
// silence event.
func (m *Manager) CreateSilence(ctx context.Context, req SilenceRequest, actor string) (Silence, error) {
	sil, err := m.createSilence(req, actor, "")
	if err != nil {
		return Silence{}, err
	}
	m.record(ctx, m.silenceEvent(sil, "silenced"))
	return sil, nil
}

func (m *Manager) createSilence(req SilenceRequest, actor, model string) (Silence, error) {
	now := m.opts.Now().UTC()
	start := req.StartsAt
	if start.IsZero() {
		start = now
	}
	end := req.EndsAt
	switch {
	case req.Duration != "" && !end.IsZero():
		return Silence{}, fmt.Errorf("give either duration or endsAt, not both")
	case req.Duration != "":
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			return Silence{}, fmt.Errorf("duration %q is not a positive Go duration (e.g. 1h)", req.Duration)
		}
		end = start.Add(d)
	case end.IsZero():
		return Silence{}, fmt.Errorf("duration or endsAt is required")
	}
	if !end.After(now) {
		return Silence{}, fmt.Errorf("endsAt %s is in the past", end.Format(time.RFC3339))
	}
	if strings.TrimSpace(req.Comment) == "" {
		return Silence{}, fmt.Errorf("comment is required: say why the alerts are silenced")
	}
	return m.sil.add(Silence{Matchers: req.Matchers, StartsAt: start.UTC(), EndsAt: end.UTC(), CreatedBy: actor, Comment: req.Comment, Model: model})
}

func (m *Manager) silenceEvent(sil Silence, verb string) events.Event {
	model := sil.Model
	if model == "" {
		// A silence for one model belongs on that model's timeline.
		for _, mt := range sil.matchers {
			if mt.Name == "model" && mt.Type == labels.MatchEqual {
				model = mt.Value
			}
		}
	}
	return events.Event{Time: m.opts.Now().UTC(), Kind: events.KindSilence, Model: model, Actor: sil.CreatedBy,
		Text:   fmt.Sprintf("%s %s until %s: %s", verb, sil.Matchers, sil.EndsAt.Format(time.RFC3339), sil.Comment),
		Labels: map[string]string{"silence_id": sil.ID}}
}

// Silence implements metaapi.Silencer for runbook silence steps. The
// metadata API records the step's silence event itself, so none is
// recorded here.
func (m *Manager) Silence(_ context.Context, matchers string, d time.Duration, comment, actor string) (string, error) {
	sil, err := m.createSilence(SilenceRequest{Matchers: matchers, Duration: d.String(), Comment: comment}, actor, "")
	if err != nil {
		return "", err
	}
	return sil.ID, nil
}

// ExpireSilence ends a silence now, as actor.
func (m *Manager) ExpireSilence(ctx context.Context, id, actor string) (Silence, error) {
	sil, err := m.sil.expire(id, m.opts.Now().UTC())
	if err != nil {
		return Silence{}, err
	}
	e := m.silenceEvent(sil, "expired silence of")
	e.Actor = actor
	m.record(ctx, e)
	return sil, nil
}

// Silences lists the silences with their status now.
func (m *Manager) Silences() []Silence { return m.sil.list(m.opts.Now()) }

// NoteDeploy opens the deploy suppression window for the deployed model:
// a silence on model="<model>" from the event's time for DeploySilence.
// It returns false when the window is off, already over, or already open for
// this event.
func (m *Manager) NoteDeploy(ctx context.Context, e events.Event) (Silence, bool, error) {
	if m.opts.DeploySilence <= 0 || e.Model == "" || (e.Kind != events.KindDeploy && e.Kind != events.KindVersionChange) {
		return Silence{}, false, nil
	}
	at := e.Time
	if at.IsZero() {
		at = m.opts.Now()
	}
	end := at.Add(m.opts.DeploySilence)
	if !end.After(m.opts.Now()) {
		return Silence{}, false, nil
	}
	tag := "deploy-event:" + e.ID
	if e.ID != "" {
		for _, s := range m.sil.list(m.opts.Now()) {
			if strings.Contains(s.Comment, tag) {
				return Silence{}, false, nil
			}
		}
	}
	actor := e.Actor
	if actor == "" {
		actor = ActorRules
	}
	comment := fmt.Sprintf("deploy suppression window: %s %s %s", e.Kind, e.Model, e.Version)
	if e.ID != "" {
		comment += " (" + tag + ")"
	}
	sil, err := m.createSilence(SilenceRequest{
		Matchers: fmt.Sprintf("model=%q", e.Model),
		StartsAt: at, EndsAt: end, Comment: comment,
	}, actor, e.Model)
	if err != nil {
		return Silence{}, false, fmt.Errorf("deploy suppression window for %s: %w", e.Model, err)
	}
	m.record(ctx, m.silenceEvent(sil, "deploy window silenced"))
	return sil, true, nil
}

// PollDeploys opens deploy windows for the deploy events since since and
// returns where the next poll starts.
func (m *Manager) PollDeploys(ctx context.Context, since time.Time) time.Time {
	now := m.opts.Now()
	dq := m.deploys.Load()
	if dq == nil {
		return since
	}
	evs, err := (*dq).Query(ctx, events.Filter{Kinds: []events.Kind{events.KindDeploy, events.KindVersionChange}, From: since, To: now})
	if err != nil {
		m.logger.Warn("reading deploy events", "err", err)
		return since
	}
	for _, e := range evs {
		if _, _, err := m.NoteDeploy(ctx, e); err != nil {
			m.logger.Warn("opening deploy suppression window", "err", err)
		}
	}
	return now
}
