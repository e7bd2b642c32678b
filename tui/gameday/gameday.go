package gameday

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/confirm"
	"github.com/mlectl/mlectl/tui/keys"
)

const fetchTimeout = 10 * time.Second

// Endpoint is the collector API the view reads.
const Endpoint = "/api/v1/gameday/injections"

// Kinds are the injection kinds the collector knows.
var Kinds = []string{"shift", "scale", "nulls", "swap", "latency", "errors"}

// API is what the view needs from the collector.
type API interface {
	Injections(ctx context.Context) ([]client.Injection, error)
	StartInjection(ctx context.Context, req client.InjectionRequest) (client.Injection, error)
	StopInjection(ctx context.Context, id string) (client.Injection, error)
	// LabelValues lists the models and features the collector has seen,
	// for the form's pickers.
	LabelValues(ctx context.Context, name string, matchers []string, start, end time.Time) ([]string, error)
}

// choicesMsg carries the values a form field can pick from.
type choicesMsg struct {
	field int
	model string // the model the features belong to
	vals  []string
}

const (
	colID = iota
	colModel
	colFeature
	colKind
	colMag
	colState
	colEnds
	colRecords
	numCols
)

var columns = []common.Column{
	colID:      {Title: "ID", Width: 15, Priority: 5},
	colModel:   {Title: "MODEL", Width: 10, Flex: true, MaxWidth: 24},
	colFeature: {Title: "FEATURE", Width: 10, Priority: 1},
	colKind:    {Title: "KIND", Width: 7},
	colMag:     {Title: "MAG", Width: 5, Right: true},
	colState:   {Title: "STATE", Width: 6},
	colEnds:    {Title: "ENDS", Width: 9, Priority: 2},
	colRecords: {Title: "RECORDS", Width: 8, Priority: 3, Right: true},
}

// Form fields, in order.
const (
	fModel = iota
	fFeature
	fKind
	fMagnitude
	fDuration
	numFields
)

var fieldNames = [numFields]string{"model", "feature", "kind", "magnitude", "duration"}

type fetchedMsg struct {
	list []client.Injection
	err  error
	at   time.Time
}

type doneMsg struct {
	verb string
	inj  client.Injection
	err  error
}

// View is the Game day screen.
type View struct {
	common.Base
	c     common.Common
	api   API
	table *common.Table
	keys  keys.Gameday
	form  keys.InjectionForm

	list []client.Injection

	inForm  bool
	fields  [numFields]textinput.Model
	focus   int
	kind    int
	formErr string
	choices [numFields][]string // models seen, features of the model
	featFor string              // model whose features are in choices
	dialog  *confirm.Model
}

// New returns the Game day view reading from api.
func New(c common.Common, api API) *View {
	v := &View{
		Base: common.NewBase(c, "gameday", "Game day"), c: c, api: api, table: common.NewTable(c, columns),
		keys: keys.NewGameday(),
		form: keys.NewInjectionForm(),
	}
	for i := range v.fields {
		v.fields[i] = common.NewInput(c, "")
		v.fields[i].CharLimit = 64
	}
	v.fields[fMagnitude].SetValue("3")
	v.fields[fDuration].SetValue("5m")
	v.table.SetEmpty("loading injections…")
	return v
}

// Init starts the first fetch.
func (v *View) Init() tea.Cmd { return v.Refresh() }

// Refresh starts a fetch unless one is running.
func (v *View) Refresh() tea.Cmd {
	c, api := v.c, v.api
	return v.Fetch(fetchTimeout, func(ctx context.Context) tea.Msg {
		at := c.Now()
		list, err := api.Injections(ctx)
		return fetchedMsg{list: list, err: err, at: at}
	})
}

// Capturing reports that the form or the confirm dialog owns the keyboard.
func (v *View) Capturing() bool { return v.inForm || v.dialog.Capturing() }

// SetFilter keeps injections whose model, feature or kind contain f.
func (v *View) SetFilter(f string) {
	v.Base.SetFilter(f)
	v.rebuild()
}

// SetSize sets the body area.
func (v *View) SetSize(w, h int) {
	v.Base.SetSize(w, h)
	v.table.SetSize(w, max(h-1, 1))
	for i := range v.fields {
		v.fields[i].Width = max(min(w-20, 40), 8)
	}
	if v.dialog != nil {
		v.dialog.SetSize(w, h)
	}
}

func (v *View) configured() bool {
	return v.Loaded && !v.NotConfigured()
}

// KeyBindings lists the view's keys for help.
func (v *View) KeyBindings() []key.Binding {
	switch {
	case v.dialog.Capturing():
		return v.dialog.KeyBindings()
	case v.inForm:
		return v.form.ShortHelp()
	}
	b := v.table.KeyBindings()
	if v.configured() && !v.c.ReadOnly {
		b = append(b, v.keys.ShortHelp()...)
	}
	return b
}

