package models

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
	"github.com/charmbracelet/x/ansi"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/chart"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/keys"
)

// fetchTimeout bounds one refresh so a hung collector cannot pin the
// in-flight flag forever.
const fetchTimeout = 10 * time.Second

// Column indices, in table order.
const (
	colName = iota
	colProd
	colShadow
	colSLO
	colBurn
	colBudget
	colP95
	colPredRate
	colTrend
	colErr
	colDrift
	colAlerts
	numCols
)

var columns = []common.Column{
	colName:     {Title: "NAME", Width: 12, Flex: true, MaxWidth: 40},
	colProd:     {Title: "PROD", Width: 8, Priority: 4},
	colShadow:   {Title: "SHADOW", Width: 8, Priority: 7},
	colSLO:      {Title: "SLO", Width: 5, Priority: 8},
	colBurn:     {Title: "BURN", Width: 6, Priority: 9, Right: true},
	colBudget:   {Title: "BUDGET", Width: 6, Priority: 10, Right: true},
	colP95:      {Title: "P95", Width: 6, Priority: 3, Right: true},
	colPredRate: {Title: "PRED/S", Width: 6, Priority: 2, Right: true},
	colTrend:    {Title: "TREND 1H", Width: 13, Priority: 11},
	colErr:      {Title: "ERR%", Width: 5, Priority: 5, Right: true},
	colDrift:    {Title: "DRIFT", Width: 5, Priority: 6, Right: true},
	colAlerts:   {Title: "ALERTS", Width: 6, Priority: 1, Right: true},
}

// fetchedMsg carries one refresh's result back into Update.
type fetchedMsg Snapshot

// View is the Models screen.
type View struct {
	// Base: At is the shown snapshot's evaluation time, Loaded set by
	// the first snapshot with data.
	common.Base
	c     common.Common
	api   API
	table *common.Table
	keys  keys.Models
	snap  Snapshot
	// waiting: the collector answered with models (from the registry)
	// but no traffic, latency or drift series yet (a demo still writing
	// its history, or storage still opening): their versions, ALERTS 0
	// and "SLO: not configured" would be wrong facts, so the view keeps
	// saying loading and asks again soon.
	waiting bool
}

// New returns the Models view reading from api.
func New(c common.Common, api API) *View {
	v := &View{
		Base:  common.NewBase(c, "models", "Models"),
		c:     c,
		api:   api,
		table: common.NewTable(c, columns),
		keys:  keys.NewModels(),
	}
	v.table.SetEmpty("loading models…")
	return v
}

// Init starts the first fetch.
func (v *View) Init() tea.Cmd { return v.Refresh() }

// Refresh starts a fetch unless one is already running; a dropped refresh
// returns nil.
func (v *View) Refresh() tea.Cmd {
	c, api := v.c, v.api
	return v.Fetch(fetchTimeout, func(ctx context.Context) tea.Msg {
		return fetchedMsg(Fetch(ctx, api, c.Now()))
	})
}

// SetFilter keeps rows whose name or versions contain f (case-insensitive).
func (v *View) SetFilter(f string) {
	v.Base.SetFilter(f)
	v.rebuild()
}

// SetSize sets the body area.
func (v *View) SetSize(w, h int) {
	v.Base.SetSize(w, h)
	v.table.SetSize(w, max(h-1, 1))
}

// KeyBindings lists the view's keys for help.
func (v *View) KeyBindings() []key.Binding {
	return append(v.table.KeyBindings(), v.keys.ShortHelp()...)
}

// SetSnapshot installs data directly; benchmarks and tests use it.
func (v *View) SetSnapshot(s Snapshot) {
	v.snap, v.Loaded, v.At = s, true, s.At
	v.rebuild()
}

