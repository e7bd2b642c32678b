package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"

	wire "github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
	alertsview "github.com/mlectl/mlectl/tui/alerts"
)

// API is what the view needs from the collector.
type API interface {
	Query(ctx context.Context, query string, ts time.Time) (client.Result, error)
	QueryRange(ctx context.Context, query string, r client.Range) (client.Result, error)
	Alerts(ctx context.Context) ([]client.Alert, error)
}

// Registry is what the view reads from a collector that serves the model
// registry; an API that also implements it gets PROD from the registry's
// production version rather than from traffic alone.
type Registry interface {
	Models(ctx context.Context) ([]client.ModelState, error)
}

// Ruler is what the view reads from a collector with a rule engine: an
// SLO whose recording rules are loaded but have produced no series yet is
// "no data yet", not "not configured".
type Ruler interface {
	Rules(ctx context.Context) ([]client.RuleGroup, error)
}

// Model is one row's data. Float fields are NaN when the collector holds
// no data for them.
type Model struct {
	Name string
	// Prod lists the versions serving production traffic: from the
	// registry (when served) its production version first, then other
	// versions it routes traffic to that had traffic; else every
	// non-shadow version with traffic in the rate window.
	Prod []string
	// Draining lists non-shadow versions that still had traffic in the
	// rate window although the registry no longer routes any to them
	// (the version a rollback or promotion just replaced).
	Draining []string
	Shadow   []string // versions scored in shadow
	PredRate float64  // non-shadow predictions per second
	ErrShare float64  // failed / all non-shadow predictions
	P95      float64  // seconds
	Drift    float64  // share of drifted features, 0..1
	// Burn1h is the worst burn rate over the model's SLOs, each over
	// its period's hour (HourWindow: 1h of 30 days, the demo's 5m).
	Burn1h float64
	// PageBurn is the worst over the model's SLOs of the lesser of the
	// hour's burn rate and the page alert's short window's: PAGE when it
	// is over 14.4, as the page alert's quick condition (NaN: none).
	PageBurn float64
	// Paging: a page alert of the model's SLOs (Sloth's
	// sloth_severity="page") fires. It outlasts PageBurn: the page's slow
	// condition (the demo's 2m and 30m windows) holds for minutes after
	// a rollback has cleared the short window.
	Paging bool
	Budget float64 // least error budget left over the model's SLOs, 0..1
	// WarmingUp: the period budget was first recorded less than
	// PeriodWarmUp ago, so it rests on too few windows to judge the
	// period by (no OUT, no BUDGET figure).
	WarmingUp bool
	// Firing and Pending count the model's alerts as :alerts lists
	// them: one per alert name and feature, whatever its series.
	Firing  int
	Pending int
	// Trend is the prediction rate over TrendWindow, one value per
	// TrendStep (NaN where there was no traffic).
	Trend []float64
	// OwnerDown names the collector that owns the model when the
	// collector the console is connected to could not reach it (a
	// cluster: the registry lists the model as last seen): the model's
	// calls fail until it is back; the rest of the view works.
	OwnerDown string
}

// Snapshot is the result of one refresh.
type Snapshot struct {
	Models []Model
	// AlertsConfigured is false when the collector has no alerts endpoint.
	AlertsConfigured bool
	// SLOConfigured is true when any model has SLO recording-rule series.
	SLOConfigured bool
	// SLORulesLoaded is true when the rule engine holds SLO recording
	// rules (slo:…), series or not.
	SLORulesLoaded bool
	// RegistryConfigured is true when PROD comes from the registry.
	RegistryConfigured bool
	// Errs lists data sources that failed this round (the rest still shown).
	Errs []error
	At   time.Time
}

