package overview

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/keys"
)

const fetchTimeout = 10 * time.Second

// Column indices, in table order.
const (
	colName = iota
	colSLO
	colTarget
	colBudget
	colQuality
	colWindow
	colLag
	colCoverage
	colDrift
	colDeploys
	colRolledBack
	colCost
	numCols
)

// At 80 columns everything but the quality window and the SLO target fits
// (the footnote names the window when the models share one); at 160 all
// do.
var columns = []common.Column{
	colName:       {Title: "NAME", Width: 10, Flex: true, MaxWidth: 28},
	colSLO:        {Title: "SLO", Width: 7, Right: true},
	colTarget:     {Title: "TARGET", Width: 6, Priority: 9, Right: true},
	colBudget:     {Title: "BUDGET", Width: 6, Right: true},
	colQuality:    {Title: "LIVE/OFFLINE", Width: 13, Priority: 3},
	colWindow:     {Title: "OVER", Width: 6, Priority: 8, Right: true},
	colLag:        {Title: "LAG", Width: 5, Priority: 6, Right: true},
	colCoverage:   {Title: "LBL%", Width: 5, Priority: 7, Right: true},
	colDrift:      {Title: "DRIFT", Width: 5, Priority: 2, Right: true},
	colDeploys:    {Title: "DEP/WK", Width: 6, Priority: 4, Right: true},
	colRolledBack: {Title: "RB%", Width: 4, Priority: 5, Right: true},
	colCost:       {Title: "$/1K", Width: 6, Priority: 1, Right: true},
}

type fetchedMsg Snapshot

// View is the Overview screen: one line per model with what the people
// who fund the models ask about.
type View struct {
	common.Base
	c     common.Common
	api   API
	keys  keys.Overview
	table *common.Table
	snap  Snapshot
}

// New returns the Overview view reading from api.
func New(c common.Common, api API) *View {
	v := &View{Base: common.NewBase(c, "overview", "Overview"), c: c, api: api, keys: keys.NewOverview(),
		table: common.NewTable(c, columns)}
	v.rebuild()
	return v
}

// Init starts the first fetch.
func (v *View) Init() tea.Cmd { return v.Refresh() }

// Refresh starts a fetch unless one is running.
func (v *View) Refresh() tea.Cmd {
	c, api := v.c, v.api
	return v.Fetch(fetchTimeout, func(ctx context.Context) tea.Msg { return fetchedMsg(Fetch(ctx, api, c.Now())) })
}

// SetSize sets the body area: the table and two footnote lines.
func (v *View) SetSize(w, h int) {
	v.Base.SetSize(w, h)
	v.table.SetSize(w, max(h-2, 1))
}

// SetFilter keeps models whose name contains f.
func (v *View) SetFilter(f string) {
	v.Base.SetFilter(f)
	v.rebuild()
}

// KeyBindings lists the view's keys.
func (v *View) KeyBindings() []key.Binding {
	return append(v.table.KeyBindings(), v.keys.ShortHelp()...)
}

// SetSnapshot installs data directly (tests, benchmarks).
func (v *View) SetSnapshot(s Snapshot) {
	v.snap, v.Loaded, v.At = s, true, s.At
	v.rebuild()
}

// Update takes fetch results and keys.
func (v *View) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case fetchedMsg:
		s := Snapshot(msg)
		if len(s.Errs) > 0 && len(s.Rows) == 0 {
			v.Answered(s.At, s.Errs[0]) // keep the last rows, say why
			v.snap.Errs = s.Errs
			v.rebuild()
			return nil
		}
		v.Answered(s.At, nil)
		v.snap = s
		v.rebuild()
	case tea.KeyMsg:
		if key.Matches(msg, v.keys.Open) {
			if row, ok := v.table.Selected(); ok {
				name := row.Key
				return func() tea.Msg { return common.NavigateMsg{View: "model", Arg: name} }
			}
			return nil
		}
		v.table.Update(msg)
	}
	return nil
}

