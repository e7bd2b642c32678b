package detail

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	wire "github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/chart"
	"github.com/mlectl/mlectl/tui/common"
)

// API is what the view needs from the collector.
type API interface {
	Query(ctx context.Context, query string, ts time.Time) (client.Result, error)
	QueryRange(ctx context.Context, query string, r client.Range) (client.Result, error)
	Model(ctx context.Context, name string) (client.ModelState, error)
	EventLog(ctx context.Context, model string, from, to time.Time, limit int) ([]wire.Event, error)
	ShadowReport(ctx context.Context, model string, from, to time.Time) (client.ShadowReport, error)
	Rollback(ctx context.Context, model, version, reason string) (client.ActionResult, error)
	Promote(ctx context.Context, model, version, reason string) (client.ActionResult, error)
	Baseline(ctx context.Context, model, version string) (*client.Baseline, error)
	DriftHistogram(ctx context.Context, model, version, feature string, bins int) (*client.DriftHistogram, error)
}

// Window is how far back the charts, drift history and shadow report look;
// Step is the charts' resolution.
const (
	Window      = time.Hour
	Step        = time.Minute
	HistoryStep = 5 * time.Minute
	// EventsWindow is how far back the events tab reads.
	EventsWindow = 7 * 24 * time.Hour
	// MaxEvents bounds the events kept for display, newest first.
	MaxEvents = 500
)

// Panel is one overview chart: its title, the PromQL behind it and how
// its values read.
type Panel struct {
	Title  string
	Query  string
	Format func(float64) string
	// Prefer, when set, keeps only the series of the first of these
	// metrics (mle_model_ suffixes) that the answer holds.
	Prefer []string
}

// Panels returns the overview charts of model. Shadow traffic mirrors
// production requests, so latency and errors count non-shadow series.
func Panels(model string) []Panel {
	m := `model="` + escape(model) + `"`
	return []Panel{
		{Title: "latency p95", Format: common.FormatSeconds,
			Query: `histogram_quantile(0.95, sum by (le) (rate(mle_inference_latency_seconds_bucket{` + m + `,role!="shadow"}[5m])))`},
		{Title: "error rate", Format: common.FormatPercent,
			Query: `sum(rate(mle_predictions_total{` + m + `,role!="shadow",status="error"}[5m])) / sum(rate(mle_predictions_total{` + m + `,role!="shadow"}[5m]))`},
		{Title: "traffic /s", Format: common.FormatNumber,
			Query: `sum by (version, role) (rate(mle_predictions_total{` + m + `}[5m]))`},
		{Title: "live quality", Format: common.FormatNumber, Prefer: qualityMetrics,
			Query: `{__name__=~"` + wire.MetricModelQualityPrefix + `(` + strings.Join(qualityMetrics, "|") + `)",` + m + `}`},
	}
}

// qualityMetrics are the live quality series the overview charts, in order
// of preference: one metric per chart, so scales do not mix.
var qualityMetrics = []string{"roc_auc", "f1", "accuracy", "rmse", "mae"}

// DriftQuery selects the model's per-feature drift scores.
func DriftQuery(model string) string {
	return wire.MetricFeatureDriftScore + `{model="` + escape(model) + `"}`
}

// FeatureQuery selects one drift row's scores under every method.
func FeatureQuery(model, version, feature, against string) string {
	return wire.MetricFeatureDriftScore + `{model="` + escape(model) + `",version="` + escape(version) +
		`",feature="` + escape(feature) + `",against="` + escape(against) + `"}`
}

// AttributionChangeQuery selects the model's per-feature attribution
// change: mean |contribution| in the last window minus the version's first
// (what ranks the drift tab).
func AttributionChangeQuery(model string) string {
	return wire.MetricFeatureAttributionChange + `{model="` + escape(model) + `"}`
}

// AttributionQuery selects the model's per-feature mean |contribution|.
func AttributionQuery(model string) string {
	return wire.MetricFeatureAttributionMeanAbs + `{model="` + escape(model) + `"}`
}

