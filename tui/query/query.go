package query

import (
	"context"
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/chart"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/keys"
)

const (
	fetchTimeout = 15 * time.Second
	// Window is how far back the chart looks.
	Window  = time.Hour
	minStep = 15 * time.Second
)

// API is what the view needs from the collector.
type API interface {
	Query(ctx context.Context, query string, ts time.Time) (client.Result, error)
	QueryRange(ctx context.Context, query string, r client.Range) (client.Result, error)
}

// Mode is how the result is shown.
type Mode int

// Result presentations.
const (
	ModeTable Mode = iota
	ModeChart
)

type resultMsg struct {
	seq     int
	query   string
	at      time.Time
	instant client.Result
	ierr    error
	rng     client.Result
	rerr    error
}

// View is the Query screen.
type View struct {
	common.Base // Filter: keeps the series whose labels hold it
	c           common.Common
	api         API
	input       textinput.Model
	keys        keys.Query
	table       *common.Table
	mode        Mode
	ran         string // the expression of the last run started
	last        *resultMsg
	chart       []string // cached chart lines for the current size
}

var columns = []common.Column{
	{Title: "SERIES", Width: 20, Flex: true, MaxWidth: 100},
	{Title: "VALUE", Width: 12, Right: true},
}

// New returns the Query view. The input starts focused.
func New(c common.Common, api API) *View {
	in := textinput.New()
	in.Prompt = "› "
	if c.ASCII {
		in.Prompt = "> "
	}
	in.Placeholder = `PromQL or MetricsQL, e.g. sum by (model) (rate(mle_predictions_total[5m]))`
	in.PromptStyle = c.Styles.Prompt
	in.TextStyle = c.Styles.Renderer.NewStyle()
	in.PlaceholderStyle = c.Styles.Muted
	in.Cursor.Style = c.Styles.Renderer.NewStyle().Reverse(true)
	in.Cursor.TextStyle = c.Styles.Renderer.NewStyle()
	// A blinking cursor would redraw twice a second for nothing.
	in.Cursor.SetMode(cursor.CursorStatic)
	in.Focus()
	v := &View{
		Base:  common.NewBase(c, "query", "Query"),
		c:     c,
		api:   api,
		input: in,
		table: common.NewTable(c, columns),
		keys:  keys.NewQuery(),
	}
	v.table.SetEmpty("type an expression and press enter")
	return v
}

// Init does nothing until a query is entered.
func (v *View) Init() tea.Cmd { return nil }

// Capturing reports whether the input line has the keyboard.
func (v *View) Capturing() bool { return v.input.Focused() }

// SetFilter keeps the table rows and chart lines whose series labels hold
// f (case-insensitive), without running the expression again.
func (v *View) SetFilter(f string) {
	v.Base.SetFilter(f)
	v.setRows()
	v.renderChart()
}

// setRows fills the table from the last result, filtered.
func (v *View) setRows() {
	if v.last == nil {
		return
	}
	rows := tableRows(v.last.instant.Value, v.c.DashFor())
	v.table.SetEmpty("no series")
	if v.Filter != "" {
		kept := rows[:0]
		for _, r := range rows {
			if strings.Contains(strings.ToLower(r.Key), v.Filter) {
				kept = append(kept, r)
			}
		}
		rows = kept
		v.table.SetEmpty("no series matches /" + v.Filter)
	}
	v.table.SetRows(rows)
}

// Mode returns the current presentation.
func (v *View) Mode() Mode { return v.mode }

// KeyBindings lists the view's keys for help.
func (v *View) KeyBindings() []key.Binding {
	return append(v.keys.ShortHelp(), v.table.KeyBindings()...)
}

// SetSize sets the body area.
func (v *View) SetSize(w, h int) {
	v.Base.SetSize(w, h)
	v.input.Width = max(w-len(v.input.Prompt)-1, 1)
	v.table.SetSize(w, max(h-2, 1))
	v.renderChart()
}

