package record

import (
	"cmp"
	"context"
	"encoding/json"
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

// API is what the view needs from the collector.
type API interface {
	SampleRecord(ctx context.Context, model, version, role string, at time.Time, span time.Duration) (*client.PredictionRecord, error)
}

const fetchTimeout = 10 * time.Second

// Span is how far back before its end a sample is looked for.
const Span = 5 * time.Minute

var columns = []common.Column{
	{Title: "FEATURE", Width: 12, Flex: true, MaxWidth: 28},
	{Title: "VALUE", Width: 12, Right: true},
	{Title: "CONTRIB", Width: 8, Right: true},
	{Title: "SHARE", Width: 6, Priority: 2, Right: true},
	// The bar goes left of the axis for a negative contribution.
	{Title: "", Width: 21, Priority: 1, Flex: true, MaxWidth: 41},
}

type fetchedMsg struct {
	seq int
	rec *client.PredictionRecord
	err error
	at  time.Time
}

// View shows one sampled prediction: its inputs beside the contributions
// the model logged with it, largest |contribution| first.
type View struct {
	common.Base
	c              common.Common
	api            API
	keys           keys.Record
	model, version string
	// shadow asks for the shadow version's records; otherwise the
	// collector samples the serving version's (production or canary),
	// what users got, unless Open named a version.
	shadow bool
	rec    *client.PredictionRecord
	table  *common.Table
}

// New returns the Record view; Open chooses the model.
func New(c common.Common, api API) *View {
	v := &View{Base: common.NewBase(c, "record", "Record"), c: c, api: api, keys: keys.NewRecord(), table: common.NewTable(c, columns)}
	v.rebuild()
	return v
}

// Title is the breadcrumb: "Record demand".
func (v *View) Title() string {
	if v.model == "" {
		return v.Base.Title()
	}
	return "Record " + v.model
}

// Open shows a sampled record of arg, "MODEL [VERSION]".
func (v *View) Open(arg string, _ map[string]string) tea.Cmd {
	f := strings.Fields(arg)
	if len(f) == 0 {
		return nil
	}
	model, version := f[0], ""
	if len(f) > 1 {
		version = f[1]
	}
	v.model, v.version, v.shadow, v.rec, v.Loaded, v.At, v.Err = model, version, false, nil, false, time.Time{}, nil
	v.rebuild()
	return v.fetch(time.Time{})
}

// Init fetches the model set by Open.
func (v *View) Init() tea.Cmd { return v.Refresh() }

// Refresh fetches the first sample; later refreshes (the background tick,
// ctrl+r) leave the record on screen alone: one reads it, it should not
// change under the reader (N asks for the newest).
func (v *View) Refresh() tea.Cmd {
	if v.model == "" || v.InFlight() || v.Loaded {
		return nil
	}
	return v.fetch(time.Time{})
}

// fetch samples the newest record before end (zero: now).
func (v *View) fetch(end time.Time) tea.Cmd {
	c, api, model, version, role := v.c, v.api, v.model, v.version, ""
	if v.shadow {
		role = "shadow"
	}
	return v.Refetch(fetchTimeout, func(ctx context.Context, seq int) tea.Msg {
		at := c.Now()
		to := end
		if to.IsZero() {
			to = at
		}
		rec, err := api.SampleRecord(ctx, model, version, role, to, Span)
		return fetchedMsg{seq: seq, rec: rec, err: err, at: at}
	})
}

// SetSize sets the body area: two heading lines, the table, a status line.
func (v *View) SetSize(w, h int) {
	v.Base.SetSize(w, h)
	v.table.SetSize(w, max(h-3, 1))
}

// SetFilter keeps features whose name contains f.
func (v *View) SetFilter(f string) {
	v.Base.SetFilter(f)
	v.rebuild()
}

// KeyBindings lists the view's keys.
func (v *View) KeyBindings() []key.Binding {
	return append(v.table.KeyBindings(), v.keys.ShortHelp()...)
}

// Update takes fetch results and keys.
func (v *View) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case fetchedMsg:
		if !v.Current(msg.seq) {
			return nil
		}
		v.rec = common.Answer(&v.Base, msg.at, msg.rec, msg.err, v.rec)
		var apiErr *client.APIError
		if errors.As(msg.err, &apiErr) && apiErr.StatusCode == 404 {
			v.rec = nil // no record in the span: say so, do not keep another
		}
		v.rebuild()
	case tea.KeyMsg:
		if key.Matches(msg, v.keys.Older) {
			if v.rec == nil || v.InFlight() {
				return nil
			}
			return v.fetch(v.rec.TS.Add(-time.Millisecond))
		}
		if key.Matches(msg, v.keys.Newest) && v.model != "" {
			return v.fetch(time.Time{})
		}
		if key.Matches(msg, v.keys.Shadow) && v.model != "" {
			// The other side of what is on screen: the shadow's newest
			// record, or the serving version's (also from a shadow version
			// Open named); the version named no longer applies.
			onShadow := v.shadow || (v.rec != nil && v.rec.Role == "shadow")
			v.shadow, v.version, v.rec = !onShadow, "", nil
			v.rebuild()
			return v.fetch(time.Time{})
		}
		v.table.Update(msg)
	}
	return nil
}

