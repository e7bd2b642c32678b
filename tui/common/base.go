package common

import (
	"context"
	"errors"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mlectl/mlectl/client"
)

// Base is the plumbing every console view embeds, as gh-dash's sections
// embed section.BaseModel and soft-serve's pages common.Component: the
// body size, the `/` filter, when the data on screen was fetched, the
// refresh guard, the fetch's error ("not configured" included) and the
// status line of the last action. A view keeps only what is its own (its
// rows, its keys, its layout) and renders the shared states through Base,
// so "loading…", "not configured" and "no X matches /f" read the same in
// every view.
//
// The root model drives the refresh interval (one tick for the view on
// screen); Base keeps the in-flight guard, so a tick that comes while a
// fetch still runs is dropped rather than stacked.
type Base struct {
	// Width and Height are the body area the root gave the view.
	Width, Height int
	// Filter is the `/` filter in force, lower case ("" for none).
	Filter string
	// At is when the data on screen was fetched; zero before the first
	// answer. LastUpdate reports it and the header renders its age.
	At time.Time
	// Loaded is set by the first answer, error or not.
	Loaded bool
	// Err is the last fetch's error; it wraps client.ErrNotConfigured when
	// the collector does not serve the view's endpoint.
	Err error
	// Status is the outcome of the last action (ack, export, step run);
	// StatusBad shows it as an error.
	Status    string
	StatusBad bool

	c           Common
	name, title string
	inflight    bool
	seq         int
}

// NewBase returns the base of a view built with c: name is its command
// (`:name`), title its breadcrumb.
func NewBase(c Common, name, title string) Base { return Base{c: c, name: name, title: title} }

// Name is the view's command name.
func (b *Base) Name() string { return b.name }

// Title is the view's breadcrumb; views that name what they show (a
// model, a runbook) add to it.
func (b *Base) Title() string { return b.title }

// SetSize records the body area; views with a layout of their own call it
// first from their SetSize.
func (b *Base) SetSize(width, height int) { b.Width, b.Height = width, height }

// SetFilter records the `/` filter, lower case; views call it first from
// their SetFilter and then rebuild their rows.
func (b *Base) SetFilter(f string) { b.Filter = strings.ToLower(f) }

// LastUpdate is when the data on screen was fetched; zero before the
// first answer.
func (b *Base) LastUpdate() time.Time { return b.At }

// InFlight reports whether a fetch is running.
func (b *Base) InFlight() bool { return b.inflight }

// Capturing is false: a view without a text input never owns the keyboard.
func (b *Base) Capturing() bool { return false }

// Fetch starts fn as the view's fetch unless one is already in flight; a
// dropped refresh returns nil. fn runs off the update loop, bounded by
// timeout.
func (b *Base) Fetch(timeout time.Duration, fn func(ctx context.Context) tea.Msg) tea.Cmd {
	if b.inflight {
		return nil
	}
	return b.Refetch(timeout, func(ctx context.Context, _ int) tea.Msg { return fn(ctx) })
}

// Refetch starts a fetch now, in flight or not: fn gets the fetch's
// sequence number, which its answer carries back so that Current drops
// the answers of the fetches it superseded.
func (b *Base) Refetch(timeout time.Duration, fn func(ctx context.Context, seq int) tea.Msg) tea.Cmd {
	seq := b.Supersede()
	b.inflight = true
	return b.c.Call(timeout, func(ctx context.Context) tea.Msg { return fn(ctx, seq) })
}

// Supersede makes every fetch still running stale and returns the
// sequence number of what comes next (an answer the view got another way,
// e.g. read again after an ack).
func (b *Base) Supersede() int {
	b.seq++
	return b.seq
}

// Seq is the sequence number of the latest fetch.
func (b *Base) Seq() int { return b.seq }

// Current reports whether an answer carrying seq is from the latest fetch.
func (b *Base) Current(seq int) bool { return seq == b.seq }

// Forget lets the next Fetch start although one is in flight: the answer
// running is for something no longer on screen (another model) and the
// view drops it itself.
func (b *Base) Forget() { b.inflight = false }