// SetQuery replaces the expression and runs it (used when another view
// drills into a query), showing the chart.
func (v *View) SetQuery(q string) tea.Cmd {
	v.input.SetValue(q)
	v.input.CursorStart() // show the start of a long expression
	v.input.Blur()
	v.mode = ModeChart
	return v.run()
}

// Ran is the expression of the last run started: the root clears the
// view's / filter when it changes (a filter of an earlier query would hide
// the new one's series).
func (v *View) Ran() string { return v.ran }

// Refresh re-runs the last expression unless a run is in flight.
func (v *View) Refresh() tea.Cmd {
	if v.last == nil || v.InFlight() {
		return nil
	}
	return v.run()
}

func (v *View) run() tea.Cmd {
	q := strings.TrimSpace(v.input.Value())
	if q == "" {
		return nil
	}
	v.ran = q
	c, api := v.c, v.api
	step := stepFor(v.Width)
	return v.Refetch(fetchTimeout, func(ctx context.Context, seq int) tea.Msg {
		at := c.Now()
		msg := &resultMsg{seq: seq, query: q, at: at}
		done := make(chan struct{})
		go func() {
			defer close(done)
			msg.rng, msg.rerr = api.QueryRange(ctx, q, client.Range{Start: at.Add(-Window), End: at, Step: step})
		}()
		msg.instant, msg.ierr = api.Query(ctx, q, at)
		<-done
		return msg
	})
}

// stepFor picks a range step giving about one point per chart column.
func stepFor(width int) time.Duration {
	cols := max(width-10, 10)
	step := (Window / time.Duration(cols)).Truncate(time.Second)
	return max(step, minStep)
}

// Update handles keys and results.
func (v *View) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case *resultMsg:
		if !v.Current(msg.seq) {
			return nil // an older run finished after a newer one started
		}
		v.Settled()
		v.last, v.At = msg, msg.at
		v.setRows()
		v.renderChart()
		return nil
	case tea.KeyMsg:
		if v.input.Focused() {
			switch {
			case key.Matches(msg, v.keys.Run):
				return v.run()
			case key.Matches(msg, v.keys.Toggle):
				v.toggle()
				return nil
			case key.Matches(msg, v.keys.Blur):
				v.input.Blur()
				return nil
			}
			var cmd tea.Cmd
			v.input, cmd = v.input.Update(msg)
			return cmd
		}
		switch {
		case key.Matches(msg, v.keys.Edit):
			return v.input.Focus()
		case key.Matches(msg, v.keys.Toggle):
			v.toggle()
		case key.Matches(msg, v.keys.Run):
			return v.run()
		default:
			v.table.Update(msg)
		}
	}
	return nil
}

func (v *View) toggle() {
	if v.mode == ModeTable {
		v.mode = ModeChart
	} else {
		v.mode = ModeTable
	}
}

func (v *View) renderChart() {
	v.chart = nil
	if v.last == nil || v.last.rerr != nil {
		return
	}
	m, ok := v.last.rng.Value.(client.Matrix)
	if !ok {
		return
	}
	lines := make([]chart.Line, 0, len(m))
	for _, s := range m {
		label := s.Metric.String()
		if v.Filter != "" && !strings.Contains(strings.ToLower(label), v.Filter) {
			continue
		}
		pts := make([]chart.Point, len(s.Points))
		for j, p := range s.Points {
			pts[j] = chart.Point{T: p.T, V: p.V}
		}
		lines = append(lines, chart.Line{Label: label, Points: pts})
	}
	v.chart = chart.LineChart(lines, v.Width, max(v.Height-2, 0))
}