// Update handles fetch and action results and keys.
func (v *View) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case fetchedMsg:
		v.list = common.Answer(&v.Base, msg.at, msg.list, msg.err, v.list)
		v.rebuild()
	case doneMsg:
		if msg.err != nil {
			v.SetStatus(msg.verb+" failed: "+msg.err.Error(), true)
			return nil
		}
		v.SetStatus(msg.verb+" "+msg.inj.ID+": "+describe(msg.inj), false)
		return v.Refresh()
	case choicesMsg:
		if msg.field == fFeature && msg.model != strings.TrimSpace(v.fields[fModel].Value()) {
			return nil // the model changed since
		}
		v.choices[msg.field] = msg.vals
	case tea.KeyMsg:
		return v.handleKey(msg)
	}
	return nil
}

// fetchChoices lists the values of label for series matching sel.
func (v *View) fetchChoices(field int, model, label, sel string) tea.Cmd {
	c, api := v.c, v.api
	return c.Call(fetchTimeout, func(ctx context.Context) tea.Msg {
		now := c.Now()
		vals, err := api.LabelValues(ctx, label, []string{sel}, now.Add(-time.Hour), now)
		if err != nil {
			vals = nil // the pickers are a convenience; typing still works
		}
		return choicesMsg{field: field, model: model, vals: vals}
	})
}

// featureChoices fetches the features of the model typed, once per model.
func (v *View) featureChoices() tea.Cmd {
	model := strings.TrimSpace(v.fields[fModel].Value())
	if model == "" || model == v.featFor {
		return nil
	}
	v.featFor, v.choices[fFeature] = model, nil
	return v.fetchChoices(fFeature, model, "feature", `mle_feature_drift_score{model=`+strconv.Quote(model)+`}`)
}

// pick moves a field to the next or previous value it can take.
func (v *View) pick(field, step int) {
	vals := v.choices[field]
	if len(vals) == 0 {
		return
	}
	cur := strings.TrimSpace(v.fields[field].Value())
	i := -1
	for k, s := range vals {
		if s == cur {
			i = k
		}
	}
	switch {
	case i < 0 && step > 0:
		i = 0
	case i < 0:
		i = len(vals) - 1
	default:
		i = (i + step + len(vals)) % len(vals)
	}
	v.fields[field].SetValue(vals[i])
	v.fields[field].CursorEnd()
}

func describe(in client.Injection) string {
	s := in.Kind + " " + formatMag(in.Magnitude) + " on " + in.Model
	if in.Feature != "" {
		s += "/" + in.Feature
	}
	if in.Duration != "" {
		s += " for " + in.Duration
	}
	return s
}

func formatMag(f float64) string { return strconv.FormatFloat(f, 'g', 4, 64) }

func (v *View) handleKey(msg tea.KeyMsg) tea.Cmd {
	if cmd, ok := confirm.Handle(&v.dialog, msg,
		func() { v.SetStatus("starting the injection…", false) },
		func() { v.SetStatus("cancelled: nothing was injected", false) }); ok {
		return cmd
	}
	if v.inForm {
		return v.updateForm(msg)
	}
	if !v.configured() || v.c.ReadOnly {
		v.table.Update(msg)
		return nil
	}
	switch {
	case key.Matches(msg, v.keys.New):
		v.inForm, v.formErr, v.focus = true, "", fModel
		return tea.Batch(v.focusField(), v.fetchChoices(fModel, "", "model", "mle_predictions_total"))
	case key.Matches(msg, v.keys.Stop):
		row, ok := v.table.Selected()
		if !ok {
			return nil
		}
		if row.Cells[colState] != "active" {
			v.SetStatus("injection "+row.Key+" has already ended", true)
			return nil
		}
		id, c, api := row.Key, v.c, v.api
		v.SetStatus("stopping "+id+"…", false)
		return c.Call(fetchTimeout, func(ctx context.Context) tea.Msg {
			inj, err := api.StopInjection(ctx, id)
			return doneMsg{verb: "stopped", inj: inj, err: err}
		})
	}
	v.table.Update(msg)
	return nil
}

func (v *View) focusField() tea.Cmd {
	for i := range v.fields {
		v.fields[i].Blur()
	}
	if v.focus == fKind {
		return nil
	}
	return v.fields[v.focus].Focus()
}