// Answered records a fetch's answer: the guard opens, the view is loaded
// and Err is err. It reports whether the view should take the answer's
// data, taken at at: on success, and on ErrNotConfigured (the data is
// then empty and the age still moves on). On another error the view keeps
// the last good data and its age, and shows the error.
func (b *Base) Answered(at time.Time, err error) bool {
	b.inflight, b.Loaded, b.Err = false, true, err
	if err == nil || errors.Is(err, client.ErrNotConfigured) {
		b.At = at
		return true
	}
	return false
}

// Answer records a fetch's answer (see Answered) and returns the data the
// view shows next: data on success, none when the endpoint is not
// configured, and what it showed before (shown) on another error.
func Answer[T any](b *Base, at time.Time, data T, err error, shown T) T {
	var none T
	switch {
	case !b.Answered(at, err):
		return shown
	case err != nil:
		return none
	}
	return data
}

// Settled opens the guard without recording an answer: for views whose
// answer decides for itself whether it is data (the Models view waits
// for series, not for the registry's list).
func (b *Base) Settled() { b.inflight = false }

// NotConfigured reports whether the collector does not serve the view's
// endpoint.
func (b *Base) NotConfigured() bool { return errors.Is(b.Err, client.ErrNotConfigured) }

// Failed reports whether the last fetch failed for another reason than
// "not configured".
func (b *Base) Failed() bool { return b.Err != nil && !b.NotConfigured() }

// FetchFailed is the footnote of a failed fetch ("alerts fetch failed:
// …"), or "" when the last fetch did not fail.
func (b *Base) FetchFailed(what string) string {
	if !b.Failed() {
		return ""
	}
	return b.c.ErrorLine(what+" fetch failed", b.Err)
}

// SetStatus shows the outcome of an action in the status line.
func (b *Base) SetStatus(text string, bad bool) { b.Status, b.StatusBad = text, bad }

// StatusLine renders the status, red when bad, or "" when there is none.
func (b *Base) StatusLine() string {
	switch {
	case b.Status == "":
		return ""
	case b.StatusBad:
		return b.c.Styles.Error.Render(b.Status)
	}
	return b.c.Styles.StatusOK.Render(b.Status)
}

// Empty words what a view's table says when it has no rows.
type Empty struct {
	// Source and Endpoint name what is not configured: "runbooks",
	// "/api/v1/runbooks". Without an Endpoint "not configured" is not a
	// table state of the view.
	Source, Endpoint string
	// Failed is shown while the last fetch failed (it says why below).
	Failed string
	// Items names the rows while loading: "loading " + Items + "…".
	Items string
	// Item names one row for the filter: "no " + Item + " matches /f".
	Item string
	// None is the text of a loaded view with nothing to show.
	None string
}

// EmptyText picks a table's empty line, in the order every view uses:
// not configured, failed, loading, filtered out, none.
func (b *Base) EmptyText(e Empty) string {
	switch {
	case e.Endpoint != "" && b.NotConfigured():
		return e.Source + ": " + NotConfigured + " (the collector does not serve " + e.Endpoint + ")"
	case e.Failed != "" && b.Failed():
		return e.Failed
	case !b.Loaded:
		return "loading " + e.Items + "…"
	case b.Filter != "":
		return "no " + e.Item + " matches /" + b.Filter
	}
	return e.None
}

// Footnote renders body (a table's lines) with one note line at the
// bottom of the body area.
func (b *Base) Footnote(body, note string) string {
	pad := max(b.Height-2-strings.Count(body, "\n"), 0)
	return body + strings.Repeat("\n", pad+1) + Fit(note, b.Width)
}

// DataAge is the header's word for how old the data on screen is: "data
// 12s", or "no data yet" before the first answer (words, not a dash: in
// --ascii a "-" next to the "-" separator read "data - - URL").
func (c Common) DataAge(at time.Time) string {
	if at.IsZero() {
		return "no data yet"
	}
	return "data " + FormatAge(c.Now().Sub(at))
}