// Update handles fetch results and keys.
func (v *View) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case fetchedMsg:
		v.Settled()
		s := Snapshot(msg)
		if len(s.Errs) > 0 && len(s.Models) == 0 {
			// Nothing came back: keep the last good rows (and their age)
			// and show why.
			v.snap.Errs = s.Errs
			v.rebuild()
			return nil
		}
		if !v.Loaded && len(s.Models) > 0 && !hasData(s) {
			// The registry's rows alone, whether or not the queries
			// failed (a collector whose storage is still opening answers
			// 503 to each): rows of dashes with ALERTS 0 would read as
			// facts. Keep loading, say why below, ask again soon.
			v.waiting = true
			v.snap.Errs = s.Errs
			v.rebuild()
			return tea.Tick(waitRetry, func(time.Time) tea.Msg { return retryMsg{} })
		}
		v.waiting = false
		v.SetSnapshot(s)
	case retryMsg:
		if !v.Loaded {
			return v.Refresh()
		}
	case tea.KeyMsg:
		if key.Matches(msg, v.keys.Open) {
			if row, ok := v.table.Selected(); ok {
				name := row.Key
				return func() tea.Msg { return common.NavigateMsg{View: "model", Arg: name} }
			}
			return nil
		}
		if key.Matches(msg, v.keys.Query) {
			if row, ok := v.table.Selected(); ok {
				q := DrillQuery(row.Key)
				return func() tea.Msg { return common.NavigateMsg{View: "query", Arg: q} }
			}
			return nil
		}
		v.table.Update(msg)
	}
	return nil
}

func (v *View) rebuild() {
	rows := make([]common.Row, 0, len(v.snap.Models))
	for _, m := range v.snap.Models {
		if v.Filter != "" && !matches(m, v.Filter) {
			continue
		}
		rows = append(rows, v.row(m))
	}
	switch {
	case !v.Loaded && len(v.snap.Errs) > 0:
		v.table.SetEmpty("no data yet: the collector's queries failed (see below)")
	case !v.Loaded && v.waiting:
		v.table.SetEmpty("loading models… the collector holds no predictions, latency or drift series yet")
	default:
		v.table.SetEmpty(v.EmptyText(common.Empty{
			Items: "models", Item: "model",
			None: "no models: the collector holds no mle_predictions_total, latency or drift series",
		}))
	}
	v.table.SetRows(rows)
}

func matches(m Model, f string) bool {
	if strings.Contains(strings.ToLower(m.Name), f) {
		return true
	}
	for _, s := range slices.Concat(m.Prod, m.Draining, m.Shadow) {
		if strings.Contains(strings.ToLower(s), f) {
			return true
		}
	}
	return false
}

