package scenario

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/gameday/loadgen"
)

// DefaultPoll is how often alerts are read when the scenario sets no poll.
const DefaultPoll = 5 * time.Second

// Runner plays scenarios against a collector.
type Runner struct {
	// Collector is the base URL; empty uses the scenario's.
	Collector string
	Token     string
	HTTP      *http.Client
	// Poll overrides the scenario's poll interval when positive.
	Poll   time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Run plays sc and returns its report. The error is for a run that could
// not be played (a refused injection, an unreachable collector); failed
// expectations only make the report fail. The scenario's injections still
// active at the end are stopped.
func (r *Runner) Run(ctx context.Context, sc *Scenario) (*Report, error) {
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if r.HTTP == nil {
		r.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	base := r.Collector
	if base == "" {
		base = sc.Collector
	}
	if base == "" {
		return nil, errors.New("no collector: set collector in the scenario or pass --collector")
	}
	gd, err := client.New(base, client.WithToken(r.Token), client.WithHTTPClient(r.HTTP), client.WithOperatorErrors())
	if err != nil {
		return nil, err
	}
	pc, err := client.New(base, client.WithToken(r.Token), client.WithHTTPClient(r.HTTP))
	if err != nil {
		return nil, err
	}
	poll := time.Duration(sc.Poll)
	if r.Poll > 0 {
		poll = r.Poll
	}
	if poll <= 0 {
		poll = DefaultPoll
	}
	poll = max(poll, MinPoll)
	run := &run{r: r, sc: sc, gd: gd, alerts: pc, poll: poll, seen: map[string]*FiredAlert{}, pending: map[string]bool{}}
	rep := &Report{Name: sc.Name, Collector: base, Model: sc.Model, Started: r.Now().UTC()}
	run.start = rep.Started

	var lg *loadgen.Generator
	lgDone := make(chan error, 1)
	lgCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	if sc.Loadgen != nil {
		lg, err = r.loadgen(sc, base)
		if err != nil {
			return nil, err
		}
		go func() { lgDone <- lg.Run(lgCtx, 0) }()
	} else {
		lgDone <- nil
	}

	runErr := run.steps(ctx, rep)
	// Cleanup uses a context of its own: a cancelled run still stops its
	// injections.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := run.stopInjections(cctx, "all"); err != nil && runErr == nil {
		runErr = err
	}
	stopLoad()
	if err := <-lgDone; err != nil && runErr == nil {
		runErr = fmt.Errorf("loadgen: %w", err)
	}
	if lg != nil {
		st := lg.Stats()
		rep.Loadgen = &st
	}
	rep.Ended = r.Now().UTC()
	if all, err := gd.Injections(cctx); err == nil {
		for _, inj := range all {
			if slices.Contains(run.started, inj.ID) {
				rep.Injections = append(rep.Injections, fromWire(inj))
			}
		}
		sort.Slice(rep.Injections, func(i, j int) bool { return rep.Injections[i].StartedAt.Before(rep.Injections[j].StartedAt) })
	} else if runErr == nil {
		runErr = err
	}
	for _, a := range run.seen {
		rep.AlertsFired = append(rep.AlertsFired, *a)
	}
	sort.Slice(rep.AlertsFired, func(i, j int) bool {
		if !rep.AlertsFired[i].FiredAt.Equal(rep.AlertsFired[j].FiredAt) {
			return rep.AlertsFired[i].FiredAt.Before(rep.AlertsFired[j].FiredAt)
		}
		return rep.AlertsFired[i].key < rep.AlertsFired[j].key
	})
	evs, err := gd.Events(cctx, client.EventFilter{Model: sc.Model, From: rep.Started, To: rep.Ended.Add(time.Millisecond)})
	if err != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("events could not be read: %v", err))
	}
	rep.Actions = evs
	rep.Passed = runErr == nil && len(rep.Expectations) > 0
	for _, e := range rep.Expectations {
		rep.Passed = rep.Passed && e.Passed
	}
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	return rep, runErr
}

func (r *Runner) loadgen(sc *Scenario, base string) (*loadgen.Generator, error) {
	path := sc.Loadgen.CSV
	if !filepath.IsAbs(path) && sc.Dir != "" {
		path = filepath.Join(sc.Dir, path)
	}
	rows, err := loadgen.ReadCSVFile(path, sc.Loadgen.PredictionColumn)
	if err != nil {
		return nil, fmt.Errorf("loadgen.csv: %w", err)
	}
	version := sc.Loadgen.Version
	if version == "" {
		version = sc.Version
	}
	return loadgen.New(rows, loadgen.Options{
		Collector: base, Token: r.Token, Model: sc.Model, Version: version, Rate: sc.Loadgen.Rate,
		HTTP: r.HTTP, Logger: r.Logger, Sequential: sc.Loadgen.Order == "sequential", Seed: sc.Loadgen.Seed,
	})
}

