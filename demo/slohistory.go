package demo

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/slo"
)

// ruleInterval is how often the demo's collector evaluates its rules; the
// SLO history is written at the same step, so every sample of the period
// ratio's input weighs the same whether simulated or recorded live.
const ruleInterval = 5 * time.Second

// sloHistoryBatch bounds one appender commit of the SLO history.
const sloHistoryBatch = 4096

// backfillSLOHistory writes the healthy history of each SLO's period:
// Sloth's period ratio (slo:sli_error:ratio_rate<period>) is the mean of
// the shortest window's recorded ratio over the period, and a real
// deployment has the whole period recorded when an incident starts. The
// demo only simulates Backfill of traffic, and without the rest the
// incident's minutes would dominate the period and read as an SLO spent
// long after the fix.
//
// The history is the SLI recording itself, not invented: the shortest
// window's SLI expression is evaluated over the simulated traffic (before
// now, so before the incident) at the rules' step, and those windows
// repeat back to the start of the period. It is written before the rules
// start, at the rules' own step and labels, so the live evaluations extend
// the same series.
func (d *Demo) backfillSLOHistory(ctx context.Context, now time.Time) error {
	if d.sloWindows == nil || len(d.sloSpecs) == 0 {
		return nil
	}
	rf, err := slo.Generate(d.sloSpecs, slo.Options{Windows: d.sloWindows})
	if err != nil {
		return fmt.Errorf("demo: SLO history: %w", err)
	}
	short, period := d.sloWindows.PageQuick.Short, d.sloWindows.Period
	input := slo.MetricSLIErrorPrefix + model.Duration(short).String()
	cl, err := d.client()
	if err != nil {
		return err
	}
	app := d.db.Appender(ctx)
	pending := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record != input {
				continue
			}
			metric, windows, err := d.measureSLI(ctx, cl, r.Expr, now)
			if err != nil {
				_ = app.Rollback()
				return err
			}
			if len(windows) == 0 {
				continue // history shorter than one window: nothing to repeat
			}
			measured := make(map[int64]float64, len(windows))
			for _, w := range windows {
				measured[w.T.UnixMilli()] = w.V
			}
			lset := recordedLabels(metric, r)
			for i, t := 0, now.Add(-period).Truncate(ruleInterval); t.Before(now); i, t = i+1, t.Add(ruleInterval) {
				v := windows[i%len(windows)].V // before the simulated traffic: its windows again
				if !t.Before(windows[0].T) {
					var ok bool
					if v, ok = measured[t.UnixMilli()]; !ok {
						continue
					}
				}
				if _, err := app.Append(0, lset, t.UnixMilli(), v); err != nil {
					_ = app.Rollback()
					return fmt.Errorf("demo: SLO history of %s: %w", r.Labels[slo.LabelID], err)
				}
				if pending++; pending == sloHistoryBatch {
					if err := app.Commit(); err != nil {
						return fmt.Errorf("demo: SLO history: %w", err)
					}
					app, pending = d.db.Appender(ctx), 0
				}
			}
		}
	}
	if err := app.Commit(); err != nil {
		return fmt.Errorf("demo: SLO history: %w", err)
	}
	return nil
}

// recordedLabels are a recording rule's output labels: the expression's,
// then the rule's, then the record name (Prometheus's precedence).
func recordedLabels(metric client.Metric, r slo.Rule) labels.Labels {
	b := labels.NewBuilder(labels.EmptyLabels())
	for k, v := range metric {
		b.Set(k, v)
	}
	for k, v := range r.Labels {
		b.Set(k, v)
	}
	b.Set(labels.MetricName, r.Record)
	return b.Labels()
}

// measureSLI evaluates expr at the rules' step over the simulated history
// before now: the windows the recording rule would have recorded, with the
// expression's labels. NaN windows (no traffic) are left out: the period
// ratio's mean would be NaN with them.
func (d *Demo) measureSLI(ctx context.Context, cl *client.Client, expr string, now time.Time) (client.Metric, []client.Point, error) {
	start := now.Add(-d.opts.Backfill + d.sloWindows.PageQuick.Short).Truncate(ruleInterval)
	if !start.Before(now) {
		return nil, nil, nil
	}
	res, err := cl.QueryRange(ctx, expr, client.Range{Start: start, End: now.Add(-time.Millisecond), Step: ruleInterval})
	if err != nil {
		return nil, nil, fmt.Errorf("demo: measure the SLI over the simulated history: %w", err)
	}
	m, ok := res.Value.(client.Matrix)
	if !ok || len(m) != 1 {
		return nil, nil, nil // no traffic, or an expression that is not one ratio
	}
	var out []client.Point
	for _, p := range m[0].Points {
		if !math.IsNaN(p.V) {
			out = append(out, p)
		}
	}
	return m[0].Metric, out, nil
}