func (v *View) updateForm(msg tea.KeyMsg) tea.Cmd {
	k := v.form
	picker := v.focus == fModel || v.focus == fFeature
	switch {
	case key.Matches(msg, k.Cancel):
		v.inForm = false
		v.focusField()
		v.fields[v.focus].Blur()
		return nil
	case key.Matches(msg, k.Next):
		v.focus = (v.focus + 1) % numFields
		return tea.Batch(v.focusField(), v.featureChoices())
	case key.Matches(msg, k.Prev):
		v.focus = (v.focus + numFields - 1) % numFields
		return tea.Batch(v.focusField(), v.featureChoices())
	case key.Matches(msg, k.Start):
		if v.focus < numFields-1 {
			v.focus++
			return tea.Batch(v.focusField(), v.featureChoices())
		}
		return v.submit()
	case picker && key.Matches(msg, k.PickPrev):
		v.pick(v.focus, -1)
		return nil
	case picker && key.Matches(msg, k.PickNext):
		v.pick(v.focus, 1)
		return nil
	}
	if v.focus == fKind {
		switch {
		case key.Matches(msg, k.PickPrev, k.KindPrev):
			v.kind = (v.kind + len(Kinds) - 1) % len(Kinds)
		case key.Matches(msg, k.PickNext, k.KindNext):
			v.kind = (v.kind + 1) % len(Kinds)
		}
		return nil
	}
	var cmd tea.Cmd
	v.fields[v.focus], cmd = v.fields[v.focus].Update(msg)
	return cmd
}

// Request validates the form into a start request; the error names the
// field to fix.
func (v *View) Request() (client.InjectionRequest, error) {
	req := client.InjectionRequest{
		Model:    strings.TrimSpace(v.fields[fModel].Value()),
		Feature:  strings.TrimSpace(v.fields[fFeature].Value()),
		Kind:     Kinds[v.kind],
		Duration: strings.TrimSpace(v.fields[fDuration].Value()),
	}
	if req.Model == "" {
		return req, errors.New("model is empty")
	}
	if req.Feature == "" && req.Kind != "latency" && req.Kind != "errors" {
		return req, fmt.Errorf("feature is empty (a %s injection changes one feature)", req.Kind)
	}
	mag, err := strconv.ParseFloat(strings.TrimSpace(v.fields[fMagnitude].Value()), 64)
	if err != nil {
		return req, fmt.Errorf("magnitude %q is not a number", v.fields[fMagnitude].Value())
	}
	if (req.Kind == "nulls" || req.Kind == "swap" || req.Kind == "errors") && (mag < 0 || mag > 1) {
		return req, fmt.Errorf("magnitude %g: a %s injection takes a fraction 0..1", mag, req.Kind)
	}
	req.Magnitude = mag
	d, err := time.ParseDuration(req.Duration)
	if err != nil || d <= 0 {
		return req, fmt.Errorf("duration %q is not a positive duration like 5m", req.Duration)
	}
	return req, nil
}

func (v *View) submit() tea.Cmd {
	req, err := v.Request()
	if err != nil {
		v.formErr = err.Error()
		for i, n := range fieldNames {
			if strings.HasPrefix(v.formErr, n) {
				v.focus = i
			}
		}
		return v.focusField()
	}
	v.inForm, v.formErr = false, ""
	v.focusField()
	v.fields[v.focus].Blur()
	c, api := v.c, v.api
	start := func() tea.Msg {
		ctx, cancel := context.WithTimeout(c.Ctx, fetchTimeout)
		defer cancel()
		inj, err := api.StartInjection(ctx, req)
		return doneMsg{verb: "started", inj: inj, err: err}
	}
	what := req.Kind + " " + formatMag(req.Magnitude)
	if req.Feature != "" {
		what += " on feature " + req.Feature
	}
	v.dialog = confirm.New(v.c, "Inject a fault into "+req.Model+"?",
		"A "+what+" of "+req.Model+"'s live traffic for "+req.Duration+". Alerts may fire; stop it with x.",
		req.Model, start)
	v.dialog.SetSize(v.Width, v.Height)
	return nil
}