func (v *View) rebuild() {
	rows := make([]common.Row, 0, len(v.snap.Rows))
	for _, r := range v.snap.Rows {
		if v.Filter != "" && !strings.Contains(strings.ToLower(r.Name), v.Filter) {
			continue
		}
		rows = append(rows, v.row(r))
	}
	v.table.SetRows(rows)
	v.table.SetEmpty(v.EmptyText(common.Empty{Items: "models", Item: "model",
		Failed: "no data yet: the collector did not answer (see below)",
		None:   "no models: the collector holds no traffic series and its registry no model"}))
}

func (v *View) row(r Row) common.Row {
	dash := v.c.DashFor()
	cells := make([]string, numCols)
	tones := make([]common.Tone, numCols)
	for i := range cells {
		cells[i] = dash
	}
	cells[colName] = r.Name
	if r.WarmingUp {
		r.Compliance, r.BudgetLeft = math.NaN(), math.NaN() // the footnote says why
	}
	if !math.IsNaN(r.Compliance) {
		cells[colSLO] = compliance(r.Compliance)
		tones[colSLO] = common.ToneGood
		if r.Compliance < r.Objective {
			tones[colSLO] = common.ToneBad
		}
	}
	if !math.IsNaN(r.Objective) {
		cells[colTarget] = compliance(r.Objective)
	}
	if !math.IsNaN(r.BudgetLeft) {
		cells[colBudget] = common.FormatPercent(math.Max(r.BudgetLeft, 0))
		switch {
		case r.BudgetLeft <= 0:
			tones[colBudget] = common.ToneBad
		case r.BudgetLeft <= 0.25:
			tones[colBudget] = common.ToneWarn
		}
	}
	if r.Metric != "" {
		cells[colQuality] = r.Metric + " " + num(r.Live, dash) + "/" + num(r.Offline, dash)
		switch d := r.QualityDelta(); {
		case d >= 0.1:
			tones[colQuality] = common.ToneBad
		case d >= 0.05:
			tones[colQuality] = common.ToneWarn
		}
	}
	if !math.IsNaN(r.Pairs) {
		cells[colWindow] = common.FormatNumber(r.Pairs)
	}
	if !math.IsNaN(r.LabelLagSeconds) {
		cells[colLag] = common.FormatAge(time.Duration(r.LabelLagSeconds * float64(time.Second)))
	}
	if !math.IsNaN(r.LabelCoverage) {
		cells[colCoverage] = common.FormatPercent(r.LabelCoverage)
		if r.LabelCoverage < LowLabelCoverage {
			tones[colCoverage] = common.ToneWarn
		}
	}
	if !math.IsNaN(r.Drift) {
		cells[colDrift] = common.FormatPercent(r.Drift)
		switch {
		case r.Drift >= 0.5:
			tones[colDrift] = common.ToneBad
		case r.Drift >= 0.3:
			tones[colDrift] = common.ToneWarn
		}
	}
	if !math.IsNaN(r.Deploys) {
		cells[colDeploys] = strconv.Itoa(int(math.Round(r.Deploys)))
	}
	if share := r.RolledBackShare(); !math.IsNaN(share) {
		cells[colRolledBack] = common.FormatPercent(share)
		if share > 0 {
			tones[colRolledBack] = common.ToneWarn
		}
	}
	if !math.IsNaN(r.CostPer1kPredictions) {
		cells[colCost] = money(r.CostPer1kPredictions)
	}
	for i := range cells {
		if cells[i] == dash && tones[i] == common.ToneNone {
			tones[i] = common.ToneMuted
		}
	}
	return common.Row{Key: r.Name, Cells: cells, Tones: tones}
}

// LowLabelCoverage is the drift rules' default label_coverage: below it
// the LabelCoverageLow ticket fires, so the cell warns.
const LowLabelCoverage = 0.5

