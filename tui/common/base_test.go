package common

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
)

type answerMsg struct{ seq int }

// The guard drops a refresh while one runs; Refetch starts anyway and
// makes the running one's answer stale.
func TestBaseRefreshGuard(t *testing.T) {
	b := NewBase(plain(), "things", "Things")
	assert.Equal(t, "things", b.Name())
	assert.Equal(t, "Things", b.Title())
	fetch := func(context.Context) tea.Msg { return answerMsg{} }

	first := b.Fetch(time.Second, fetch)
	require.NotNil(t, first)
	assert.True(t, b.InFlight())
	assert.Nil(t, b.Fetch(time.Second, fetch), "a tick while the fetch runs is dropped")

	seq := b.Seq()
	second := b.Refetch(time.Second, func(_ context.Context, seq int) tea.Msg { return answerMsg{seq} })
	require.NotNil(t, second)
	assert.False(t, b.Current(seq), "the first fetch's answer is stale")
	assert.Equal(t, answerMsg{seq + 1}, second())
	assert.True(t, b.Current(seq+1))

	b.Answered(time.Unix(10, 0), nil)
	assert.False(t, b.InFlight())
	assert.NotNil(t, b.Fetch(time.Second, fetch), "the guard opens with the answer")
	b.Forget()
	assert.NotNil(t, b.Fetch(time.Second, fetch), "a forgotten fetch does not hold the guard")
}

// A failed fetch keeps the data and its age; "not configured" empties
// them and still moves the age on.
func TestBaseAnswer(t *testing.T) {
	t0, t1 := time.Unix(100, 0), time.Unix(200, 0)
	notConfigured := fmt.Errorf("GET /api/v1/x: %w", client.ErrNotConfigured)
	down := errors.New("connection refused")
	tests := []struct {
		name          string
		err           error
		want          []string
		wantAt        time.Time
		notConfigured bool
		failed        string
	}{
		{"success", nil, []string{"new"}, t1, false, ""},
		{"not configured", notConfigured, nil, t1, true, ""},
		{"failed", down, []string{"old"}, t0, false, "things fetch failed: connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBase(plain(), "things", "Things")
			assert.True(t, b.LastUpdate().IsZero())
			shown := Answer(&b, t0, []string{"old"}, nil, nil)
			shown = Answer(&b, t1, []string{"new"}, tc.err, shown)
			assert.Equal(t, tc.want, shown)
			assert.Equal(t, tc.wantAt, b.LastUpdate())
			assert.True(t, b.Loaded)
			assert.Equal(t, tc.notConfigured, b.NotConfigured())
			assert.Equal(t, tc.failed, b.FetchFailed("things"))
		})
	}
}

func TestBaseEmptyText(t *testing.T) {
	e := Empty{Source: "things", Endpoint: "/api/v1/things", Failed: "no things: the fetch failed",
		Items: "things", Item: "thing", None: "the collector has no things"}
	tests := []struct {
		name   string
		loaded bool
		err    error
		filter string
		empty  Empty
		want   string
	}{
		{"loading", false, nil, "", e, "loading things…"},
		{"loading, filtered", false, nil, "x", e, "loading things…"},
		{"none", true, nil, "", e, "the collector has no things"},
		{"filtered", true, nil, "Abc", e, "no thing matches /abc"},
		{"not configured", true, client.ErrNotConfigured, "abc", e, "things: not configured (the collector does not serve /api/v1/things)"},
		{"failed", true, errors.New("down"), "abc", e, "no things: the fetch failed"},
		{"failed, no failed text", true, errors.New("down"), "", Empty{Items: "things", None: "none"}, "none"},
		{"not configured, no endpoint", true, client.ErrNotConfigured, "", Empty{Items: "things", None: "none"}, "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBase(plain(), "things", "Things")
			b.Loaded, b.Err = tc.loaded, tc.err
			b.SetFilter(tc.filter)
			assert.Equal(t, tc.want, b.EmptyText(tc.empty))
		})
	}
}

// The footnote sits on the body's last line whatever the table's length,
// and the status line says an action's outcome.
func TestBaseFootnoteAndStatus(t *testing.T) {
	b := NewBase(plain(), "things", "Things")
	b.SetSize(20, 5)
	assert.Equal(t, "a\nb\n\n\nnote", b.Footnote("a\nb", "note"))
	assert.Equal(t, "a\nb\nc\nd\nnote", b.Footnote("a\nb\nc\nd", "note"))
	assert.Equal(t, "a\n\n\n\nthis note is too lo…", b.Footnote("a", "this note is too long for the width"))

	assert.Empty(t, b.StatusLine())
	b.SetStatus("wrote x.md", false)
	assert.Equal(t, "wrote x.md", b.StatusLine())
	b.SetStatus("export failed", true)
	assert.Equal(t, "export failed", b.StatusLine())
	assert.True(t, b.StatusBad)
}

func TestDataAge(t *testing.T) {
	c := plain()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c.Now = func() time.Time { return now }
	assert.Equal(t, "no data yet", c.DataAge(time.Time{}))
	assert.Equal(t, "data 12s", c.DataAge(now.Add(-12*time.Second)))
	assert.Equal(t, "data 3m", c.DataAge(now.Add(-3*time.Minute)))
	assert.False(t, strings.Contains(c.DataAge(time.Time{}), "-"), "words, not a dash")
}