// Fetch runs the view's queries concurrently and joins them into models.
func Fetch(ctx context.Context, api API, at time.Time) Snapshot {
	queries := []string{QueryPredRate, QueryErrRate, QueryP95, QueryDrift, QuerySLIBurns, QueryBudget, QueryBudgetWarm, QuerySLOPeriod}
	vecs := make([]client.Vector, len(queries))
	errs := make([]error, len(queries)+1)
	var alerts []client.Alert
	var wg sync.WaitGroup
	for i, q := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
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
		}()
	}
	var trend client.Matrix
	var trendErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		res, err := api.QueryRange(ctx, QueryTrend, client.Range{Start: at.Add(-TrendWindow), End: at, Step: TrendStep})
		if err != nil {
			trendErr = fmt.Errorf("%s: %w", QueryTrend, err)
			return
		}
		trend, _ = res.Value.(client.Matrix)
	}()
	var regModels []client.ModelState
	var regErr error
	reg, hasReg := api.(Registry)
	if hasReg {
		wg.Add(1)
		go func() {
			defer wg.Done()
			regModels, regErr = reg.Models(ctx)
		}()
	}
	var sloRules bool
	if ruler, ok := api.(Ruler); ok {
		wg.Add(1)
		go func() {
			defer wg.Done()
			groups, err := ruler.Rules(ctx)
			if err != nil {
				return // the column says what the series say
			}
			for _, g := range groups {
				for _, r := range g.Rules {
					sloRules = sloRules || strings.HasPrefix(r.Name, "slo:")
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		var err error
		alerts, err = api.Alerts(ctx)
		if err != nil {
			errs[len(queries)] = err
		}
	}()
	wg.Wait()

	snap := Snapshot{At: at, AlertsConfigured: true, SLORulesLoaded: sloRules}
	if err := errs[len(queries)]; errors.Is(err, client.ErrNotConfigured) {
		snap.AlertsConfigured = false
		errs[len(queries)] = nil
	}
	for _, err := range errs {
		if err != nil {
			snap.Errs = append(snap.Errs, err)
		}
	}
	if trendErr != nil {
		snap.Errs = append(snap.Errs, trendErr)
	}
	switch {
	case !hasReg || errors.Is(regErr, client.ErrNotConfigured):
		regModels = nil
	case regErr != nil:
		// PROD falls back to traffic alone; say why.
		snap.Errs = append(snap.Errs, fmt.Errorf("registry: %w", regErr))
		regModels = nil
	default:
		snap.RegistryConfigured = true
	}
	snap.Models = join(vecs[0], vecs[1], vecs[2], vecs[3], alerts)
	if len(regModels) > 0 {
		snap.Models = applyRegistry(snap.Models, regModels)
		SortByUrgency(snap.Models)
	}
	hour, page := sloBurns(vecs[4], vecs[7])
	snap.SLOConfigured = addSLOs(snap.Models, hour, page, vecs[5])
	markWarmingUp(snap.Models, vecs[6])
	markPaging(snap.Models, alerts)
	addTrends(snap.Models, trend, at)
	return snap
}

func join(pred, errRate, p95, drift client.Vector, alerts []client.Alert) []Model {
	byName := map[string]*Model{}
	get := func(name string) *Model {
		if m, ok := byName[name]; ok {
			return m
		}
		nan := math.NaN()
		m := &Model{Name: name, PredRate: nan, ErrShare: nan, P95: nan, Drift: nan, Burn1h: nan, PageBurn: nan, Budget: nan}
		byName[name] = m
		return m
	}
	total := map[string]float64{}
	for _, s := range pred {
		name := s.Metric["model"]
		if name == "" {
			continue
		}
		m := get(name)
		version := s.Metric["version"]
		if version == "" {
			version = "?"
		}
		if s.Metric["role"] == "shadow" {
			m.Shadow = appendUnique(m.Shadow, version)
			continue
		}
		m.Prod = appendUnique(m.Prod, version)
		total[name] += s.V
	}
	for name, t := range total {
		m := byName[name]
		m.PredRate = t
		m.ErrShare = 0
	}
	for _, s := range errRate {
		if t := total[s.Metric["model"]]; t > 0 {
			byName[s.Metric["model"]].ErrShare = s.V / t
		}
	}
	for _, s := range p95 {
		if name := s.Metric["model"]; name != "" {
			get(name).P95 = s.V
		}
	}
	for _, s := range drift {
		if name := s.Metric["model"]; name != "" {
			get(name).Drift = s.V
		}
	}
	// Count the rows :alerts shows (one per alert name, model and
	// feature), not series: a page and a ticket of one SLO alert, or one
	// alert from two collectors' rules, are one thing to look at, and
	// ALERTS 7 over five rows in :alerts reads as alerts gone missing.
	for _, g := range alertsview.GroupAlerts(alerts) {
		if g.Model == "" {
			continue
		}
		m := get(g.Model)
		switch g.State {
		case "firing":
			m.Firing++
		case "pending":
			m.Pending++
		}
	}
	out := make([]Model, 0, len(byName))
	for _, m := range byName {
		slices.Sort(m.Prod)
		slices.Sort(m.Shadow)
		out = append(out, *m)
	}
	SortByUrgency(out)
	return out
}

// applyRegistry puts each registry model's production version first in
// PROD, keeps other versions the registry routes traffic to (canaries)
// after it, and moves versions that had traffic in the rate window but are
// routed none to Draining. Models the registry knows without traffic get a
// row of their own; models with no production version in the registry, or
// unknown to it, keep PROD as traffic shows it.
func applyRegistry(ms []Model, reg []client.ModelState) []Model {
	idx := make(map[string]int, len(ms))
	for i, m := range ms {
		idx[m.Name] = i
	}
	for _, st := range reg {
		i, ok := idx[st.Name]
		if !ok {
			nan := math.NaN()
			ms = append(ms, Model{Name: st.Name, PredRate: nan, ErrShare: nan, P95: nan, Drift: nan, Burn1h: nan, PageBurn: nan, Budget: nan})
			i = len(ms) - 1
			idx[st.Name] = i
		}
		if c := st.Collector; c != nil && !c.Reachable {
			ms[i].OwnerDown = c.Name
		}
		if st.Production == "" {
			continue
		}
		routed := map[string]bool{st.Production: true}
		for _, v := range st.Versions {
			if v.TrafficPercent > 0 || v.Stage == wire.StageProduction || v.Stage == wire.StageCanary {
				routed[v.Version] = true
			}
		}
		m := &ms[i]
		prod := []string{st.Production}
		var draining []string
		for _, v := range m.Prod {
			switch {
			case v == st.Production:
			case routed[v]:
				prod = append(prod, v)
			default:
				draining = append(draining, v)
			}
		}
		m.Prod, m.Draining = prod, draining
	}
	return ms
}

func appendUnique(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// SortByUrgency orders models by what an on-call engineer looks at first:
// firing alerts, then pending ones, then error share, then drift, then name.
func SortByUrgency(ms []Model) {
	slices.SortFunc(ms, func(a, b Model) int {
		if c := cmp.Compare(b.Firing, a.Firing); c != 0 {
			return c
		}
		if c := cmp.Compare(sloRank(b), sloRank(a)); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Pending, a.Pending); c != 0 {
			return c
		}
		if c := cmp.Compare(orZero(b.ErrShare), orZero(a.ErrShare)); c != 0 {
			return c
		}
		if c := cmp.Compare(orZero(b.Drift), orZero(a.Drift)); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}

func orZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// addTrends places each model's range points on a fixed grid of
// TrendWindow/TrendStep+1 slots ending at at, so sparklines of different
// models line up even when one has gaps.
func addTrends(ms []Model, trend client.Matrix, at time.Time) {
	if len(trend) == 0 {
		return
	}
	slots := int(TrendWindow/TrendStep) + 1
	start := at.Add(-TrendWindow)
	byName := make(map[string]client.Series, len(trend))
	for _, s := range trend {
		byName[s.Metric["model"]] = s
	}
	for i := range ms {
		s, ok := byName[ms[i].Name]
		if !ok {
			continue
		}
		vals := make([]float64, slots)
		for j := range vals {
			vals[j] = math.NaN()
		}
		for _, p := range s.Points {
			j := int(p.T.Sub(start).Round(TrendStep) / TrendStep)
			if j >= 0 && j < slots {
				vals[j] = p.V
			}
		}
		ms[i].Trend = vals
	}
}

// sloOwner names the model an SLO series belongs to: its model label, or
// else its Sloth service when that is named after the model.
func sloOwner(m client.Metric) string {
	if n := m["model"]; n != "" {
		return n
	}
	return m["sloth_service"]
}

// sloBurns reads each SLO's burn rates from the per-window burn rates of
// QuerySLIBurns and the periods of QuerySLOPeriod (an SLO without one
// has the 1h of a 30-day period):
//
//   - hour: over its hour (HourWindow), the shortest recorded window at
//     least that long, short of the period itself. An SLO that records no
//     such window gets none, so BURN reads a dash rather than a shorter
//     window's noise.
//   - page: the lesser of the hour's and its shortest window's (Sloth's
//     current burn rate, the page alert's short window): the page alert
//     fires when both are over 14.4, so PAGE in the column ends when the
//     page does — a rollback clears the short window in seconds while the
//     hour still holds the incident.
func sloBurns(burns, periods client.Vector) (hour, page client.Vector) {
	period := map[string]time.Duration{}
	for _, s := range periods {
		if id := s.Metric[labelSLOID]; id != "" && s.V > 0 && !math.IsInf(s.V, 0) {
			period[id] = time.Duration(math.Round(s.V * float64(24*time.Hour)))
		}
	}
	type pick struct {
		window time.Duration
		sample client.Sample
	}
	hours, shortest := map[string]pick{}, map[string]pick{}
	for _, s := range burns {
		w, err := model.ParseDuration(s.Metric[labelWindow])
		if err != nil {
			continue // not a Sloth window: no telling its length
		}
		window, p := time.Duration(w), period[s.Metric[labelSLOID]]
		if p > 0 && window >= p {
			continue
		}
		k := sloKey(s.Metric)
		if b, ok := shortest[k]; !ok || window < b.window {
			shortest[k] = pick{window, s}
		}
		if window < HourWindow(p) {
			continue
		}
		if b, ok := hours[k]; !ok || window < b.window {
			hours[k] = pick{window, s}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(hours)) {
		h := hours[k].sample
		hour = append(hour, h)
		p := h
		p.V = math.Min(h.V, shortest[k].sample.V) // NaN (no traffic now) pages no one
		page = append(page, p)
	}
	return hour, page
}

// Sloth's labels that name an SLO and a recording's window.
const (
	labelSLOID    = "sloth_id"
	labelWindow   = "sloth_window"
	labelSeverity = "sloth_severity"
)

// sloKey identifies the SLO a per-window series belongs to: its labels
// but the window.
func sloKey(m client.Metric) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k != labelWindow {
			b.WriteString(k + "=" + m[k] + "\x00")
		}
	}
	return b.String()
}

// addSLOs fills burn rates and budget for models that have SLO series
// and reports whether any did. Series of services that match no model are
// ignored rather than shown as invented models.
func addSLOs(ms []Model, hour, page, budget client.Vector) bool {
	idx := make(map[string]int, len(ms))
	for i, m := range ms {
		idx[m.Name] = i
	}
	found := false
	for _, s := range hour {
		if i, ok := idx[sloOwner(s.Metric)]; ok {
			ms[i].Burn1h = maxKnown(ms[i].Burn1h, s.V)
			found = true
		}
	}
	for _, s := range page {
		if i, ok := idx[sloOwner(s.Metric)]; ok {
			ms[i].PageBurn = maxKnown(ms[i].PageBurn, s.V)
		}
	}
	for _, s := range budget {
		if i, ok := idx[sloOwner(s.Metric)]; ok {
			ms[i].Budget = -maxKnown(-ms[i].Budget, -s.V)
			found = true
		}
	}
	return found
}

// markPaging marks the models an SLO page alert fires for.
func markPaging(ms []Model, alerts []client.Alert) {
	paging := map[string]bool{}
	for _, a := range alerts {
		if a.State == "firing" && a.Labels[labelSeverity] == "page" {
			paging[sloOwner(a.Labels)] = true
		}
	}
	for i := range ms {
		ms[i].Paging = paging[ms[i].Name]
	}
}

// markWarmingUp marks the models with a period budget that warm (the
// SLOs recorded PeriodWarmUp ago) does not hold.
func markWarmingUp(ms []Model, warm client.Vector) {
	seen := map[string]bool{}
	for _, s := range warm {
		seen[sloOwner(s.Metric)] = true
	}
	for i := range ms {
		ms[i].WarmingUp = !math.IsNaN(ms[i].Budget) && !seen[ms[i].Name]
	}
}

func maxKnown(a, b float64) float64 {
	switch {
	case math.IsNaN(a):
		return b
	case math.IsNaN(b):
		return a
	}
	return math.Max(a, b)
}

// SLOState summarises a model's SLOs for the SLO column: "" without SLO
// data, then OUT (budget spent), PAGE (an SLO page alert fires, or the
// page's quick condition holds: fast burn over the hour and right now),
// BURN (burning faster than the period allows over the hour) or OK. A
// period still warming up is not judged: no OUT, and without a burn rate
// "".
func SLOState(m Model) string {
	switch {
	case math.IsNaN(m.Burn1h) && (math.IsNaN(m.Budget) || m.WarmingUp):
		return ""
	case m.Budget <= 0 && !m.WarmingUp:
		return "OUT"
	case m.Paging || m.PageBurn >= PageBurnRate:
		return "PAGE"
	case m.Burn1h >= SlowBurnRate:
		return "BURN"
	}
	return "OK"
}

func sloRank(m Model) int {
	switch SLOState(m) {
	case "OUT":
		return 3
	case "PAGE":
		return 2
	case "BURN":
		return 1
	}
	return 0
}