type run struct {
	r       *Runner
	sc      *Scenario
	gd      *client.Client
	alerts  *client.Client
	poll    time.Duration
	start   time.Time
	started []string // injection ids, in order
	active  []string
	lastInj time.Time
	seen    map[string]*FiredAlert
	pending map[string]bool // alerts (by key@activeAt) seen pending
	// lastPoll is when alerts were last read successfully.
	lastPoll time.Time
	// noStates: the collector has no alerting engine state API, alerts
	// are read from the Prometheus alerts API.
	noStates bool
}

func (ru *run) steps(ctx context.Context, rep *Report) error {
	for i, st := range ru.sc.Steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("steps[%d]: run cancelled: %w", i, err)
		}
		switch {
		case st.Wait != nil:
			ru.r.Logger.Info("game day: waiting", "step", i, "for", time.Duration(*st.Wait))
			if err := ru.sleep(ctx, time.Duration(*st.Wait)); err != nil {
				return fmt.Errorf("steps[%d].wait: %w", i, err)
			}
		case st.Inject != nil:
			in := st.Inject
			version := in.Version
			if version == "" {
				version = ru.sc.Version
			}
			mag := in.Magnitude
			inj, err := ru.gd.StartInjection(ctx, client.InjectionRequest{Model: ru.sc.Model, Version: version, Feature: in.Feature,
				Kind: string(in.Kind), Magnitude: mag, Duration: time.Duration(in.Duration).String(), Seed: in.Seed})
			if err != nil {
				return fmt.Errorf("steps[%d].inject: %w", i, err)
			}
			ru.r.Logger.Info("game day: injection started", "step", i, "id", inj.ID, "kind", inj.Kind, "feature", inj.Feature)
			ru.started = append(ru.started, inj.ID)
			ru.active = append(ru.active, inj.ID)
			ru.lastInj = inj.StartedAt
		case st.Expect != nil:
			res, err := ru.expect(ctx, i, st.Expect)
			rep.Expectations = append(rep.Expectations, res)
			if err != nil {
				return err
			}
		default:
			if err := ru.stopInjections(ctx, st.Stop); err != nil {
				return fmt.Errorf("steps[%d].stop: %w", i, err)
			}
		}
	}
	return nil
}

func (ru *run) stopInjections(ctx context.Context, which string) error {
	ids := ru.active
	if which == "last" && len(ids) > 0 {
		ids = ids[len(ids)-1:]
	}
	var errs []error
	for _, id := range ids {
		if _, err := ru.gd.StopInjection(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("stop injection %s: %w", id, err))
		}
	}
	ru.active = slices.DeleteFunc(ru.active, func(id string) bool { return slices.Contains(ids, id) })
	return errors.Join(errs...)
}

// sleep waits d, reading alerts every poll so that alerts fired during a
// wait are reported.
func (ru *run) sleep(ctx context.Context, d time.Duration) error {
	end := ru.r.Now().Add(d)
	for {
		left := end.Sub(ru.r.Now())
		if left <= 0 {
			return nil
		}
		t := time.NewTimer(min(left, ru.poll))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		_, _ = ru.observe(ctx)
	}
}

func alertKey(labels map[string]string) string {
	keys := slices.Sorted(maps.Keys(labels))
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q,", k, labels[k])
	}
	return b.String()
}

// alertsNow reads the active alerts: from the alerting engine's state
// (which says when each fired) or, on a collector that serves only the
// Prometheus alerts API, from that.
func (ru *run) alertsNow(ctx context.Context) ([]client.AlertState, error) {
	if !ru.noStates {
		as, err := ru.alerts.AlertStates(ctx)
		if !errors.Is(err, client.ErrNotConfigured) {
			return as, err
		}
		ru.noStates = true
	}
	ps, err := ru.alerts.Alerts(ctx)
	as := make([]client.AlertState, 0, len(ps))
	for _, a := range ps {
		as = append(as, client.AlertState{Name: a.Labels["alertname"], State: a.State, Labels: a.Labels, ActiveAt: a.ActiveAt})
	}
	return as, err
}

