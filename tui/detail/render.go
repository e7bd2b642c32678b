package detail

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	wire "github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/chart"
	"github.com/mlectl/mlectl/tui/common"
)

var driftColumns = []common.Column{
	{Title: "FEATURE", Width: 12, Flex: true, MaxWidth: 28},
	// Without VERSION, a shadow's rows read as duplicates of production's;
	// METHOD (usually one per model) goes first.
	{Title: "VERSION", Width: 7, Priority: 4},
	{Title: "AGAINST", Width: 12, Priority: 3},
	{Title: "METHOD", Width: 18, Priority: 5},
	{Title: "SCORE", Width: 6, Right: true},
	// The rows rank by attribution change: beside the score it says which
	// drifted feature actually moved the predictions.
	{Title: "ATTR CHG", Width: 8, Right: true},
	{Title: "ATTR", Width: 6, Priority: 7, Right: true},
	{Title: "THRESH", Width: 6, Priority: 2, Right: true},
	{Title: "DRIFT", Width: 5},
	{Title: "HISTORY 1H", Width: 13, Priority: 1},
	{Title: "OTHER METHODS", Width: 16, Priority: 6, Flex: true, MaxWidth: 40},
}

var versionColumns = []common.Column{
	{Title: "VERSION", Width: 8, Flex: true, MaxWidth: 16},
	{Title: "STAGE", Width: 10},
	{Title: "TRAFFIC", Width: 7, Right: true},
	{Title: "METRICS", Width: 12, Priority: 2, Flex: true, MaxWidth: 30},
	{Title: "CREATED", Width: 16, Priority: 3},
	{Title: "STAGE SINCE", Width: 16, Priority: 4},
	{Title: "ARTIFACT", Width: 20, Priority: 5, Flex: true, MaxWidth: 60},
}

var eventColumns = []common.Column{
	{Title: "TIME", Width: 8},
	{Title: "AGE", Width: 4, Priority: 3, Right: true},
	{Title: "KIND", Width: 14},
	{Title: "ACTOR", Width: 8, Priority: 2},
	{Title: "TEXT", Width: 20, Flex: true},
}

var shadowColumns = []common.Column{
	{Title: "REQUEST", Width: 12, Flex: true, MaxWidth: 36},
	{Title: "TIME", Width: 8, Priority: 2},
	{Title: "PRODUCTION", Width: 10, Right: true},
	{Title: "CANDIDATE", Width: 10, Right: true},
	{Title: "|DIFF|", Width: 8, Right: true},
}

// histogramBins is the resolution of the baseline histogram shown when the
// collector serves no current window.
const histogramBins = 20

// baselineLine describes a feature's baseline distribution from its
// training profile alone (the current window's histogram carries its own).
func (v *View) baselineLine(version, feature string) string {
	st := v.c.Styles
	head := feature + " baseline (" + version + "): "
	var apiErr *client.APIError
	err := v.snap.BaselineErrs[version]
	switch {
	case errors.Is(err, client.ErrNotConfigured):
		return head + st.Warn.Render(common.NotConfigured) + " (the collector does not serve /api/v1/baselines)"
	case errors.As(err, &apiErr) && apiErr.StatusCode == 404:
		return head + st.Muted.Render("none registered for "+v.model+" "+version)
	case err != nil:
		return v.c.ErrorLine(head+"fetch failed", err)
	}
	p := v.snap.Baselines[version]
	if p == nil {
		return ""
	}
	f := p.Feature(feature)
	if f == nil {
		return head + st.Muted.Render("the profile has no feature "+feature)
	}
	return head + describeBaseline(f, v.c.ASCII)
}

// describeBaseline renders a profiled feature: a histogram of its sample
// with its range and median, or its most frequent categories.
func describeBaseline(f *wire.FeatureProfile, ascii bool) string {
	if f.Type == wire.Categorical {
		total := 0
		for _, c := range f.Categories {
			total += c.Count
		}
		cats := slices.Clone(f.Categories)
		slices.SortStableFunc(cats, func(a, b wire.Category) int { return b.Count - a.Count })
		var parts []string
		for i, c := range cats {
			if i == 4 {
				parts = append(parts, "+"+strconv.Itoa(len(cats)-i)+" more")
				break
			}
			parts = append(parts, c.Value+" "+common.FormatPercent(float64(c.Count)/float64(max(total, 1))))
		}
		return strings.Join(parts, " · ")
	}
	if len(f.Sample) == 0 {
		return "no sample in the profile"
	}
	lo, hi := f.Sample[0], f.Sample[len(f.Sample)-1]
	counts := make([]float64, histogramBins)
	for _, x := range f.Sample {
		i := histogramBins - 1
		if hi > lo {
			i = min(int((x-lo)/(hi-lo)*histogramBins), histogramBins-1)
		}
		counts[i]++
	}
	median := f.Sample[len(f.Sample)/2]
	return chart.Sparkline(counts, ascii) + " " + common.FormatNumber(lo) + ".." + common.FormatNumber(hi) +
		" · median " + common.FormatNumber(median) + " · " + strconv.Itoa(f.Count) + " rows"
}

