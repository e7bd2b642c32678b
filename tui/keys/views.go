package keys

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
)

// Each view's own keys are declared here, one struct a view, so that what
// a key means in a view (r rolls back in Model detail, runs a step in a
// runbook) is read in one place, the help screen lists it from the same
// bindings the view matches with, and TestViewKeys checks them against the
// global keys and README's key table.

// Prompt are the keys of a one-line prompt or form while it owns the
// keyboard: enter does what Confirm's help says, esc cancels.
type Prompt struct {
	Confirm, Cancel key.Binding
}

// NewPrompt returns a prompt's keys; confirm names what enter does.
func NewPrompt(confirm string) Prompt {
	return Prompt{
		Confirm: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", confirm)),
		Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// ShortHelp implements help.KeyMap.
func (p Prompt) ShortHelp() []key.Binding { return []key.Binding{p.Confirm, p.Cancel} }

// FullHelp implements help.KeyMap.
func (p Prompt) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }

// Models are the Models view's own keys.
type Models struct {
	Open, Query key.Binding
}

// NewModels returns the Models view's bindings.
func NewModels() Models {
	return Models{
		Open:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "model detail")),
		Query: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "query model")),
	}
}

// ShortHelp implements help.KeyMap.
func (k Models) ShortHelp() []key.Binding { return []key.Binding{k.Open, k.Query} }

// FullHelp implements help.KeyMap.
func (k Models) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// Alerts are the Alerts view's own keys.
type Alerts struct {
	Detail, Runbook, Ack, Silence, Hide, Sort key.Binding
}

// NewAlerts returns the Alerts view's bindings.
func NewAlerts() Alerts {
	return Alerts{
		Detail:  key.NewBinding(key.WithKeys("enter", "d"), key.WithHelp("enter/d", "details")),
		Runbook: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "runbook")),
		Ack:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "ack")),
		Silence: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "silence")),
		Hide:    key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "hide shadow")),
		Sort:    key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "sort")),
	}
}

// ShortHelp implements help.KeyMap.
func (k Alerts) ShortHelp() []key.Binding {
	return []key.Binding{k.Detail, k.Runbook, k.Ack, k.Silence, k.Hide, k.Sort}
}

// FullHelp implements help.KeyMap.
func (k Alerts) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// Detail are the Model detail view's own keys.
type Detail struct {
	Rollback, Promote, Next, Prev, Jump, Chart, Record key.Binding
}

// NewDetail returns the Model detail view's bindings.
func NewDetail() Detail {
	return Detail{
		Rollback: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "roll back production")),
		Promote:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "promote selected version")),
		Next:     key.NewBinding(key.WithKeys("tab", "right", "l"), key.WithHelp("tab/→", "next tab")),
		Prev:     key.NewBinding(key.WithKeys("shift+tab", "left", "h"), key.WithHelp("shift+tab/←", "previous tab")),
		Jump:     key.NewBinding(key.WithKeys("1", "2", "3", "4", "5"), key.WithHelp("1-5", "overview/drift/shadow/versions/events")),
		Chart:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "drift: chart the feature in Query")),
		Record:   key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "drift: a sampled record's contributions")),
	}
}

// ShortHelp implements help.KeyMap: the actions first, since at 80
// columns the footer keeps only the first few and "r roll back" is what
// on-call opens the view for.
func (k Detail) ShortHelp() []key.Binding {
	return []key.Binding{k.Rollback, k.Promote, k.Next, k.Prev, k.Jump, k.Chart, k.Record}
}

// FullHelp implements help.KeyMap.
func (k Detail) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// Overview are the Overview view's own keys.
type Overview struct {
	Open key.Binding
}

// NewOverview returns the Overview view's bindings.
func NewOverview() Overview {
	return Overview{Open: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "model detail"))}
}

// ShortHelp implements help.KeyMap.
func (k Overview) ShortHelp() []key.Binding { return []key.Binding{k.Open} }

// FullHelp implements help.KeyMap.
func (k Overview) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// Record are the Record view's own keys.
type Record struct {
	Older, Newest, Shadow key.Binding
}

// NewRecord returns the Record view's bindings.
func NewRecord() Record {
	return Record{
		Older:  key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "an older record")),
		Newest: key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "the newest record")),
		Shadow: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "shadow/serving version's record")),
	}
}