// observe reads the alerts once and notes those firing.
func (ru *run) observe(ctx context.Context) (time.Time, error) {
	as, err := ru.alertsNow(ctx)
	now := ru.r.Now().UTC()
	if err != nil {
		ru.r.Logger.Warn("game day: reading alerts failed", "err", err)
		return now, err
	}
	prev := ru.lastPoll
	ru.lastPoll = now
	for _, a := range as {
		// One entry per firing: an alert that resolves and fires again is
		// listed twice.
		k := alertKey(a.Labels) + "@" + a.ActiveAt.UTC().Format(time.RFC3339Nano)
		if a.State != "firing" {
			ru.pending[k] = true
			continue
		}
		if _, ok := ru.seen[k]; ok {
			continue
		}
		if a.ActiveAt.Before(ru.start) {
			continue // was firing before the game day began
		}
		// When it fired: the evaluation that fired it, as the alerting
		// engine says. Else (the Prometheus alerts API only) it began
		// firing after the previous poll: without a pending period (drift
		// rules) it fired when it became active, an exact time when that
		// is after the previous poll; an alert seen pending fired between
		// the polls, and the later one is kept.
		fired := now
		switch {
		case a.FiredAt != nil && !a.FiredAt.IsZero():
			fired = a.FiredAt.UTC()
		case !ru.pending[k] && a.ActiveAt.After(prev) && !a.ActiveAt.After(now):
			fired = a.ActiveAt.UTC()
		}
		ru.seen[k] = &FiredAlert{Name: a.Labels["alertname"], Labels: a.Labels, ActiveAt: a.ActiveAt.UTC(), FiredAt: fired, FirstSeen: now, key: k}
	}
	return now, nil
}

func (ru *run) matches(a *FiredAlert, ex *Expect, since time.Time) bool {
	if a.Name != ex.Alert || a.ActiveAt.Before(since.Truncate(time.Second)) {
		return false
	}
	want := map[string]string{"model": ru.sc.Model}
	maps.Copy(want, ex.Labels)
	for k, v := range want {
		if a.Labels[k] != v {
			return false
		}
	}
	return true
}

func (ru *run) expect(ctx context.Context, i int, ex *Expect) (ExpectResult, error) {
	since := ru.lastInj
	if since.IsZero() {
		since = ru.r.Now().UTC()
	}
	within := time.Duration(ex.FiresWithin)
	res := ExpectResult{Step: i, Alert: ex.Alert, Labels: ex.Labels, FiresWithin: within.String(), Since: since}
	deadline := since.Add(within)
	var lastErr error
	for {
		now, err := ru.observe(ctx)
		if err != nil {
			lastErr = err
			if errors.Is(err, client.ErrNotConfigured) {
				res.Reason = "the collector does not evaluate alerting rules: " + err.Error()
				return res, nil
			}
		}
		var hit *FiredAlert
		for _, a := range ru.seen {
			if ru.matches(a, ex, since) && (hit == nil || a.FiredAt.Before(hit.FiredAt)) {
				hit = a
			}
		}
		if hit != nil {
			ttd := max(hit.FiredAt.Sub(since), 0)
			at := hit.FiredAt
			res.Fired, res.FiredAt, res.Labels = true, &at, hit.Labels
			res.TimeToDetect, res.TimeToDetectSeconds = ttd.Round(time.Millisecond).String(), ttd.Seconds()
			res.Passed = ttd <= within
			if !res.Passed {
				res.Reason = fmt.Sprintf("fired after %s, later than %s", res.TimeToDetect, within)
			}
			return res, nil
		}
		if !now.Before(deadline) {
			res.Reason = fmt.Sprintf("did not fire within %s", within)
			if lastErr != nil {
				res.Reason += fmt.Sprintf(" (last error reading alerts: %v)", lastErr)
			}
			return res, nil
		}
		t := time.NewTimer(min(ru.poll, deadline.Sub(now)+time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			res.Reason = "run cancelled"
			return res, fmt.Errorf("steps[%d].expect: %w", i, ctx.Err())
		case <-t.C:
		}
	}
}

// fromWire is an injection as the API served it, typed as the game-day
// engine types it (the report's JSON is the same).
func fromWire(in client.Injection) gameday.Injection {
	return gameday.Injection{ID: in.ID, Model: in.Model, Version: in.Version, Feature: in.Feature, Kind: gameday.Kind(in.Kind),
		Magnitude: in.Magnitude, Duration: in.Duration, StartedAt: in.StartedAt, EndsAt: in.EndsAt, StoppedAt: in.StoppedAt,
		Active: in.Active, Records: in.Records}
}