func (v *View) rebuild() {
	dash := v.c.DashFor()
	now := v.c.Now()
	rows := make([]common.Row, 0, len(v.list))
	for _, in := range v.list {
		if v.Filter != "" && !strings.Contains(strings.ToLower(in.Model+" "+in.Feature+" "+in.Kind), v.Filter) {
			continue
		}
		cells := make([]string, numCols)
		tones := make([]common.Tone, numCols)
		cells[colID] = in.ID
		cells[colModel] = in.Model
		if in.Version != "" {
			cells[colModel] += " " + in.Version
		}
		cells[colFeature] = in.Feature
		if in.Feature == "" {
			cells[colFeature] = dash
		}
		cells[colKind] = in.Kind
		cells[colMag] = formatMag(in.Magnitude)
		switch {
		case in.Active:
			cells[colState], tones[colState] = "active", common.ToneBad
			cells[colEnds] = "in " + common.FormatAge(in.EndsAt.Sub(now))
		case in.StoppedAt != nil && in.StoppedAt.Before(in.EndsAt):
			cells[colState], tones[colState] = "ended", common.ToneMuted
			cells[colEnds] = "stopped"
		default: // ran its whole duration (its StoppedAt is its end)
			cells[colState], tones[colState] = "ended", common.ToneMuted
			cells[colEnds] = common.FormatAge(now.Sub(in.EndsAt)) + " ago"
		}
		cells[colRecords] = strconv.FormatInt(in.Records, 10)
		rows = append(rows, common.Row{Key: in.ID, Cells: cells, Tones: tones})
	}
	none := "no injections yet · n starts one"
	if v.c.ReadOnly {
		none = "no injections"
	}
	v.table.SetEmpty(v.EmptyText(common.Empty{Items: "injections", Item: "injection", None: none}))
	v.table.SetRows(rows)
}

// View renders the injections, the form or the confirm dialog.
func (v *View) View() string {
	st := v.c.Styles
	if v.dialog.Capturing() {
		return v.dialog.View()
	}
	if v.Loaded && !v.configured() {
		lines := []string{
			st.Title.Render("Game day"),
			st.Muted.Render("fault injections into a model's live traffic, started and stopped from here"),
			"",
			st.Warn.Render(common.NotConfigured) + ": the collector does not serve " + Endpoint + " yet.",
		}
		// Wrapped at word boundaries: at 60 columns the reason would
		// otherwise lose its end.
		var wrapped []string
		for _, l := range lines {
			wrapped = append(wrapped, strings.Split(ansi.Wordwrap(l, max(v.Width, 1), ""), "\n")...)
		}
		return common.Body(wrapped, v.Width, v.Height)
	}
	if v.inForm {
		return v.formView()
	}
	var note string
	switch {
	case v.Status != "":
		note = v.StatusLine()
	case v.Err != nil:
		note = v.c.ErrorLine("injections fetch failed", v.Err)
	case v.Loaded:
		active := 0
		for _, in := range v.list {
			if in.Active {
				active++
			}
		}
		note = st.Muted.Render(strconv.Itoa(active) + " active · " + strconv.Itoa(len(v.list)-active) + " ended")
	}
	return v.Footnote(v.table.View(), note)
}

func (v *View) formView() string {
	st := v.c.Styles
	lines := []string{st.Title.Render("New injection"), ""}
	marker := "›"
	if v.c.ASCII {
		marker = ">"
	}
	for i, n := range fieldNames {
		m := "  "
		if i == v.focus {
			m = marker + " "
		}
		label := fmt.Sprintf("%s%-10s ", m, n)
		var val string
		if i == fKind {
			parts := make([]string, len(Kinds))
			for k, name := range Kinds {
				if k == v.kind {
					parts[k] = st.Table.Selected.Render("[" + name + "]")
				} else {
					parts[k] = " " + name + " "
				}
			}
			val = strings.Join(parts, "")
		} else {
			val = v.fields[i].View()
		}
		lines = append(lines, label+val)
	}
	pickHint := ""
	switch v.focus {
	case fModel:
		pickHint = v.arrows() + " picks from " + strconv.Itoa(len(v.choices[fModel])) + " models with predictions"
	case fFeature:
		pickHint = v.arrows() + " picks from " + strconv.Itoa(len(v.choices[fFeature])) + " features with drift scores"
	}
	if pickHint != "" {
		lines = append(lines, "", st.Muted.Render(pickHint))
	}
	lines = append(lines, "", st.Muted.Render(hint(Kinds[v.kind])))
	if v.formErr != "" {
		lines = append(lines, "", st.Error.Render(v.formErr))
	}
	return common.Body(lines, v.Width, v.Height)
}

// hint says what magnitude means for a kind (the collector's contract).
func hint(kind string) string {
	switch kind {
	case "shift":
		return "shift: magnitude in standard deviations of the feature's baseline"
	case "scale":
		return "scale: the feature's value is multiplied by magnitude"
	case "nulls":
		return "nulls: fraction 0..1 of records whose feature becomes null"
	case "swap":
		return "swap: fraction 0..1 of records whose category is replaced by another seen"
	case "latency":
		return "latency: latency is multiplied by magnitude (feature ignored)"
	case "errors":
		return "errors: fraction 0..1 of records that fail (feature ignored)"
	}
	return ""
}

// arrows names the left and right keys in hints: spelled out under
// --ascii, where the glyphs would become "<" and ">".
func (v *View) arrows() string {
	if v.c.ASCII {
		return "left/right"
	}
	return "←/→"
}