func tableRows(val client.Value, dash string) []common.Row {
	var rows []common.Row
	switch val := val.(type) {
	case client.Vector:
		for _, s := range val {
			rows = append(rows, common.Row{Key: s.Metric.String(), Cells: []string{orName(s.Metric.String()), formatValue(s.V)}})
		}
	case client.Matrix:
		for _, s := range val {
			last := dash
			if n := len(s.Points); n > 0 {
				last = formatValue(s.Points[n-1].V) + " (" + strconv.Itoa(n) + " pts)"
			}
			rows = append(rows, common.Row{Key: s.Metric.String(), Cells: []string{orName(s.Metric.String()), last}})
		}
	case client.Scalar:
		rows = append(rows, common.Row{Key: "scalar", Cells: []string{"scalar", formatValue(val.V)}})
	case client.String:
		rows = append(rows, common.Row{Key: "string", Cells: []string{"string", val.S}})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Key < rows[j].Key })
	return rows
}

func orName(s string) string {
	if s == "" || s == "{}" {
		return "{}"
	}
	return s
}

// formatValue prints a sample the way Prometheus does, shortened to 6
// significant digits.
func formatValue(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return common.FormatNumber(f)
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// View renders input, a status line and the result area.
func (v *View) View() string {
	var b strings.Builder
	b.WriteString(common.Fit(v.input.View(), v.Width))
	b.WriteByte('\n')
	area := max(v.Height-1, 0)
	var lines []string
	switch {
	case v.last == nil && v.InFlight():
		lines = []string{v.c.Styles.Muted.Render("running…")}
	case v.last == nil:
		lines = []string{v.c.Styles.Muted.Render("enter runs the expression · tab switches table/chart · esc leaves the input")}
	case v.last.ierr != nil:
		lines = v.errorLines(v.last.query, v.last.ierr)
	default:
		lines = append(lines, v.statusLine())
		if v.mode == ModeTable {
			lines = append(lines, strings.Split(v.table.View(), "\n")...)
		} else {
			switch {
			case v.last.rerr != nil:
				lines = append(lines, v.c.ErrorLine("range query failed", v.last.rerr))
			case v.chart == nil:
				lines = append(lines, v.c.Styles.Muted.Render("nothing to chart: the expression returned no numeric series over the last hour"))
			default:
				lines = append(lines, v.chart...)
			}
		}
	}
	for i := 0; i < area; i++ {
		if i < len(lines) {
			b.WriteString(common.Fit(lines[i], v.Width))
		}
		if i < area-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func (v *View) statusLine() string {
	kind := "no result"
	if v.last.instant.Value != nil {
		kind = string(v.last.instant.Value.Type())
	}
	n := len(v.table.Rows())
	mode := "table"
	if v.mode == ModeChart {
		mode = "chart, last " + common.FormatAge(Window)
	}
	s := kind + " · " + strconv.Itoa(n) + " series · " + mode
	if w := append(v.last.instant.Warnings, v.last.instant.Infos...); len(w) > 0 {
		return v.c.Styles.Muted.Render(s+" · ") + v.c.Styles.Warn.Render(w[0])
	}
	return v.c.Styles.Muted.Render(s)
}

// errorLines shows the collector's message and, when it names a position,
// the query with a caret under it.
func (v *View) errorLines(q string, err error) []string {
	st := v.c.Styles
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		return []string{st.Error.Render("query failed: " + err.Error())}
	}
	head := "error"
	if apiErr.Type != "" {
		head += " (" + apiErr.Type + ")"
	}
	line, col, ok := client.ErrorPosition(err, q)
	if !ok {
		return []string{st.Error.Render(head + ": " + apiErr.Message)}
	}
	qline := strings.Split(q, "\n")[line]
	// Keep the caret on screen for long queries: show a window around it.
	start := 0
	if room := v.Width - 4; col > room-10 && room > 20 {
		start = col - room/2
	}
	shown := qline[start:]
	return []string{
		st.Error.Render(head + " at " + strconv.Itoa(line+1) + ":" + strconv.Itoa(col+1) + ":"),
		"  " + shown,
		"  " + strings.Repeat(" ", col-start) + st.Error.Render("^"),
		st.Error.Render("  " + apiErr.Message),
	}
}