// contribution is one feature's row.
type contribution struct {
	name  string
	value string
	c     float64 // NaN: no contribution logged
}

func (v *View) contributions() []contribution {
	if v.rec == nil {
		return nil
	}
	out := make([]contribution, 0, len(v.rec.Features))
	for name, raw := range v.rec.Features {
		c, ok := v.rec.Explanations[name]
		if !ok {
			c = math.NaN()
		}
		out = append(out, contribution{name: name, value: value(raw, v.c.DashFor()), c: c})
	}
	for name, c := range v.rec.Explanations {
		if _, ok := v.rec.Features[name]; !ok { // explained, not logged as an input
			out = append(out, contribution{name: name, value: v.c.DashFor(), c: c})
		}
	}
	slices.SortFunc(out, func(a, b contribution) int {
		return cmp.Or(cmp.Compare(absLow(b.c), absLow(a.c)), strings.Compare(a.name, b.name))
	})
	return out
}

func absLow(x float64) float64 {
	if math.IsNaN(x) {
		return -1
	}
	return math.Abs(x)
}

// value renders a logged input: a number as the console writes numbers,
// a string as it is.
func value(raw json.RawMessage, dash string) string {
	var x any
	if json.Unmarshal(raw, &x) != nil {
		return string(raw)
	}
	switch x := x.(type) {
	case nil:
		return dash
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e6 {
			return strconv.FormatFloat(x, 'f', 0, 64) // a count, an hour, an id
		}
		return common.FormatNumber(x)
	case string:
		return x
	}
	return string(raw)
}

func (v *View) rebuild() {
	dash := v.c.DashFor()
	cs := v.contributions()
	total := 0.0
	for _, c := range cs {
		if !math.IsNaN(c.c) {
			total += math.Abs(c.c)
		}
	}
	rows := make([]common.Row, 0, len(cs))
	for _, c := range cs {
		if v.Filter != "" && !strings.Contains(strings.ToLower(c.name), v.Filter) {
			continue
		}
		cells := []string{c.name, c.value, dash, dash, ""}
		tones := make([]common.Tone, len(cells))
		if !math.IsNaN(c.c) {
			cells[2] = signed(c.c)
			if total > 0 {
				cells[3] = common.FormatPercent(math.Abs(c.c) / total)
			}
			cells[4] = v.bar(c.c, cs)
			if c.c < 0 {
				tones[2], tones[4] = common.ToneGood, common.ToneGood
			} else {
				tones[2], tones[4] = common.ToneWarn, common.ToneWarn
			}
		}
		rows = append(rows, common.Row{Key: c.name, Cells: cells, Tones: tones})
	}
	v.table.SetRows(rows)
	switch {
	case v.model == "":
		v.table.SetEmpty("no model: open one with :record MODEL [VERSION], or e on a model's drift tab")
	case v.NotConfigured():
		v.table.SetEmpty("records: " + common.NotConfigured + " (the collector does not serve /api/v1/predictions/sample)")
	case v.Loaded && v.rec == nil && v.Err != nil:
		v.table.SetEmpty(errText(v.Err))
	default:
		v.table.SetEmpty(v.EmptyText(common.Empty{Items: "a record of " + v.model, Item: "feature",
			None: "the record logged no features"}))
	}
}