func (v *View) row(m Model) common.Row {
	dash := v.c.DashFor()
	cells := make([]string, numCols)
	tones := make([]common.Tone, numCols)
	cells[colName] = m.Name
	if m.OwnerDown != "" {
		// Its figures are the last seen: say why before anything else.
		cells[colName] = m.Name + " (owner " + m.OwnerDown + " down)"
		tones[colName] = common.ToneBad
	}
	cells[colProd] = v.prodCell(m, dash)
	cells[colShadow] = joinOr(m.Shadow, dash)
	cells[colSLO] = SLOState(m)
	switch cells[colSLO] {
	case "":
		cells[colSLO] = dash
		tones[colSLO] = common.ToneMuted
	case "OK":
		tones[colSLO] = common.ToneGood
	case "BURN":
		tones[colSLO] = common.ToneWarn
	default:
		tones[colSLO] = common.ToneBad
	}
	cells[colBurn] = dash
	if !math.IsNaN(m.Burn1h) {
		cells[colBurn] = strconv.FormatFloat(m.Burn1h, 'f', 1, 64) + "x"
		tones[colBurn] = tones[colSLO]
	}
	cells[colBudget] = orDash(m.Budget, common.FormatPercent, dash)
	switch {
	case m.WarmingUp:
		cells[colBudget], tones[colBudget] = dash, common.ToneMuted // see the footnote
	case m.Budget <= 0:
		tones[colBudget] = common.ToneBad
	case m.Budget <= 0.25:
		tones[colBudget] = common.ToneWarn
	}
	cells[colP95] = orDash(m.P95, common.FormatSeconds, dash)
	cells[colPredRate] = orDash(m.PredRate, common.FormatNumber, dash)
	cells[colTrend] = dash
	if len(m.Trend) > 0 {
		cells[colTrend] = chart.Sparkline(m.Trend, v.c.ASCII)
	}
	cells[colErr] = orDash(m.ErrShare, common.FormatPercent, dash)
	switch {
	case m.ErrShare >= 0.05:
		tones[colErr] = common.ToneBad
	case m.ErrShare >= 0.01:
		tones[colErr] = common.ToneWarn
	}
	cells[colDrift] = orDash(m.Drift, common.FormatPercent, dash)
	switch {
	case m.Drift >= 0.5:
		tones[colDrift] = common.ToneBad
	case m.Drift >= 0.3:
		tones[colDrift] = common.ToneWarn
	}
	switch {
	case !v.snap.AlertsConfigured:
		cells[colAlerts] = dash
		tones[colAlerts] = common.ToneMuted
	case m.Firing > 0 && m.Pending > 0:
		cells[colAlerts] = strconv.Itoa(m.Firing) + "+" + strconv.Itoa(m.Pending) + "p"
		tones[colAlerts] = common.ToneBad
	case m.Firing > 0:
		cells[colAlerts] = strconv.Itoa(m.Firing)
		tones[colAlerts] = common.ToneBad
	case m.Pending > 0:
		cells[colAlerts] = strconv.Itoa(m.Pending) + "p"
		tones[colAlerts] = common.ToneWarn
	default:
		cells[colAlerts] = "0"
	}
	return common.Row{Key: m.Name, Cells: cells, Tones: tones}
}

// drainMark returns the marker of versions that still drain traffic: an
// arrow, or under --ascii a minus (the arrow's generic stand-in, "v",
// would read as part of the version name).
func (v *View) drainMark() string {
	if v.c.ASCII {
		return "-"
	}
	return "↓"
}

// prodCell shows the production version(s) first, so a narrow column
// never hides them, then the draining ones behind the marker: "v11 ↓v12"
// right after a rollback from v12.
func (v *View) prodCell(m Model, dash string) string {
	if len(m.Draining) == 0 {
		return joinOr(m.Prod, dash)
	}
	drain := v.drainMark() + strings.Join(m.Draining, ",")
	if len(m.Prod) == 0 {
		return drain
	}
	return strings.Join(m.Prod, ",") + " " + drain
}

func joinOr(s []string, dash string) string {
	if len(s) == 0 {
		return dash
	}
	return strings.Join(s, ",")
}

func orDash(v float64, f func(float64) string, dash string) string {
	if math.IsNaN(v) {
		return dash
	}
	return f(v)
}

// waitRetry is how soon a view still waiting for the first data asks
// again (the refresh period is 5 s).
const waitRetry = time.Second

type retryMsg struct{}

// hasData reports whether any model has traffic, latency, drift or SLO
// figures: a registry listing alone is not yet data.
func hasData(s Snapshot) bool {
	if s.SLOConfigured {
		return true
	}
	for _, m := range s.Models {
		for _, f := range []float64{m.PredRate, m.ErrShare, m.P95, m.Drift} {
			if !math.IsNaN(f) {
				return true
			}
		}
		if m.Firing+m.Pending > 0 || len(m.Shadow) > 0 {
			return true
		}
	}
	return false
}

