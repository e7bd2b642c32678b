package timeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/internal/viewtest"
	"github.com/mlectl/mlectl/tui/styles"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// call is one EventLog request the view made.
type call struct {
	model    string
	from, to time.Time
}

// fakeAPI answers EventLog from fixed events, oldest first as the
// collector does, keeping those of the model asked for.
type fakeAPI struct {
	evs   []events.Event
	err   error
	calls []call
}

func (f *fakeAPI) EventLog(_ context.Context, model string, from, to time.Time, _ int) ([]events.Event, error) {
	f.calls = append(f.calls, call{model, from, to})
	if f.err != nil {
		return nil, f.err
	}
	var out []events.Event
	for _, e := range f.evs {
		if model == "" || e.Model == model {
			out = append(out, e)
		}
	}
	return out, nil
}

func seeded() []events.Event {
	return []events.Event{
		{ID: "e1", Time: now.Add(-3 * time.Hour), Kind: events.KindDeploy, Model: "fraud", Version: "v7", Text: "deployed fraud v7"},
		{ID: "e2", Time: now.Add(-2 * time.Hour), Kind: events.KindAlertFiring, Model: "fraud", Text: "FeatureDrift firing"},
		{ID: "e3", Time: now.Add(-time.Hour), Kind: events.KindAnnotation, Text: "maintenance window", Actor: "ana"},
		{ID: "e4", Time: now.Add(-time.Minute), Kind: events.KindAlertFiring, Model: "churn", Text: "LatencySLO firing"},
	}
}

func plain() common.Common {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return common.Common{Ctx: context.Background(), Styles: styles.New(r), Now: func() time.Time { return now }}
}

func drain(t *testing.T, v *View, cmd tea.Cmd) {
	t.Helper()
	viewtest.Drain(t, v, cmd)
}

func press(t *testing.T, v *View, keys ...string) {
	t.Helper()
	for _, k := range keys {
		msg := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		}
		drain(t, v, v.Update(msg))
	}
}

func loaded(t *testing.T, api *fakeAPI) *View {
	t.Helper()
	v := New(plain(), api)
	v.SetSize(100, 10)
	drain(t, v, v.Init())
	require.Len(t, api.calls, 1)
	return v
}