// ShortHelp implements help.KeyMap.
func (k Record) ShortHelp() []key.Binding { return []key.Binding{k.Older, k.Newest, k.Shadow} }

// FullHelp implements help.KeyMap.
func (k Record) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// Query are the Query view's own keys.
type Query struct {
	Run, Toggle, Edit, Blur key.Binding
}

// NewQuery returns the Query view's bindings.
func NewQuery() Query {
	return Query{
		Run:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run query")),
		Toggle: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "table/chart")),
		Edit:   key.NewBinding(key.WithKeys("i", "e"), key.WithHelp("i/e", "edit query")),
		Blur:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "leave input")),
	}
}

// ShortHelp implements help.KeyMap.
func (k Query) ShortHelp() []key.Binding { return []key.Binding{k.Run, k.Toggle, k.Edit, k.Blur} }

// FullHelp implements help.KeyMap.
func (k Query) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// Timeline are the Timeline view's own keys.
type Timeline struct {
	Export key.Binding
}

// NewTimeline returns the Timeline view's bindings.
func NewTimeline() Timeline {
	return Timeline{Export: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export md/json"))}
}

// ShortHelp implements help.KeyMap.
func (k Timeline) ShortHelp() []key.Binding { return []key.Binding{k.Export} }

// FullHelp implements help.KeyMap.
func (k Timeline) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// Runbooks are the Runbooks view's own keys: Open in the list; in an
// open runbook the navigation keys scroll the text and Next, Prev and Run
// work its steps.
type Runbooks struct {
	Open                                                            key.Binding
	ScrollUp, ScrollDown, PageUp, PageDown, Top, Bottom, Next, Prev key.Binding
	Run                                                             key.Binding
}

// NewRunbooks returns the Runbooks view's bindings.
func NewRunbooks() Runbooks {
	nav := NewNav()
	k := Runbooks{
		Open:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open runbook")),
		ScrollUp:   nav.Up,
		ScrollDown: nav.Down,
		PageUp:     nav.PageUp,
		PageDown:   nav.PageDown,
		Top:        nav.Top,
		Bottom:     nav.Bottom,
		Next:       key.NewBinding(key.WithKeys("n", "tab"), key.WithHelp("n/tab", "next step")),
		Prev:       key.NewBinding(key.WithKeys("p", "shift+tab"), key.WithHelp("p/shift+tab", "previous step")),
		Run:        key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "run step")),
	}
	k.ScrollUp.SetHelp(nav.Up.Help().Key, "scroll up")
	k.ScrollDown.SetHelp(nav.Down.Help().Key, "scroll down")
	return k
}

// Reading lists the keys of an open runbook.
func (k Runbooks) Reading() []key.Binding {
	return []key.Binding{k.ScrollUp, k.ScrollDown, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Next, k.Prev, k.Run}
}

// ShortHelp implements help.KeyMap.
func (k Runbooks) ShortHelp() []key.Binding { return append([]key.Binding{k.Open}, k.Reading()...) }

// FullHelp implements help.KeyMap.
func (k Runbooks) FullHelp() [][]key.Binding { return [][]key.Binding{{k.Open}, k.Reading()} }

// Gameday are the Game day view's own keys.
type Gameday struct {
	New, Stop key.Binding
}

// NewGameday returns the Game day view's bindings.
func NewGameday() Gameday {
	return Gameday{
		New:  key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new injection")),
		Stop: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "stop selected")),
	}
}

// ShortHelp implements help.KeyMap.
func (k Gameday) ShortHelp() []key.Binding { return []key.Binding{k.New, k.Stop} }

// FullHelp implements help.KeyMap.
func (k Gameday) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// InjectionForm are the keys of the Game day view's new-injection form,
// which owns the keyboard while open. Pick is the help's one line for
// PickPrev and PickNext; KindPrev and KindNext also turn the kind, where
// no text is typed.
type InjectionForm struct {
	Next, Prev, Pick, PickPrev, PickNext, KindPrev, KindNext, Start, Cancel key.Binding
}

