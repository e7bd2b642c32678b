package registry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/events"
)

// Action kinds.
const (
	ActionRollback   = api.ActionRollback
	ActionPromote    = api.ActionPromote
	ActionSetTraffic = api.ActionSetTraffic
)

// ActionRequest asks for one stage change.
type ActionRequest = api.ActionRequest

// Change is one version's stage before and after an action.
type Change = api.StageChange

// ActionResult says what an action did (or, with DryRun, would do).
type ActionResult = api.ActionResult

type plan struct {
	res      ActionResult
	model    Model
	versions []Version // new state of the versions that change
	history  []string
}

// planAction runs the pre-checks against st and computes the new state.
func planAction(st ModelState, req ActionRequest) (plan, error) {
	p := plan{model: st.Model, history: st.ProductionHistory}
	p.res = ActionResult{Action: req.Action, Model: req.Model, DryRun: req.DryRun, Actuator: st.Actuator.Kind, FromVersion: st.Production}
	target := req.Version
	switch req.Action {
	case ActionRollback:
		if st.Production == "" {
			return p, fmt.Errorf("%w: model %s has no production version to roll back", ErrPrecheck, req.Model)
		}
		if target == "" {
			for i := len(st.ProductionHistory) - 1; i >= 0; i-- {
				c := findVersion(&st, st.ProductionHistory[i])
				if c != nil && c.Stage != StageArchived && c.Version != st.Production {
					target = c.Version
					break
				}
			}
			if target == "" {
				return p, fmt.Errorf("%w: model %s has no earlier production version that is not archived; pass --to VERSION", ErrPrecheck, req.Model)
			}
			p.res.Checks = append(p.res.Checks, fmt.Sprintf("previous production version is %s", target))
		}
		if target == st.Production {
			return p, fmt.Errorf("%w: version %s is already production", ErrPrecheck, target)
		}
	case ActionPromote:
		if target == "" {
			return p, fmt.Errorf("%w: field version is required for promote", ErrInvalid)
		}
	case ActionSetTraffic:
		if target == "" {
			return p, fmt.Errorf("%w: field version is required for set-traffic", ErrInvalid)
		}
		if math.IsNaN(req.TrafficPercent) || req.TrafficPercent < 0 || req.TrafficPercent >= 100 {
			return p, fmt.Errorf("%w: field traffic_percent %v must be in [0, 100); use promote to send all traffic", ErrInvalid, req.TrafficPercent)
		}
	default:
		return p, fmt.Errorf("%w: field action %q is not one of rollback, promote, set_traffic", ErrInvalid, req.Action)
	}
	p.res.ToVersion = target

	if !ValidName(target) {
		return p, fmt.Errorf("%w: field version %q is not a version name", ErrInvalid, target)
	}
	tv := findVersion(&st, target)
	if tv == nil {
		return p, fmt.Errorf("%w: target version %s of model %s is not registered (registered: %s)", ErrNotFound, target, req.Model, versionNames(st))
	}
	p.res.Checks = append(p.res.Checks, fmt.Sprintf("target %s exists", target))
	if tv.Stage == StageArchived {
		return p, fmt.Errorf("%w: target version %s is archived; unarchive it first if you really mean it", ErrPrecheck, target)
	}
	p.res.Checks = append(p.res.Checks, fmt.Sprintf("target %s is not archived (stage %s)", target, tv.Stage))
	if tv.Baseline == "" {
		return p, fmt.Errorf("%w: target version %s has no baseline, so drift could not be monitored after the change; register a version with a baseline", ErrPrecheck, target)
	}
	p.res.Checks = append(p.res.Checks, fmt.Sprintf("target %s has baseline %s", target, tv.Baseline))

	next := make(map[string]Version, len(st.Versions))
	for _, v := range st.Versions {
		next[v.Version] = v
	}
	set := func(version string, stage Stage, traffic float64) {
		v := next[version]
		v.Stage, v.TrafficPercent = stage, traffic
		next[version] = v
	}
	switch req.Action {
	case ActionRollback:
		// Send all traffic to the known-good version: the bad one and any
		// canary stop serving, and the bad one is not remembered as a
		// rollback target.
		set(st.Production, StageNone, 0)
		for _, v := range st.Versions {
			if v.Stage == StageCanary {
				set(v.Version, StageNone, 0)
			}
		}
		set(target, StageProduction, 100)
		p.history = removeAll(st.ProductionHistory, target)
	case ActionPromote:
		if tv.Stage != StageShadow && tv.Stage != StageCanary {
			return p, fmt.Errorf("%w: only a shadow or canary version can be promoted; %s is %s", ErrPrecheck, target, tv.Stage)
		}
		p.res.Checks = append(p.res.Checks, fmt.Sprintf("target %s is %s", target, tv.Stage))
		if st.Production != "" {
			set(st.Production, StageNone, 0)
			p.history = append(removeAll(st.ProductionHistory, st.Production), st.Production)
		}
		set(target, StageProduction, 100)
	case ActionSetTraffic:
		if tv.Stage == StageProduction {
			return p, fmt.Errorf("%w: %s is the production version; set traffic on a canary", ErrPrecheck, target)
		}
		if st.Production == "" {
			return p, fmt.Errorf("%w: model %s has no production version to split traffic with", ErrPrecheck, req.Model)
		}
		set(target, StageCanary, req.TrafficPercent)
	}
	// Production gets what the canaries leave.
	canary := 0.0
	for _, v := range next {
		if v.Stage == StageCanary {
			canary += v.TrafficPercent
		}
	}
	if canary >= 100 {
		return p, fmt.Errorf("%w: canaries would take %.4g%% of traffic, leaving none for production", ErrPrecheck, canary)
	}
	for name, v := range next {
		if v.Stage == StageProduction {
			set(name, StageProduction, 100-canary)
		}
	}

	for _, old := range st.Versions {
		nv := next[old.Version]
		if nv.Stage != old.Stage || nv.TrafficPercent != old.TrafficPercent {
			p.versions = append(p.versions, nv)
			p.res.Changes = append(p.res.Changes, Change{Version: old.Version, FromStage: old.Stage, ToStage: nv.Stage,
				FromTraffic: old.TrafficPercent, ToTraffic: nv.TrafficPercent, ArtifactURI: old.ArtifactURI, SHA256: old.SHA256})
		}
	}
	for _, v := range st.Versions {
		nv := next[v.Version]
		if nv.Stage == StageProduction || nv.Stage == StageCanary || nv.Stage == StageShadow {
			p.res.Request.Routes = append(p.res.Request.Routes, actuator.Route{Version: nv.Version, Stage: string(nv.Stage),
				ArtifactURI: nv.ArtifactURI, SHA256: nv.SHA256, Weight: nv.TrafficPercent})
		}
	}
	p.res.Request.Action, p.res.Request.Model = req.Action, req.Model
	p.res.Request.FromVersion, p.res.Request.ToVersion = st.Production, target
	p.res.Request.TrafficPercent = next[target].TrafficPercent
	p.res.Request.Reason, p.res.Request.Actor = req.Reason, req.Actor
	return p, nil
}