// bar draws |c| against the largest |contribution|, right of the axis for
// a positive one (it raised the prediction), left for a negative one.
func (v *View) bar(c float64, cs []contribution) string {
	largest := 0.0
	for _, x := range cs {
		if !math.IsNaN(x.c) {
			largest = math.Max(largest, math.Abs(x.c))
		}
	}
	half := 10
	n := 0
	if largest > 0 {
		n = int(math.Round(math.Abs(c) / largest * float64(half)))
	}
	block, axis := "█", "│"
	if v.c.ASCII {
		block, axis = "#", "|"
	}
	left, right := strings.Repeat(" ", half), strings.Repeat(" ", half)
	if c < 0 {
		left = strings.Repeat(" ", half-n) + strings.Repeat(block, n)
	} else {
		right = strings.Repeat(block, n) + strings.Repeat(" ", half-n)
	}
	return left + axis + right
}

func signed(x float64) string {
	if x > 0 {
		return "+" + common.FormatNumber(x)
	}
	return common.FormatNumber(x)
}

func errText(err error) string {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Message
	}
	return err.Error()
}

// View renders the record's heading, the table and a status line.
func (v *View) View() string {
	st := v.c.Styles
	lines := []string{v.heading(), v.summary()}
	body := strings.Split(v.table.View(), "\n")
	th := max(v.Height-3, 1)
	for len(body) < th {
		body = append(body, "")
	}
	lines = append(lines, body[:th]...)
	status := ""
	switch {
	case v.Loaded && v.rec != nil && v.Err != nil:
		status = v.c.ErrorLine("sample fetch failed", v.Err)
	case v.rec != nil:
		other := "s the shadow's"
		if v.shadow || v.rec.Role == "shadow" {
			other = "s the serving version's"
		}
		status = st.Muted.Render("contributions as logged with it · n older · N newest · " + other)
	}
	lines = append(lines, status)
	for i := range lines {
		lines[i] = common.Fit(lines[i], v.Width)
	}
	return strings.Join(lines[:min(len(lines), max(v.Height, 1))], "\n")
}

func (v *View) heading() string {
	st := v.c.Styles
	if v.rec == nil {
		title := "Record"
		if v.model != "" {
			title += " · " + v.model
			switch {
			case v.version != "":
				title += " " + v.version
			case v.shadow:
				title += " shadow"
			default:
				title += " serving"
			}
		}
		return st.Title.Render(title)
	}
	r := v.rec
	sep := st.Muted.Render(" · ")
	parts := []string{st.Title.Render(r.Model + " " + r.Version)}
	switch r.Role {
	case "shadow":
		parts = append(parts, st.Warn.Render("shadow (not served)"))
	case "":
	default:
		parts = append(parts, "serving ("+r.Role+")")
	}
	if r.RequestID != "" {
		parts = append(parts, "request "+r.RequestID)
	}
	parts = append(parts, r.TS.UTC().Format("15:04:05")+" UTC ("+common.FormatAge(v.c.Now().Sub(r.TS))+" ago)")
	if r.Injected {
		parts = append(parts, st.Warn.Render("injected"))
	}
	return strings.Join(parts, sep)
}

func (v *View) summary() string {
	r := v.rec
	if r == nil {
		return ""
	}
	sep := v.c.Styles.Muted.Render(" · ")
	parts := []string{"prediction " + prediction(r.Prediction, v.c.DashFor()), "status " + r.Status}
	if r.LatencyMS != nil {
		parts = append(parts, "latency "+common.FormatSeconds(*r.LatencyMS/1000))
	}
	if len(r.Explanations) == 0 {
		parts = append(parts, v.c.Styles.Warn.Render("no explanations logged with this record"))
	} else {
		sum := 0.0
		for _, c := range r.Explanations {
			sum += c
		}
		parts = append(parts, "contributions sum "+signed(sum)+" ("+strconv.Itoa(len(r.Explanations))+" features)")
	}
	return strings.Join(parts, sep)
}

// prediction renders a number, a label or class scores.
func prediction(raw json.RawMessage, dash string) string {
	if len(raw) == 0 {
		return dash
	}
	var scores map[string]float64
	if json.Unmarshal(raw, &scores) == nil && scores != nil {
		names := make([]string, 0, len(scores))
		for n := range scores {
			names = append(names, n)
		}
		slices.Sort(names)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = n + " " + common.FormatNumber(scores[n])
		}
		return strings.Join(parts, ", ")
	}
	return value(raw, dash)
}