// NewInjectionForm returns the form's bindings.
func NewInjectionForm() InjectionForm {
	return InjectionForm{
		Next:     key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field")),
		Prev:     key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous field")),
		Pick:     key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "pick a value")),
		PickPrev: key.NewBinding(key.WithKeys("left"), key.WithHelp("←", "previous value")),
		PickNext: key.NewBinding(key.WithKeys("right"), key.WithHelp("→", "next value")),
		KindPrev: key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "previous kind")),
		KindNext: key.NewBinding(key.WithKeys("l", " "), key.WithHelp("l/space", "next kind")),
		Start:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start")),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// ShortHelp implements help.KeyMap: what the footer shows while the form
// is open.
func (k InjectionForm) ShortHelp() []key.Binding {
	return []key.Binding{k.Next, k.Pick, k.Start, k.Cancel}
}

// FullHelp implements help.KeyMap.
func (k InjectionForm) FullHelp() [][]key.Binding {
	return [][]key.Binding{k.ShortHelp(), {k.Prev, k.PickPrev, k.PickNext, k.KindPrev, k.KindNext}}
}

// ViewKeys is one keymap of a view, as the help, the conflict check and
// README's key table read it.
type ViewKeys struct {
	View string // the view's command name
	// Doc is the view's name in README's key table ("Model detail").
	Doc  string
	Keys help.KeyMap
	// Capturing marks a keymap in force only while a prompt or form owns
	// the keyboard (the global keys are off then); README describes those
	// in prose, not in the key table.
	Capturing bool
	// Overrides are the keys the keymap shares with Global or Nav on
	// purpose, each with why.
	Overrides map[string]string
}

// Why a view's enter is its own: Nav's Open is the generic "open".
const enterOpens = "enter opens what the view's rows are"

// Views lists every view's keymaps.
func Views() []ViewKeys {
	prompt := map[string]string{
		"enter": "the prompt owns the keyboard: enter confirms it",
		"esc":   "the prompt owns the keyboard: esc cancels it, not back",
	}
	return []ViewKeys{
		{View: "models", Doc: "Models", Keys: NewModels(), Overrides: map[string]string{"enter": enterOpens}},
		{View: "overview", Doc: "Overview", Keys: NewOverview(), Overrides: map[string]string{"enter": enterOpens}},
		{View: "record", Doc: "Record", Keys: NewRecord()},
		{View: "alerts", Doc: "Alerts", Keys: NewAlerts(), Overrides: map[string]string{"enter": enterOpens}},
		{View: "alerts", Doc: "Alerts", Keys: NewPrompt("silence"), Capturing: true, Overrides: prompt},
		{View: "model", Doc: "Model detail", Keys: NewDetail(), Overrides: map[string]string{"enter": "enter charts the drift tab's feature"}},
		{View: "query", Doc: "Query", Keys: NewQuery(), Overrides: map[string]string{
			"enter": "enter runs the expression",
			"esc":   "the input line owns the keyboard: esc leaves it; out of it esc is back",
		}},
		{View: "timeline", Doc: "Timeline", Keys: NewTimeline()},
		{View: "timeline", Doc: "Timeline", Keys: NewPrompt("write file"), Capturing: true, Overrides: prompt},
		{View: "runbooks", Doc: "Runbook", Keys: NewRunbooks(), Overrides: with(map[string]string{"enter": enterOpens},
			"an open runbook scrolls with the list's keys", "up", "k", "down", "j", "pgup", "b", "pgdown", "f", " ", "home", "g", "end", "G")},
		{View: "runbooks", Doc: "Runbook", Keys: NewPrompt("next"), Capturing: true, Overrides: prompt},
		{View: "gameday", Doc: "Game day", Keys: NewGameday()},
		{View: "gameday", Doc: "Game day", Keys: NewInjectionForm(), Capturing: true, Overrides: with(map[string]string{
			"enter": "the form owns the keyboard: enter goes to the next field, then starts",
			"esc":   "the form owns the keyboard: esc cancels it",
			" ":     "the form owns the keyboard: space turns the kind",
		}, "the form owns the keyboard: up and down move between fields", "up", "down")},
	}
}

// with adds keys, all overridden for one reason, to m.
func with(m map[string]string, why string, keys ...string) map[string]string {
	for _, k := range keys {
		m[k] = why
	}
	return m
}
