package overview

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	wire "github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
)

// API is what the view needs from the collector.
type API interface {
	Query(ctx context.Context, query string, ts time.Time) (client.Result, error)
}

// Registry is what the view reads from a collector with a model registry:
// the production version (whose figures a row shows) and its offline
// metrics (what live quality is compared with).
type Registry interface {
	Models(ctx context.Context) ([]client.ModelState, error)
}

// The PromQL behind the columns. Series a collector does not write yet
// (deploys, rollbacks, cost come from the event store and a cost block)
// answer empty, and their cells read as a dash.
const (
	// QueryTraffic lists the models with production traffic.
	QueryTraffic = `sum by (model) (rate(mle_predictions_total{role!="shadow"}[5m]))`
	// QueryBudgetLeft, QueryErrorBudget and QueryPeriod are the SLOs'
	// Sloth meta recordings: budget left in the period, the budget
	// (1 - objective) and the period in days.
	QueryBudgetLeft  = `slo:period_error_budget_remaining:ratio`
	QueryErrorBudget = `slo:error_budget:ratio`
	QueryPeriod      = `slo:time_period:days`
	// QueryBudgetWarm holds the SLOs whose period budget was recorded
	// models.PeriodWarmUp ago; the others are warming up.
	QueryBudgetWarm = `slo:period_error_budget_remaining:ratio offset 10m`
	// QueryQuality is the live quality of every non-shadow version.
	QueryQuality = `{__name__=~"mle_model_(roc_auc|f1|accuracy|rmse|mae)",role!="shadow"}`
	// QueryPairs is how many labelled predictions the quality is over.
	QueryPairs = `mle_quality_window_pairs{role!="shadow"}`
	// QueryLabelLag and QueryLabelCoverage: label freshness per version.
	QueryLabelLag      = `mle_label_lag_seconds{role!="shadow"}`
	QueryLabelCoverage = `mle_label_coverage_ratio{role!="shadow"}`
	// QueryDrift is the worst dataset drift share per model.
	QueryDrift = `max by (model) (mle_dataset_drift_share)`
	// QueryDeploys and QueryRollbacks count the week's changes.
	// (gauges the collector counts from its event log: increase() over
	// the counters would miss each version's first deploy).
	QueryDeploys   = `sum by (model) (mle_deployments_last_7d)`
	QueryRollbacks = `sum by (model) (mle_rollbacks_last_7d)`
	// QueryCost is the serving cost per 1000 predictions per version.
	QueryCost = `mle_cost_per_1k_predictions`
)

// qualityMetrics are the live quality metrics a row shows, in order of
// preference, with the names a registry's offline metrics may use for
// the same figure.
var qualityMetrics = []struct {
	name    string // after mle_model_
	short   string // the cell's label
	offline []string
	higher  bool // higher is better
}{
	{"roc_auc", "auc", []string{"roc_auc", "auc"}, true},
	{"f1", "f1", []string{"f1"}, true},
	{"accuracy", "acc", []string{"accuracy", "acc"}, true},
	{"rmse", "rmse", []string{"rmse"}, false},
	{"mae", "mae", []string{"mae"}, false},
}

// Row is one model's figures; a float is NaN where the collector holds no
// data for it.
type Row struct {
	Name    string
	Version string // the version the quality and cost figures are of

	// SLO over its period: the worst of the model's SLOs by budget left.
	Compliance, Objective, BudgetLeft, PeriodDays float64
	// WarmingUp: that SLO's period budget was first recorded less than
	// 10 minutes ago; too few windows to judge the period by.
	WarmingUp bool

	Metric          string // quality metric's short name, "" without one
	Live, Offline   float64
	HigherIsBetter  bool
	Pairs           float64 // labelled predictions the live figure is over
	LabelLagSeconds float64
	LabelCoverage   float64

	Drift                float64 // share of drifting features
	Deploys, Rollbacks   float64 // in the last 7 days
	CostPer1kPredictions float64
}

// RolledBackShare is the share of the week's deploys that were rolled
// back; NaN without deploys.
func (r Row) RolledBackShare() float64 {
	if math.IsNaN(r.Deploys) || r.Deploys <= 0 {
		return math.NaN()
	}
	return math.Min(orZero(r.Rollbacks)/r.Deploys, 1)
}

// QualityDelta is how much worse live is than offline, relative, with
// the metric's direction: 0.1 is 10% worse; negative is better.
func (r Row) QualityDelta() float64 {
	if math.IsNaN(r.Live) || math.IsNaN(r.Offline) || r.Offline == 0 {
		return math.NaN()
	}
	d := (r.Offline - r.Live) / math.Abs(r.Offline)
	if !r.HigherIsBetter {
		d = -d
	}
	return d
}

// Snapshot is one refresh.
type Snapshot struct {
	Rows []Row
	// SLOConfigured is true when any model has SLO series.
	SLOConfigured bool
	Errs          []error
	At            time.Time
}