// compliance renders an SLO ratio with the digits SLOs are written in:
// 99.95%, 99.9%, 95%.
func compliance(x float64) string {
	s := strconv.FormatFloat(math.Floor(x*1e4)/100, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

func num(x float64, dash string) string {
	if math.IsNaN(x) {
		return dash
	}
	return common.FormatNumber(x)
}

// money renders a price: $0.042, $1.20, $12.
func money(x float64) string {
	switch {
	case x >= 100:
		return "$" + strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 1:
		return "$" + strconv.FormatFloat(x, 'f', 2, 64)
	}
	return "$" + strconv.FormatFloat(x, 'f', 3, 64)
}

// View renders the table and two footnote lines: what the columns are
// over (the SLO period, the quality window), or why data is missing.
func (v *View) View() string {
	body := v.table.View()
	pad := max(v.Height-2-strings.Count(body, "\n")-1, 0)
	notes := v.notes()
	for len(notes) < 2 {
		notes = append(notes, "")
	}
	for i := range notes {
		notes[i] = common.Fit(notes[i], v.Width)
	}
	return body + strings.Repeat("\n", pad+1) + strings.Join(notes[:2], "\n")
}

func (v *View) notes() []string {
	st := v.c.Styles
	for _, err := range v.snap.Errs {
		var ue *client.UnreachableError
		if errors.As(err, &ue) {
			return []string{v.c.ErrorLine("no data", ue)}
		}
	}
	if len(v.snap.Errs) > 0 {
		return []string{v.c.ErrorLine("query failed", v.snap.Errs[0])}
	}
	if !v.Loaded {
		return nil
	}
	parts := []string{strconv.Itoa(len(v.table.Rows())) + " of " + strconv.Itoa(len(v.snap.Rows)) + " models"}
	if w := v.window(); w != "" {
		parts = append(parts, "quality over the last "+w+" labels")
	} else if v.hasQuality() {
		parts = append(parts, "quality over OVER labels")
	}
	switch p := v.period(); {
	case !v.snap.SLOConfigured:
		parts = append(parts, "SLO: "+common.NotConfigured)
	case p != "":
		parts = append(parts, "SLO, budget: "+p+" period")
	}
	if slices.ContainsFunc(v.snap.Rows, func(r Row) bool { return r.WarmingUp }) {
		parts = append(parts[:1], append([]string{"SLO warming up: under 10m of its period recorded"}, parts[1:]...)...)
	}
	parts = append(parts, "DEP/WK, RB%: last 7 days", "LAG: label lag", "LBL%: labelled share")
	lines := pack(parts, v.Width, 2)
	for i := range lines {
		lines[i] = st.Muted.Render(lines[i])
	}
	return lines
}

// pack lays notes out, in order, on at most maxLines lines of width
// cells joined by " · "; a note that fits on no line is left out whole.
func pack(parts []string, width, maxLines int) []string {
	var lines []string
	for _, p := range parts {
		pw := len([]rune(p))
		switch n := len(lines); {
		case n > 0 && len([]rune(lines[n-1]))+3+pw <= width:
			lines[n-1] += " · " + p
		case n < maxLines && pw <= width:
			lines = append(lines, p)
		}
	}
	return lines
}

// period names the SLO period the rows share ("30d"), "" when they do
// not share one or none is recorded.
func (v *View) period() string {
	var ps []float64
	for _, r := range v.snap.Rows {
		if !math.IsNaN(r.PeriodDays) && !slices.Contains(ps, r.PeriodDays) {
			ps = append(ps, r.PeriodDays)
		}
	}
	if len(ps) != 1 {
		return ""
	}
	d := time.Duration(ps[0] * 24 * float64(time.Hour))
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return strconv.FormatFloat(d.Hours(), 'f', -1, 64) + "h"
}

// window is the quality window the rows share ("500"), "" otherwise.
func (v *View) window() string {
	var ws []float64
	for _, r := range v.snap.Rows {
		if r.Metric != "" && !math.IsNaN(r.Pairs) && !slices.Contains(ws, r.Pairs) {
			ws = append(ws, r.Pairs)
		}
	}
	if len(ws) != 1 {
		return ""
	}
	return strconv.Itoa(int(ws[0]))
}

func (v *View) hasQuality() bool {
	return slices.ContainsFunc(v.snap.Rows, func(r Row) bool { return r.Metric != "" })
}