func ids(evs []events.Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

func TestViewAfterFetch(t *testing.T) {
	tests := []struct {
		name    string
		api     *fakeAPI
		model   string // :timeline MODEL
		filter  string
		wantIDs []string
		want    []string
		notWant []string
	}{
		{
			name:    "newest first, all models",
			api:     &fakeAPI{evs: seeded()},
			wantIDs: []string{"e4", "e3", "e2", "e1"},
			want:    []string{"03-01 11:59:00", "alert_firing", "churn", "annotation", "(ana)", "deploy", "4 of 4 events · last 24h · all models · newest first"},
		},
		{
			name:    "one model",
			api:     &fakeAPI{evs: seeded()},
			model:   "fraud",
			wantIDs: []string{"e2", "e1"},
			want:    []string{"2 of 2 events · last 24h · fraud · newest first"},
			notWant: []string{"churn", "annotation"},
		},
		{
			name:    "filter on kind",
			api:     &fakeAPI{evs: seeded()},
			filter:  "ALERT_FIRING",
			wantIDs: []string{"e4", "e2"},
			want:    []string{"2 of 4 events"},
			notWant: []string{"deploy", "annotation"},
		},
		{
			name:    "filter with no match says so",
			api:     &fakeAPI{evs: seeded()},
			filter:  "ranker",
			wantIDs: []string{},
			want:    []string{"no event matches /ranker", "0 of 4 events"},
		},
		{
			name:    "no events",
			api:     &fakeAPI{},
			wantIDs: []string{},
			want:    []string{"no events in the last 24h", "0 of 0 events"},
		},
		{
			name:    "not configured",
			api:     &fakeAPI{err: fmt.Errorf("GET /api/v1/events: %w", client.ErrNotConfigured)},
			wantIDs: []string{},
			want:    []string{"timeline: not configured (the collector does not serve /api/v1/events)"},
			notWant: []string{"fetch failed", "events ·"},
		},
		{
			name:    "fetch failure",
			api:     &fakeAPI{err: errors.New("connection refused")},
			wantIDs: []string{},
			want:    []string{"events fetch failed: connection refused"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := New(plain(), tc.api)
			v.SetSize(100, 10)
			if tc.model != "" {
				drain(t, v, v.Open(tc.model, nil))
				assert.Equal(t, "Timeline "+tc.model, v.Title())
			} else {
				drain(t, v, v.Init())
			}
			require.Len(t, tc.api.calls, 1)
			got := tc.api.calls[0]
			assert.Equal(t, tc.model, got.model)
			assert.Equal(t, now.Add(-Window), got.from)
			assert.True(t, got.to.After(now), "the event recorded now is included")
			if tc.filter != "" {
				v.SetFilter(tc.filter)
			}
			assert.Equal(t, tc.wantIDs, ids(v.Events()))
			out := v.View()
			assert.Len(t, strings.Split(out, "\n"), 10, "the view fills its height exactly:\n%s", out)
			for _, s := range tc.want {
				assert.Contains(t, out, s)
			}
			for _, s := range tc.notWant {
				assert.NotContains(t, out, s)
			}
		})
	}
}

func TestAnswerForAnotherModelIsDropped(t *testing.T) {
	api := &fakeAPI{evs: seeded()}
	v := New(plain(), api)
	v.SetSize(100, 10)
	stale := v.Init() // the answer for all models, still in flight
	fresh := v.Open("churn", nil)
	require.NotNil(t, fresh, "opening another model refetches at once")
	drain(t, v, fresh)
	drain(t, v, stale)
	assert.Equal(t, []string{"e4"}, ids(v.Events()))
	assert.Contains(t, v.View(), "1 of 1 events · last 24h · churn")
}

func TestExport(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name       string
		path       string // typed over the proposed one; "" keeps it
		keys       []string
		wantStatus string
		wantFile   string
	}{
		{"markdown", filepath.Join(dir, "t.md"), []string{"enter"}, "(4 events)", filepath.Join(dir, "t.md")},
		{"json by extension", filepath.Join(dir, "t.json"), []string{"enter"}, "(4 events)", filepath.Join(dir, "t.json")},
		{"missing directory", filepath.Join(dir, "nope", "t.md"), []string{"enter"}, "export failed: directory " + filepath.Join(dir, "nope") + " does not exist", ""},
		{"empty path", " ", []string{"enter"}, "export cancelled: no path", ""},
		{"esc cancels", filepath.Join(dir, "never.md"), []string{"esc"}, "4 of 4 events", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := loaded(t, &fakeAPI{evs: seeded()})
			press(t, v, "e")
			require.True(t, v.Capturing())
			assert.Equal(t, "./timeline-20260301T120000Z.md", v.input.Value(), "proposed path")
			assert.Contains(t, v.View(), "export to: ./timeline-20260301T120000Z.md")
			v.input.SetValue(tc.path)
			press(t, v, tc.keys...)
			assert.False(t, v.Capturing())
			assert.Contains(t, v.View(), tc.wantStatus)
			if tc.wantFile == "" {
				assert.NoFileExists(t, filepath.Join(dir, "never.md"))
				return
			}
			b, err := os.ReadFile(tc.wantFile)
			require.NoError(t, err)
			require.NotEmpty(t, b)
			if filepath.Ext(tc.wantFile) == ".json" {
				assert.True(t, json.Valid(b), "json export is JSON: %s", b)
			}
			for _, s := range []string{"LatencySLO firing", "maintenance window", "deployed fraud v7"} {
				assert.Contains(t, string(b), s)
			}
		})
	}
}

func TestExportBeforeLoad(t *testing.T) {
	tests := []struct {
		name string
		api  *fakeAPI
		load bool
	}{
		{"not fetched yet", &fakeAPI{}, false},
		{"fetch failed", &fakeAPI{err: errors.New("connection refused")}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := New(plain(), tc.api)
			v.SetSize(100, 10)
			if tc.load {
				drain(t, v, v.Init())
			}
			press(t, v, "e")
			assert.False(t, v.Capturing())
			assert.Contains(t, v.View(), "nothing to export yet")
		})
	}
}

// Over SSH a file the console wrote would land on the server, not on the
// engineer's machine: the export is refused and names the command that
// writes to the user's own terminal instead.
func TestExportRefusedInRemoteSession(t *testing.T) {
	dir := t.TempDir()
	c := plain()
	c.RemoteSession = true
	api := &fakeAPI{evs: seeded()}
	v := New(c, api)
	v.SetSize(100, 10)
	drain(t, v, v.Init())
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(dir))
	t.Cleanup(func() { _ = os.Chdir(wd) })

	press(t, v, "e")
	assert.False(t, v.Capturing(), "no path prompt")
	press(t, v, "enter")
	assert.Contains(t, v.View(), "timeline export")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing written on the server")
}