// View renders the table and one footnote line.
func (v *View) View() string {
	var notes []string
	var ue *client.UnreachableError
	switch r := sharedReason(v.snap.Errs); {
	case slices.ContainsFunc(v.snap.Errs, func(err error) bool { return errors.As(err, &ue) }):
		// One unreachable collector fails every query: say that, not
		// the first query's text with the reason cut off at its end.
		notes = []string{v.c.ErrorLine("no data", ue)}
	case r != nil:
		// A collector that is not ready fails every query alike (503):
		// the reason once, likewise.
		notes = []string{v.c.ErrorLine(strconv.Itoa(len(v.snap.Errs))+" queries failed", r)}
	default:
		for _, err := range v.snap.Errs {
			notes = append(notes, v.c.ErrorLine("query failed", err))
		}
	}
	if len(notes) == 0 {
		var parts []string
		switch {
		case v.Loaded && !v.snap.SLOConfigured && v.snap.SLORulesLoaded:
			parts = append(parts, "SLO: no data yet") // rules loaded, not yet evaluated
		case v.Loaded && !v.snap.SLOConfigured:
			parts = append(parts, "SLO: "+common.NotConfigured)
		}
		if v.Loaded && slices.ContainsFunc(v.snap.Models, func(m Model) bool { return m.WarmingUp }) {
			parts = append(parts, "SLO budget: warming up (under "+common.FormatAge(PeriodWarmUp)+" of its period recorded)")
		}
		if v.Loaded && !v.snap.AlertsConfigured {
			parts = append(parts, "alerts: "+common.NotConfigured)
		}
		if down := ownersDown(v.snap.Models); len(down) > 0 {
			parts = append([]string{"owner unreachable: " + strings.Join(down, ", ") + " (its models' calls fail; the rest works)"}, parts...)
		}
		if v.Loaded && slices.ContainsFunc(v.snap.Models, func(m Model) bool { return len(m.Draining) > 0 }) {
			parts = append([]string{v.drainMark() + "v: old version draining"}, parts...)
		}
		if v.Loaded {
			parts = append([]string{strconv.Itoa(len(v.table.Rows())) + " of " + strconv.Itoa(len(v.snap.Models)) + " models"}, parts...)
		}
		body := v.table.View()
		// A second footnote line only where the table leaves a blank one.
		free := max(v.Height-strings.Count(body, "\n")-1, 1)
		lines := packNotes(parts, v.Width, min(free, 2))
		for i, l := range lines {
			lines[i] = v.c.Styles.Muted.Render(l)
		}
		pad := max(v.Height-strings.Count(body, "\n")-1-len(lines), 0)
		return body + strings.Repeat("\n", pad+1) + strings.Join(lines, "\n")
	}
	body := v.table.View()
	pad := max(v.Height-1-strings.Count(body, "\n")-1, 0)
	return body + strings.Repeat("\n", pad+1) + common.Fit(notes[0], v.Width)
}

// sharedReason is the reason every one of two or more failed sources
// gave (Fetch wraps each in its query), or nil when they differ.
func sharedReason(errs []error) error {
	if len(errs) < 2 {
		return nil
	}
	var first error
	for _, err := range errs {
		r := errors.Unwrap(err)
		if r == nil {
			r = err
		}
		switch {
		case first == nil:
			first = r
		case r.Error() != first.Error():
			return nil
		}
	}
	return first
}

// ownersDown are the collectors, sorted, that own a listed model and did
// not answer the collector the console is connected to.
func ownersDown(ms []Model) []string {
	var out []string
	for _, m := range ms {
		if m.OwnerDown != "" && !slices.Contains(out, m.OwnerDown) {
			out = append(out, m.OwnerDown)
		}
	}
	slices.Sort(out)
	return out
}

// packNotes lays out footnotes, most important first, on at most maxLines
// lines of width cells, joined by " · ". A note that fits on no line is
// dropped whole rather than cut mid-word; only a first note wider than
// the whole line is cut.
func packNotes(parts []string, width, maxLines int) []string {
	const sep = " · "
	var lines []string
	for _, p := range parts {
		pw := ansi.StringWidth(p)
		switch n := len(lines); {
		case n > 0 && ansi.StringWidth(lines[n-1])+len([]rune(sep))+pw <= width:
			lines[n-1] += sep + p
		case n < maxLines && pw <= width:
			lines = append(lines, p)
		case n == 0:
			lines = append(lines, common.Fit(p, width))
		}
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	return lines
}