// Fetch runs the queries concurrently and joins them by model.
func Fetch(ctx context.Context, api API, at time.Time) Snapshot {
	queries := []string{QueryTraffic, QueryBudgetLeft, QueryErrorBudget, QueryPeriod, QueryQuality, QueryPairs,
		QueryLabelLag, QueryLabelCoverage, QueryDrift, QueryDeploys, QueryRollbacks, QueryCost, QueryBudgetWarm}
	vecs := make([]client.Vector, len(queries))
	errs := make([]error, len(queries))
	var wg sync.WaitGroup
	for i, q := range queries {
		wg.Go(func() {
			res, err := api.Query(ctx, q, at)
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", q, err)
				return
			}
			v, ok := res.Value.(client.Vector)
			if !ok {
				errs[i] = fmt.Errorf("%s: collector returned %s, want vector", q, res.Value.Type())
				return
			}
			vecs[i] = v
		})
	}
	var reg []client.ModelState
	var regErr error
	if r, ok := api.(Registry); ok {
		wg.Go(func() { reg, regErr = r.Models(ctx) })
	}
	wg.Wait()
	snap := Snapshot{At: at}
	for _, err := range errs {
		if err != nil {
			snap.Errs = append(snap.Errs, err)
		}
	}
	if regErr != nil && !errors.Is(regErr, client.ErrNotConfigured) {
		snap.Errs = append(snap.Errs, fmt.Errorf("registry: %w", regErr))
	}
	snap.Rows, snap.SLOConfigured = join(vecs, reg)
	return snap
}

func join(v []client.Vector, reg []client.ModelState) ([]Row, bool) {
	traffic, budgetLeft, errorBudget, period, quality, pairs, lag, coverage, drift, deploys, rollbacks, cost, warm :=
		v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12]
	rows := map[string]*Row{}
	get := func(name string) *Row {
		if r, ok := rows[name]; ok {
			return r
		}
		nan := math.NaN()
		r := &Row{Name: name, Compliance: nan, Objective: nan, BudgetLeft: nan, PeriodDays: nan, Live: nan, Offline: nan,
			Pairs: nan, LabelLagSeconds: nan, LabelCoverage: nan, Drift: nan, Deploys: nan, Rollbacks: nan, CostPer1kPredictions: nan}
		rows[name] = r
		return r
	}
	for _, s := range traffic {
		if n := s.Metric["model"]; n != "" {
			get(n)
		}
	}
	states := map[string]client.ModelState{}
	for _, st := range reg {
		get(st.Name)
		states[st.Name] = st
	}
	for _, s := range drift {
		if n := s.Metric["model"]; n != "" {
			get(n).Drift = s.V // a model with drift scores but no traffic yet is a model too
		}
	}
	// SLOs: series name their model by label, else by Sloth service.
	owner := func(m client.Metric) string { return cmpOr(m["model"], m["sloth_service"]) }
	byID := func(v client.Vector) map[string]float64 {
		out := map[string]float64{}
		for _, s := range v {
			out[s.Metric["sloth_id"]] = s.V
		}
		return out
	}
	budgets, periods, warmed := byID(errorBudget), byID(period), byID(warm)
	slo := false
	for _, s := range budgetLeft {
		r, ok := rows[owner(s.Metric)]
		if !ok {
			continue // a service that names no model invents no row
		}
		slo = true
		if !math.IsNaN(r.BudgetLeft) && r.BudgetLeft <= s.V {
			continue // the worst SLO speaks for the model
		}
		r.BudgetLeft, r.Compliance, r.Objective, r.PeriodDays = s.V, math.NaN(), math.NaN(), math.NaN()
		_, ok = warmed[s.Metric["sloth_id"]]
		r.WarmingUp = !ok
		if b, ok := budgets[s.Metric["sloth_id"]]; ok {
			// Budget left = 1 - period error ratio / budget.
			r.Compliance = 1 - (1-s.V)*b
			r.Objective = 1 - b
		}
		if d, ok := periods[s.Metric["sloth_id"]]; ok {
			r.PeriodDays = d
		}
	}
	for name, r := range rows {
		r.Version = states[name].Production
		r.setQuality(quality, pairs, states[name])
		r.LabelLagSeconds = versionValue(lag, name, r.Version, math.Max)
		r.LabelCoverage = versionValue(coverage, name, r.Version, math.Min)
		r.CostPer1kPredictions = versionValue(cost, name, r.Version, math.Max)
	}

	for _, s := range deploys {
		if r, ok := rows[s.Metric["model"]]; ok {
			r.Deploys = s.V
		}
	}
	for _, s := range rollbacks {
		if r, ok := rows[s.Metric["model"]]; ok {
			r.Rollbacks = s.V
		}
	}
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Row) int { return strings.Compare(a.Name, b.Name) })
	return out, slo
}

// setQuality picks the model's first quality metric (in qualityMetrics'
// order) with a live value for its version, and the registry's offline
// figure for the same metric and version.
func (r *Row) setQuality(quality, pairs client.Vector, st client.ModelState) {
	for _, qm := range qualityMetrics {
		var v client.Vector
		for _, s := range quality {
			if s.Metric["__name__"] == wire.MetricModelQualityPrefix+qm.name {
				v = append(v, s)
			}
		}
		live := versionValue(v, r.Name, r.Version, first)
		if math.IsNaN(live) {
			continue
		}
		r.Metric, r.Live, r.HigherIsBetter = qm.short, live, qm.higher
		r.Pairs = versionValue(pairs, r.Name, r.Version, first)
		for _, ver := range st.Versions {
			if ver.Version != r.Version {
				continue
			}
			for _, name := range qm.offline {
				if x, ok := ver.Metrics[name]; ok {
					r.Offline = x
					break
				}
			}
		}
		return
	}
}

func first(a, _ float64) float64 { return a }

// versionValue is model's value in v: its version's when the version is
// known, else pick over the model's series (the worst, for lag and
// coverage); NaN when none.
func versionValue(v client.Vector, model, version string, pick func(a, b float64) float64) float64 {
	out := math.NaN()
	for _, s := range v {
		if s.Metric["model"] != model {
			continue
		}
		if version != "" {
			if s.Metric["version"] == version {
				return s.V
			}
			continue // another version's figure is not production's
		}
		if math.IsNaN(out) {
			out = s.V
		} else {
			out = pick(out, s.V)
		}
	}
	return out
}

func orZero(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return x
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