// Act plans req, hands it to the model's actuator and commits the new
// stages. Errors wrap ErrNotFound, ErrInvalid, ErrPrecheck, ErrConflict or
// ErrActuator; on any error the registry is unchanged.
func (r *Registry) Act(ctx context.Context, req ActionRequest) (ActionResult, error) {
	if req.Action == ActionRollback && req.Reason == "" && !req.DryRun {
		return ActionResult{}, fmt.Errorf("%w: field reason is required for a rollback (it goes into the event log and the postmortem)", ErrInvalid)
	}
	if !ValidName(req.Model) {
		return ActionResult{}, fmt.Errorf("%w: field model %q is not a valid model name", ErrInvalid, req.Model)
	}
	if err := validReason(req.Reason); err != nil {
		return ActionResult{}, err
	}
	unlock, err := r.lock(req.Model, req.Action, req.Actor)
	if err != nil {
		return ActionResult{}, err
	}
	defer unlock()

	st, err := r.Get(ctx, req.Model)
	if err != nil {
		return ActionResult{}, err
	}
	now := r.opts.Now().UTC()
	if la := st.LastAction; req.Action == ActionRollback && req.Version == "" && la != nil && la.Action == ActionRollback &&
		r.opts.RollbackGuard > 0 && now.Sub(la.At) < r.opts.RollbackGuard {
		return ActionResult{Action: req.Action, Model: req.Model, FromVersion: st.Production}, fmt.Errorf(
			"%w: model %s was already rolled back %s ago by %s (%s → %s); to roll back further pass --to VERSION",
			ErrConflict, req.Model, now.Sub(la.At).Round(time.Second), orNone(la.Actor), orNone(la.FromVersion), la.ToVersion)
	}
	p, err := planAction(st, req)
	if err != nil {
		return p.res, err
	}
	p.res.Request.RequestedAt = now
	p.res.Revision = st.Revision
	if req.DryRun {
		return p.res, nil
	}

	act, err := r.opts.NewActuator(st.Actuator)
	if err == nil {
		err = act.Apply(ctx, p.res.Request)
	}
	if err != nil {
		r.record(ctx, events.Event{Time: now, Kind: events.KindAction, Action: req.Action, Model: req.Model, Version: p.res.ToVersion,
			Actor: req.Actor, Result: events.ResultFailed, Text: fmt.Sprintf("%s to %s failed, registry unchanged: %v", req.Action, p.res.ToVersion, err)})
		return p.res, fmt.Errorf("%w: %s actuator: %v (registry unchanged)", ErrActuator, st.Actuator.Kind, err)
	}

	err = r.db.Update(func(txn *badger.Txn) error {
		var cur Model
		if err := getJSON(txn, modelKey(req.Model), &cur); err != nil {
			return err
		}
		if cur.Revision != st.Revision {
			return fmt.Errorf("%w: model %s changed while the action ran (revision %d → %d)", ErrConflict, req.Model, st.Revision, cur.Revision)
		}
		cur.Revision++
		cur.UpdatedAt = now
		cur.ProductionHistory = p.history
		cur.LastAction = &ActionRecord{Action: req.Action, FromVersion: st.Production, ToVersion: p.res.ToVersion,
			Actor: req.Actor, Reason: req.Reason, At: now}
		p.res.Revision = cur.Revision
		if err := setJSON(txn, modelKey(req.Model), cur); err != nil {
			return err
		}
		for _, v := range p.versions {
			v.StageChangedAt = now
			if err := setJSON(txn, versionKey(v.Model, v.Version), v); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, badger.ErrConflict) {
		err = fmt.Errorf("%w: model %s changed while the action ran", ErrConflict, req.Model)
	}
	if err != nil {
		// The serving system has already switched; say so loudly.
		return p.res, fmt.Errorf("%s was applied by the actuator but recording it in the registry failed: %w", req.Action, err)
	}
	text := fmt.Sprintf("%s %s: %s → %s", req.Action, req.Model, orNone(p.res.FromVersion), p.res.ToVersion)
	if req.Action == ActionSetTraffic {
		text = fmt.Sprintf("set_traffic %s: %s gets %.4g%%", req.Model, p.res.ToVersion, req.TrafficPercent)
	}
	if req.Reason != "" {
		text += " — " + req.Reason
	}
	r.record(ctx, events.Event{Time: now, Kind: events.KindAction, Action: req.Action, Model: req.Model, Version: p.res.ToVersion,
		Actor: req.Actor, Result: events.ResultOK, Text: text})
	r.record(ctx, events.Event{Time: now, Kind: events.KindVersionChange, Model: req.Model, Version: p.res.ToVersion,
		Actor: req.Actor, Text: text})
	return p.res, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// MaxReasonBytes caps an action's reason (it goes into the event log, the
// audit log and the actuator's request).
const MaxReasonBytes = 2048

// validReason refuses a reason the actuators cannot carry: a NUL or other
// control character (an exec actuator's MLECTL_REASON cannot hold a NUL,
// which would fail the action as a 502 after the fact) or one too long.
func validReason(s string) error {
	if len(s) > MaxReasonBytes {
		return fmt.Errorf("%w: field reason is %d bytes; at most %d", ErrInvalid, len(s), MaxReasonBytes)
	}
	for i, c := range []byte(s) {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return fmt.Errorf("%w: field reason contains the control character %q at byte %d; write it on one line of text", ErrInvalid, c, i)
		}
	}
	return nil
}

// versionNames lists a model's registered versions, for an error naming
// what could have been meant.
func versionNames(st ModelState) string {
	names := make([]string, 0, len(st.Versions))
	for _, v := range st.Versions {
		names = append(names, v.Version)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