// shadowSummaryLines is the height of the shadow tab's figures above the
// disagreement table.
const shadowSummaryLines = 6

func (v *View) rebuild() {
	dash := v.c.DashFor()
	f := v.Filter
	keep := func(s ...string) bool {
		return f == "" || strings.Contains(strings.ToLower(strings.Join(s, " ")), f)
	}
	now := v.c.Now()

	var rows []common.Row
	for _, ft := range v.snap.Features {
		if !keep(ft.Name, ft.Version, ft.Against, ft.Method) {
			continue
		}
		cells := []string{ft.Name, orDash(ft.Version, dash), ft.Against, ft.Method, num(ft.Score, dash),
			signed(ft.AttrChange, dash), num(ft.AttrMeanAbs, dash), num(ft.Threshold, dash), dash, dash, others(ft.Others, dash)}
		tones := make([]common.Tone, len(cells))
		switch ft.Drifted {
		case 1:
			cells[8], tones[8], tones[4] = "yes", common.ToneBad, common.ToneBad
			if ft.AttrChange > 0 {
				tones[5] = common.ToneWarn // drifted and moving the predictions
			}
		case 0:
			cells[8] = "no"
		}
		if len(ft.History) > 0 {
			cells[9] = chart.Sparkline(ft.History, v.c.ASCII)
		}
		rows = append(rows, common.Row{Key: ft.Version + "\x00" + ft.Name + "\x00" + ft.Against, Cells: cells, Tones: tones})
	}
	v.drift.SetRows(rows)
	v.drift.SetEmpty(v.emptyText("no drift scores for " + v.model + ": the collector holds no " + DriftQuery(v.model) + " series"))

	rows = nil
	vs := slices.Clone(v.snap.State.Versions)
	slices.Reverse(vs) // newest first
	for _, x := range vs {
		if !keep(x.Version, string(x.Stage)) {
			continue
		}
		cells := []string{x.Version, string(x.Stage), dash, metrics(x.Metrics, dash), stamp(x.CreatedAt, dash), stamp(x.StageChangedAt, dash), orDash(x.ArtifactURI, dash)}
		tones := make([]common.Tone, len(cells))
		if x.Stage == wire.StageProduction || x.TrafficPercent > 0 {
			cells[2] = strconv.FormatFloat(x.TrafficPercent, 'f', -1, 64) + "%"
		}
		switch x.Stage {
		case wire.StageProduction:
			tones[1] = common.ToneGood
		case wire.StageShadow, wire.StageCanary:
			tones[1] = common.ToneWarn
		case wire.StageArchived, wire.StageNone:
			tones[1] = common.ToneMuted
		}
		rows = append(rows, common.Row{Key: x.Version, Cells: cells, Tones: tones})
	}
	v.versions.SetRows(rows)
	switch {
	case errors.Is(v.snap.StateErr, client.ErrNotConfigured):
		v.versions.SetEmpty("versions: " + common.NotConfigured + " (the collector does not serve /api/v1/models)")
	case v.snap.StateErr != nil:
		v.versions.SetEmpty(ansi.Strip(v.snap.StateErr.Error()))
	default:
		v.versions.SetEmpty(v.emptyText("the registry holds no versions of " + v.model))
	}

	rows = nil
	for _, e := range v.snap.Events {
		if !keep(string(e.Kind), e.Actor, e.Text, e.Version) {
			continue
		}
		text := e.Text
		if e.Version != "" && !strings.Contains(text, e.Version) {
			text = e.Version + ": " + text
		}
		rows = append(rows, common.Row{Key: e.ID, Cells: []string{e.Time.UTC().Format("15:04:05"), common.FormatAge(now.Sub(e.Time)), string(e.Kind), orDash(e.Actor, dash), text}})
	}
	v.events.SetRows(rows)
	switch {
	case errors.Is(v.snap.EventsErr, client.ErrNotConfigured):
		v.events.SetEmpty("events: " + common.NotConfigured + " (the collector does not serve /api/v1/events)")
	case v.snap.EventsErr != nil:
		v.events.SetEmpty(v.snap.EventsErr.Error())
	default:
		v.events.SetEmpty(v.emptyText("no events for " + v.model + " in the last 7 days"))
	}

	rows = nil
	for _, d := range v.snap.Shadow.TopDisagreements {
		rows = append(rows, common.Row{Key: d.RequestID, Cells: []string{d.RequestID, d.TS.UTC().Format("15:04:05"),
			num(float64(d.Production), dash), num(float64(d.Candidate), dash), num(float64(d.AbsDiff), dash)}})
	}
	v.shadow.SetRows(rows)
	v.shadow.SetEmpty("no disagreements in the window")
}