// DriftedQuery selects the model's per-feature drifted flags.
func DriftedQuery(model string) string {
	return wire.MetricFeatureDrifted + `{model="` + escape(model) + `"}`
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// PanelData is one chart's fetched series.
type PanelData struct {
	Metric string // the metric Prefer chose, without mle_model_
	Lines  []chart.Line
	Last   float64 // the last value of the first line, NaN without data
	Err    error
}

// Feature is one drift row: a feature of one version against one
// reference, scored by the collector's default method.
type Feature struct {
	Version, Name, Against string
	Method                 string  // the default method (the one that decides "drifted")
	Score                  float64 // of the default method
	Threshold              float64
	Drifted                int                // 1, 0, or -1 when the collector wrote no flag
	Others                 map[string]float64 // the other methods' scores
	History                []float64          // default method over Window, one per HistoryStep
	// AttrChange is the feature's attribution change (mean |contribution|
	// now minus in the version's first window), AttrMeanAbs its mean
	// |contribution| now; NaN when the model logs no explanations.
	AttrChange, AttrMeanAbs float64
}

// Snapshot is one fetch of everything the view shows for a model.
type Snapshot struct {
	Model  string
	At     time.Time
	Panels []PanelData

	Features []Feature
	DriftErr error
	// Baselines are the training profiles of the versions in Features,
	// by version; BaselineErrs says why one is missing.
	Baselines    map[string]*client.Baseline
	BaselineErrs map[string]error

	State    client.ModelState
	StateErr error

	Events    []wire.Event // newest first
	EventsErr error

	// The shadow report scans the prediction log, so it is fetched only
	// while its tab is open; ShadowAt is when it was (zero: not yet).
	Shadow    client.ShadowReport
	ShadowErr error
	ShadowAt  time.Time
}

// Fetch runs every query of the view concurrently; the shadow report only
// when withShadow is set.
func Fetch(ctx context.Context, api API, model string, at time.Time, withShadow bool) Snapshot {
	s := Snapshot{Model: model, At: at}
	panels := Panels(model)
	s.Panels = make([]PanelData, len(panels))
	var wg sync.WaitGroup
	rng := client.Range{Start: at.Add(-Window), End: at, Step: Step}
	for i, p := range panels {
		wg.Go(func() { s.Panels[i] = fetchPanel(ctx, api, p, rng) })
	}
	var scores, flags, attrChange, attrMean client.Vector
	var history client.Matrix
	var scoreErr, flagErr, histErr, attrErr, meanErr error
	wg.Go(func() { scores, scoreErr = vector(ctx, api, DriftQuery(model), at) })
	wg.Go(func() { flags, flagErr = vector(ctx, api, DriftedQuery(model), at) })
	wg.Go(func() { attrChange, attrErr = vector(ctx, api, AttributionChangeQuery(model), at) })
	wg.Go(func() { attrMean, meanErr = vector(ctx, api, AttributionQuery(model), at) })
	wg.Go(func() {
		res, err := api.QueryRange(ctx, DriftQuery(model), client.Range{Start: at.Add(-Window), End: at, Step: HistoryStep})
		if err != nil {
			histErr = fmt.Errorf("drift history: %w", err)
			return
		}
		history, _ = res.Value.(client.Matrix)
	})
	wg.Go(func() { s.State, s.StateErr = api.Model(ctx, model) })
	wg.Go(func() {
		evs, err := api.EventLog(ctx, model, at.Add(-EventsWindow), time.Time{}, 0)
		s.EventsErr = err
		slices.Reverse(evs)
		s.Events = evs[:min(len(evs), MaxEvents)]
	})
	if withShadow {
		wg.Go(func() {
			s.Shadow, s.ShadowErr = api.ShadowReport(ctx, model, at.Add(-Window), at)
			s.ShadowAt = at
		})
	}
	wg.Wait()
	for _, err := range []error{scoreErr, flagErr, histErr, attrErr, meanErr} {
		if err != nil {
			s.DriftErr = err
			break
		}
	}
	s.Features = Features(scores, flags, history, at)
	AddAttributions(s.Features, attrChange, attrMean)
	fetchBaselines(ctx, api, &s)
	return s
}

// fetchBaselines reads the profile of every version that has drift rows.
func fetchBaselines(ctx context.Context, api API, s *Snapshot) {
	var versions []string
	for _, f := range s.Features {
		if !slices.Contains(versions, f.Version) {
			versions = append(versions, f.Version)
		}
	}
	profiles := make([]*client.Baseline, len(versions))
	errs := make([]error, len(versions))
	var wg sync.WaitGroup
	for i, v := range versions {
		wg.Go(func() { profiles[i], errs[i] = api.Baseline(ctx, s.Model, v) })
	}
	wg.Wait()
	s.Baselines, s.BaselineErrs = map[string]*client.Baseline{}, map[string]error{}
	for i, v := range versions {
		if errs[i] != nil {
			s.BaselineErrs[v] = errs[i]
		} else {
			s.Baselines[v] = profiles[i]
		}
	}
}

func vector(ctx context.Context, api API, q string, at time.Time) (client.Vector, error) {
	res, err := api.Query(ctx, q, at)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	v, ok := res.Value.(client.Vector)
	if !ok {
		return nil, fmt.Errorf("%s: collector returned %s, want vector", q, res.Value.Type())
	}
	return v, nil
}

func fetchPanel(ctx context.Context, api API, p Panel, r client.Range) PanelData {
	d := PanelData{Last: math.NaN()}
	res, err := api.QueryRange(ctx, p.Query, r)
	if err != nil {
		d.Err = err
		return d
	}
	m, ok := res.Value.(client.Matrix)
	if !ok {
		d.Err = fmt.Errorf("collector returned %s, want matrix", res.Value.Type())
		return d
	}
	m = preferred(m, p.Prefer)
	if len(p.Prefer) > 0 && len(m) > 0 {
		d.Metric = strings.TrimPrefix(m[0].Metric["__name__"], wire.MetricModelQualityPrefix)
	}
	slices.SortFunc(m, func(a, b client.Series) int { return strings.Compare(label(a.Metric), label(b.Metric)) })
	for _, s := range m {
		l := chart.Line{Label: label(s.Metric), Points: make([]chart.Point, 0, len(s.Points))}
		for _, pt := range s.Points {
			l.Points = append(l.Points, chart.Point{T: pt.T, V: pt.V})
		}
		d.Lines = append(d.Lines, l)
	}
	if len(d.Lines) > 0 && len(d.Lines[0].Points) > 0 {
		pts := d.Lines[0].Points
		d.Last = pts[len(pts)-1].V
	}
	return d
}

// preferred keeps the series of the first metric of prefer that m holds.
func preferred(m client.Matrix, prefer []string) client.Matrix {
	for _, name := range prefer {
		var out client.Matrix
		for _, s := range m {
			if s.Metric["__name__"] == wire.MetricModelQualityPrefix+name {
				out = append(out, s)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return m
}

// label names a chart line by the labels that tell lines apart.
func label(m client.Metric) string {
	var parts []string
	if n := m["__name__"]; n != "" {
		parts = append(parts, strings.TrimPrefix(n, wire.MetricModelQualityPrefix))
	}
	for _, k := range []string{"version", "role"} {
		if v := m[k]; v != "" {
			parts = append(parts, v)
		}
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, " ")
}

// defaultMethods are the methods whose score decides mle_feature_drifted
// (see package skew): Wasserstein for numbers, Jensen-Shannon for
// categories.
var defaultMethods = []string{"wasserstein_normed", "jensen_shannon"}

// Features joins scores, drifted flags and history into one row per
// version, feature and reference, sorted by score, highest first.
func Features(scores, flags client.Vector, history client.Matrix, at time.Time) []Feature {
	type key struct{ version, feature, against string }
	byKey := map[key]*Feature{}
	var order []key
	for _, s := range scores {
		k := key{s.Metric["version"], s.Metric["feature"], s.Metric["against"]}
		f, ok := byKey[k]
		if !ok {
			f = &Feature{Version: k.version, Name: k.feature, Against: k.against, Score: math.NaN(), Drifted: -1, Others: map[string]float64{}}
			byKey[k] = f
			order = append(order, k)
		}
		f.Others[s.Metric["method"]] = s.V
	}
	for _, k := range order {
		f := byKey[k]
		for _, m := range defaultMethods {
			if v, ok := f.Others[m]; ok {
				f.Method, f.Score, f.Threshold = m, v, wire.DefaultDriftThreshold
				delete(f.Others, m)
				break
			}
		}
		if f.Method == "" { // no default method: show the largest score
			for m, v := range f.Others {
				if math.IsNaN(f.Score) || v > f.Score || (v == f.Score && m < f.Method) {
					f.Method, f.Score = m, v
				}
			}
			delete(f.Others, f.Method)
			f.Threshold = math.NaN()
		}
	}
	for _, s := range flags {
		if f, ok := byKey[key{s.Metric["version"], s.Metric["feature"], s.Metric["against"]}]; ok {
			f.Drifted = 0
			if s.V >= 1 {
				f.Drifted = 1
			}
		}
	}
	slots := int(Window/HistoryStep) + 1
	start := at.Add(-Window)
	for _, s := range history {
		f, ok := byKey[key{s.Metric["version"], s.Metric["feature"], s.Metric["against"]}]
		if !ok || s.Metric["method"] != f.Method {
			continue
		}
		f.History = make([]float64, slots)
		for i := range f.History {
			f.History[i] = math.NaN()
		}
		for _, p := range s.Points {
			if i := int(p.T.Sub(start).Round(HistoryStep) / HistoryStep); i >= 0 && i < slots {
				f.History[i] = p.V
			}
		}
	}
	out := make([]Feature, 0, len(order))
	for _, k := range order {
		f := *byKey[k]
		f.AttrChange, f.AttrMeanAbs = math.NaN(), math.NaN()
		out = append(out, f)
	}
	Rank(out)
	return out
}

// AddAttributions sets each feature's attribution change and mean
// |contribution| from the model's series (by version and feature) and
// ranks the features again.
func AddAttributions(fs []Feature, change, meanAbs client.Vector) {
	type key struct{ version, feature string }
	index := func(v client.Vector) map[key]float64 {
		m := make(map[key]float64, len(v))
		for _, s := range v {
			m[key{s.Metric["version"], s.Metric["feature"]}] = s.V
		}
		return m
	}
	ch, ma := index(change), index(meanAbs)
	for i := range fs {
		k := key{fs[i].Version, fs[i].Name}
		if v, ok := ch[k]; ok {
			fs[i].AttrChange = v
		}
		if v, ok := ma[k]; ok {
			fs[i].AttrMeanAbs = v
		}
	}
	Rank(fs)
}

// Rank orders drift rows as the tab lists them: by attribution change,
// largest growth first (the drifted feature that actually moved the
// predictions), features without attribution after those with; then by
// drift score, highest first; then by name, reference and version.
func Rank(fs []Feature) {
	slices.SortStableFunc(fs, func(a, b Feature) int {
		if c := cmp.Compare(nanLow(b.AttrChange), nanLow(a.AttrChange)); c != 0 {
			return c
		}
		if c := cmp.Compare(nanLow(b.Score), nanLow(a.Score)); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Against, b.Against), strings.Compare(a.Version, b.Version))
	})
}

func nanLow(v float64) float64 {
	if math.IsNaN(v) {
		return math.Inf(-1)
	}
	return v
}