func (v *View) emptyText(loaded string) string {
	switch {
	case v.model == "":
		return "no model: open one from the models view (enter) or with :model NAME"
	case !v.Loaded:
		return "loading " + v.model + "…"
	case v.Filter != "":
		return "nothing matches /" + v.Filter
	}
	return loaded
}

func orDash(s, dash string) string {
	if s == "" {
		return dash
	}
	return s
}

// signed renders a change with its sign: +0.42, -0.07, 0.
func signed(x float64, dash string) string {
	if math.IsNaN(x) {
		return dash
	}
	if x > 0 {
		return "+" + common.FormatNumber(x)
	}
	return common.FormatNumber(x)
}

func num(x float64, dash string) string {
	if math.IsNaN(x) {
		return dash
	}
	return common.FormatNumber(x)
}

func others(m map[string]float64, dash string) string {
	if len(m) == 0 {
		return dash
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + common.FormatNumber(m[k])
	}
	return strings.Join(parts, " ")
}

func metrics(m map[string]float64, dash string) string { return others(m, dash) }

func stamp(t time.Time, dash string) string {
	if t.IsZero() {
		return dash
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// View renders heading, tab bar, the tab and the status line: exactly
// the body height.
func (v *View) View() string {
	st := v.c.Styles
	lines := []string{v.heading(), v.tabBar()}
	h := max(v.contentHeight(), 1)
	var body string
	switch {
	case v.dialog.Capturing():
		body = v.dialog.View()
	case v.model == "":
		body = st.Muted.Render(v.emptyText(""))
	default:
		body = v.tabView(h)
	}
	bl := strings.Split(body, "\n")
	for len(bl) < h {
		bl = append(bl, "")
	}
	lines = append(lines, bl[:h]...)
	lines = append(lines, v.statusLine())
	for i := range lines {
		lines[i] = common.Fit(lines[i], v.Width)
	}
	return strings.Join(lines[:min(len(lines), max(v.Height, 1))], "\n")
}

func (v *View) heading() string {
	st := v.c.Styles
	if v.model == "" {
		return st.Title.Render("Model")
	}
	parts := []string{st.Title.Render(v.model)}
	s := v.snap.State
	if v.Loaded && v.snap.StateErr == nil {
		prod := s.Production
		if prod == "" {
			prod = v.c.DashFor()
		}
		parts = append(parts, "production "+prod)
		var shadow []string
		for _, x := range s.Versions {
			if x.Stage == wire.StageShadow || x.Stage == wire.StageCanary {
				shadow = append(shadow, string(x.Stage)+" "+x.Version)
			}
		}
		parts = append(parts, shadow...)
		if s.Owner != "" {
			parts = append(parts, "owner "+s.Owner)
		}
	}
	return strings.Join(parts, st.Muted.Render(" · "))
}

func (v *View) tabBar() string {
	st := v.c.Styles
	parts := make([]string, numTabs)
	for t := range numTabs {
		label := strconv.Itoa(int(t)+1) + " " + t.String()
		if t == v.tab {
			parts[t] = st.CrumbActive.Render("[" + label + "]")
		} else {
			parts[t] = st.Muted.Render(" " + label + " ")
		}
	}
	return strings.Join(parts, " ")
}

func (v *View) statusLine() string {
	st := v.c.Styles
	switch {
	case v.Capturing():
		return "" // the dialog says what to do
	case v.acting:
		return st.Warn.Render("working: waiting for the collector…")
	case v.Status != "":
		return v.StatusLine()
	}
	switch v.tab {
	case TabVersions:
		if v.c.ReadOnly {
			return st.Muted.Render("read-only console: rollback and promote are disabled")
		}
		return st.Muted.Render("r roll back production · p promote the selected shadow/canary version")
	case TabDrift:
		if v.Loaded && v.snap.DriftErr != nil {
			return v.c.ErrorLine("drift", v.snap.DriftErr)
		}
	case TabOverview:
		for i, p := range v.snap.Panels {
			if p.Err != nil {
				return v.c.ErrorLine(Panels(v.model)[i].Title, p.Err)
			}
		}
	}
	if v.Loaded {
		return st.Muted.Render("data at " + v.snap.At.UTC().Format("15:04:05") + " UTC")
	}
	return ""
}

func (v *View) tabView(h int) string {
	switch v.tab {
	case TabOverview:
		return v.overview(h)
	case TabDrift:
		body := v.drift.View()
		n := driftNoteHeight(h)
		return body + strings.Repeat("\n", max(h-n-strings.Count(body, "\n"), 1)) + strings.Join(v.driftNote(n), "\n")
	case TabShadow:
		return v.shadowView(h)
	case TabVersions:
		return v.versions.View()
	case TabEvents:
		return v.events.View()
	}
	return ""
}

// overview draws the four charts in a 2×2 grid.
func (v *View) overview(h int) string {
	if !v.Loaded {
		return v.c.Styles.Muted.Render(v.emptyText(""))
	}
	panels := Panels(v.model)
	cw := (v.Width - 1) / 2
	ch := h / 2
	blocks := make([][]string, len(panels))
	for i, p := range panels {
		blocks[i] = v.panel(p, v.snap.Panels[i], cw, ch)
	}
	var out []string
	for r := 0; r < 2; r++ {
		for i := 0; i < ch; i++ {
			left := pad(blocks[2*r][i], cw)
			out = append(out, left+" "+blocks[2*r+1][i])
		}
	}
	return strings.Join(out, "\n")
}

// panel renders one chart block of exactly h lines.
func (v *View) panel(p Panel, d PanelData, w, h int) []string {
	st := v.c.Styles
	title := p.Title
	if d.Metric != "" {
		title = "live " + d.Metric
	}
	if !math.IsNaN(d.Last) {
		title += " · " + p.Format(d.Last)
	}
	out := []string{st.Title.Render(common.Fit(title, w))}
	switch {
	case d.Err != nil:
		out = append(out, st.Error.Render(common.Fit("query failed: "+d.Err.Error(), w)))
	case len(d.Lines) == 0:
		out = append(out, st.Muted.Render(common.Fit("no data in the last hour", w)))
	default:
		if c := chart.LineChartFormat(d.Lines, w, h-1, p.Format); c != nil {
			out = append(out, c...)
		} else {
			out = append(out, st.Muted.Render(common.Fit("too small to chart", w)))
		}
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out[:h]
}

func pad(s string, w int) string {
	s = common.Fit(s, w)
	return s + strings.Repeat(" ", max(w-ansi.StringWidth(s), 0))
}

func (v *View) shadowView(h int) string {
	st := v.c.Styles
	err := v.snap.ShadowErr
	var apiErr *client.APIError
	switch {
	case !v.Loaded || v.snap.ShadowAt.IsZero():
		return st.Muted.Render("fetching the shadow report of " + v.model + "…")
	case errors.Is(err, client.ErrNotConfigured):
		return st.Warn.Render(common.NotConfigured) + ": the collector does not serve /api/v1/shadow/" + v.model + "/report yet."
	case errors.As(err, &apiErr) && apiErr.StatusCode == 404:
		return st.Muted.Render("no shadow comparison: " + apiErr.Message)
	case err != nil:
		return v.c.ErrorLine("shadow report", err)
	}
	r := v.snap.Shadow
	dash := v.c.DashFor()
	lines := []string{
		"production " + r.ProductionVersion + " vs candidate " + r.CandidateVersion + " · source " + orDash(r.Source, dash) +
			" · " + strconv.Itoa(r.Pairs) + " pairs · " + r.From.UTC().Format("15:04") + "-" + r.To.UTC().Format("15:04") + " UTC",
		"agreement " + pct(float64(r.Agreement), dash) + agreeAt(r) +
			" · mean |diff| " + num(float64(r.MeanAbsDiff), dash) + " · p99 |diff| " + num(float64(r.P99AbsDiff), dash),
		"spearman " + num(float64(r.Spearman), dash) + " · psi " + num(float64(r.PSI), dash) + backendOf(r),
	}
	if q := r.Quality; q != nil {
		lines = append(lines, "live "+q.Production.Metric+": production "+num(float64(q.Production.Value), dash)+
			" ("+strconv.Itoa(q.Production.Labelled)+" labelled) · candidate "+num(float64(q.Candidate.Value), dash)+
			" ("+strconv.Itoa(q.Candidate.Labelled)+" labelled)")
	} else {
		lines = append(lines, st.Muted.Render("live quality: no labels joined in the window"))
	}
	for len(lines) < shadowSummaryLines-1 {
		lines = append(lines, "")
	}
	lines = append(lines, st.Title.Render("top disagreements"))
	return strings.Join(lines, "\n") + "\n" + v.shadow.View()
}

func pct(x float64, dash string) string {
	if math.IsNaN(x) {
		return dash
	}
	return common.FormatPercent(x)
}

// backendOf says which backend scored a replay or live report's candidate.
func backendOf(r client.ShadowReport) string {
	if r.Backend == "" {
		return ""
	}
	return " · backend " + r.Backend
}

// agreeAt says what agreement means for the report's task.
func agreeAt(r client.ShadowReport) string {
	if r.Task == wire.ShadowTaskRegression {
		return " within ±" + common.FormatNumber(float64(r.Tolerance))
	}
	if math.IsNaN(float64(r.Threshold)) {
		return ""
	}
	return " at threshold " + common.FormatNumber(float64(r.Threshold))
}
