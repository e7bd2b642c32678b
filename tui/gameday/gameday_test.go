package gameday

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/internal/viewtest"
	"github.com/mlectl/mlectl/tui/styles"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeAPI answers the view's calls from fixed data and records what the
// view asked to change.
type fakeAPI struct {
	list    []client.Injection
	listErr error
	labels  map[string][]string // label name → values
	started []client.InjectionRequest
	stopped []string
	fetches int
}

func (f *fakeAPI) Injections(context.Context) ([]client.Injection, error) {
	f.fetches++
	return f.list, f.listErr
}

func (f *fakeAPI) StartInjection(_ context.Context, req client.InjectionRequest) (client.Injection, error) {
	f.started = append(f.started, req)
	return client.Injection{ID: "inj-new", Model: req.Model, Feature: req.Feature, Kind: req.Kind, Magnitude: req.Magnitude, Duration: req.Duration, Active: true}, nil
}

func (f *fakeAPI) StopInjection(_ context.Context, id string) (client.Injection, error) {
	f.stopped = append(f.stopped, id)
	for _, in := range f.list {
		if in.ID == id {
			return in, nil
		}
	}
	return client.Injection{}, fmt.Errorf("injection %s not found", id)
}

func (f *fakeAPI) LabelValues(_ context.Context, name string, _ []string, _, _ time.Time) ([]string, error) {
	return f.labels[name], nil
}

func plain(readOnly bool) common.Common {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return common.Common{Ctx: context.Background(), Styles: styles.New(r), Now: func() time.Time { return now }, ReadOnly: readOnly}
}

func drain(t *testing.T, v *View, cmd tea.Cmd) {
	t.Helper()
	viewtest.Drain(t, v, cmd)
}

func press(t *testing.T, v *View, keys ...string) {
	t.Helper()
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "tab":
			msg = tea.KeyMsg{Type: tea.KeyTab}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "right":
			msg = tea.KeyMsg{Type: tea.KeyRight}
		case "left":
			msg = tea.KeyMsg{Type: tea.KeyLeft}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "backspace":
			msg = tea.KeyMsg{Type: tea.KeyBackspace}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		drain(t, v, v.Update(msg))
	}
}

func typeText(t *testing.T, v *View, s string) {
	t.Helper()
	for _, r := range s {
		drain(t, v, v.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}}))
	}
}

func clearField(t *testing.T, v *View, n int) {
	t.Helper()
	for range n {
		press(t, v, "backspace")
	}
}

func seeded() []client.Injection {
	stopped := now.Add(-20 * time.Minute)
	return []client.Injection{
		{ID: "inj-2", Model: "fraud", Version: "v7", Feature: "amount", Kind: "shift", Magnitude: 3, Duration: "5m",
			StartedAt: now.Add(-time.Minute), EndsAt: now.Add(4 * time.Minute), Active: true, Records: 120},
		{ID: "inj-1", Model: "churn", Feature: "tenure", Kind: "nulls", Magnitude: 0.2, Duration: "10m",
			StartedAt: now.Add(-25 * time.Minute), EndsAt: now.Add(-15 * time.Minute), StoppedAt: &stopped, Records: 40},
		{ID: "inj-0", Model: "demand", Kind: "latency", Magnitude: 2, Duration: "5m",
			StartedAt: now.Add(-2 * time.Hour), EndsAt: now.Add(-115 * time.Minute), StoppedAt: ptr(now.Add(-115 * time.Minute))},
	}
}

func ptr[T any](v T) *T { return &v }

func loaded(t *testing.T, api *fakeAPI, readOnly bool, w, h int) *View {
	t.Helper()
	v := New(plain(readOnly), api)
	v.SetSize(w, h)
	drain(t, v, v.Init())
	require.Equal(t, 1, api.fetches)
	return v
}

func TestViewAfterFetch(t *testing.T) {
	tests := []struct {
		name     string
		api      *fakeAPI
		readOnly bool
		filter   string
		want     []string
		notWant  []string
		keys     []string // help keys offered
		stale    bool     // the last update stays unset: nothing was fetched
	}{
		{
			name: "rows, states and counts",
			api:  &fakeAPI{list: seeded()},
			want: []string{"fraud v7", "amount", "active", "in 4m", "churn", "stopped", "demand", "ended", "1h ago", "1 active · 2 ended"},
			keys: []string{"n", "x"},
		},
		{
			name:    "filter keeps matching injections",
			api:     &fakeAPI{list: seeded()},
			filter:  "CHURN",
			want:    []string{"churn", "tenure"},
			notWant: []string{"fraud", "demand"},
			keys:    []string{"n", "x"},
		},
		{
			name:   "filter with no match says so",
			api:    &fakeAPI{list: seeded()},
			filter: "ranker",
			want:   []string{"no injection matches /ranker"},
			keys:   []string{"n", "x"},
		},
		{
			name: "empty list invites a first injection",
			api:  &fakeAPI{},
			want: []string{"no injections yet · n starts one", "0 active · 0 ended"},
			keys: []string{"n", "x"},
		},
		{
			name:     "read-only offers no actions",
			api:      &fakeAPI{},
			readOnly: true,
			want:     []string{"no injections", "0 active · 0 ended"},
			notWant:  []string{"n starts one"},
		},
		{
			name:    "not configured names the endpoint",
			api:     &fakeAPI{listErr: fmt.Errorf("GET %s: %w", Endpoint, client.ErrNotConfigured)},
			want:    []string{"Game day", "not configured", Endpoint},
			notWant: []string{"active ·"},
		},
		{
			name:  "fetch failure is shown",
			api:   &fakeAPI{listErr: errors.New("connection refused")},
			want:  []string{"injections fetch failed: connection refused"},
			keys:  []string{"n", "x"},
			stale: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := loaded(t, tc.api, tc.readOnly, 100, 12)
			if tc.filter != "" {
				v.SetFilter(tc.filter)
			}
			out := v.View()
			assert.Len(t, strings.Split(out, "\n"), 12, "the view fills its height exactly:\n%s", out)
			for _, s := range tc.want {
				assert.Contains(t, out, s)
			}
			for _, s := range tc.notWant {
				assert.NotContains(t, out, s)
			}
			var keys []string
			for _, b := range v.KeyBindings() {
				if k := b.Keys(); len(k) > 0 && (k[0] == "n" || k[0] == "x") {
					keys = append(keys, k[0])
				}
			}
			assert.Equal(t, tc.keys, keys, "action keys offered")
			if tc.stale {
				assert.True(t, v.LastUpdate().IsZero(), "a failed fetch is not an update")
			} else {
				assert.Equal(t, now, v.LastUpdate().UTC())
			}
		})
	}
}

func TestStop(t *testing.T) {
	tests := []struct {
		name        string
		keys        []string
		wantStopped []string
		wantStatus  string
	}{
		{"x stops the selected active injection", []string{"x"}, []string{"inj-2"}, "stopped inj-2: shift 3 on fraud/amount for 5m"},
		{"x on an ended injection refuses", []string{"down", "x"}, nil, "injection inj-1 has already ended"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakeAPI{list: seeded()}
			v := loaded(t, api, false, 100, 12)
			press(t, v, tc.keys...)
			assert.Equal(t, tc.wantStopped, api.stopped)
			assert.Contains(t, v.View(), tc.wantStatus)
			if tc.wantStopped != nil {
				assert.Equal(t, 2, api.fetches, "a stop refetches the list")
			}
		})
	}
}

func TestReadOnlyKeysChangeNothing(t *testing.T) {
	api := &fakeAPI{list: seeded()}
	v := loaded(t, api, true, 100, 12)
	press(t, v, "n", "x")
	assert.False(t, v.Capturing(), "no form in read-only mode")
	assert.Empty(t, api.stopped)
	assert.NotContains(t, v.View(), "New injection")
}

func TestFormStartsAfterConfirm(t *testing.T) {
	api := &fakeAPI{list: seeded(), labels: map[string][]string{
		"model":   {"churn", "fraud"},
		"feature": {"amount", "merchant"},
	}}
	v := loaded(t, api, false, 100, 20)
	press(t, v, "n")
	require.True(t, v.Capturing())
	out := v.View()
	assert.Contains(t, out, "New injection")
	assert.Contains(t, out, "picks from 2 models with predictions")

	press(t, v, "right", "right") // churn, then fraud
	assert.Equal(t, "fraud", v.fields[fModel].Value())
	press(t, v, "tab") // to feature: its choices are fraud's
	assert.Contains(t, v.View(), "picks from 2 features with drift scores")
	press(t, v, "left") // wraps to the last feature
	assert.Equal(t, "merchant", v.fields[fFeature].Value())
	press(t, v, "tab", "right") // kind: shift → scale
	assert.Contains(t, v.View(), "[scale]")
	assert.Contains(t, v.View(), "scale: the feature's value is multiplied by magnitude")
	press(t, v, "tab")
	clearField(t, v, 1)
	typeText(t, v, "1.5")
	press(t, v, "enter", "enter") // magnitude → duration → submit
	require.NotNil(t, v.dialog, "submitting opens the confirm dialog")
	assert.Contains(t, v.View(), "Inject a fault into fraud?")
	assert.Empty(t, api.started, "nothing starts before the name is typed")

	typeText(t, v, "fraud")
	press(t, v, "enter")
	require.Len(t, api.started, 1)
	assert.Equal(t, client.InjectionRequest{Model: "fraud", Feature: "merchant", Kind: "scale", Magnitude: 1.5, Duration: "5m"}, api.started[0])
	assert.False(t, v.Capturing())
	assert.Contains(t, v.View(), "started inj-new: scale 1.5 on fraud/merchant for 5m")
	assert.Equal(t, 2, api.fetches, "a start refetches the list")
}

func TestFormCancel(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want string
	}{
		{"esc in the form closes it", []string{"esc"}, "1 active · 2 ended"},
		{"esc in the dialog starts nothing", []string{"enter", "esc"}, "cancelled: nothing was injected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakeAPI{list: seeded()}
			v := loaded(t, api, false, 100, 12)
			press(t, v, "n")
			typeText(t, v, "fraud")
			press(t, v, "tab")
			typeText(t, v, "amount")
			press(t, v, "tab", "tab", "tab") // kind, magnitude, duration
			press(t, v, tc.keys...)
			assert.False(t, v.Capturing())
			assert.Empty(t, api.started)
			assert.Contains(t, v.View(), tc.want)
		})
	}
}

func TestRequestNamesTheFieldToFix(t *testing.T) {
	tests := []struct {
		name                     string
		model, feature, mag, dur string
		kind                     int
		wantErr                  string
		wantFocus                int
	}{
		{"model empty", "", "amount", "3", "5m", 0, "model is empty", fModel},
		{"feature empty for shift", "fraud", "", "3", "5m", 0, "feature is empty (a shift injection changes one feature)", fFeature},
		{"magnitude not a number", "fraud", "amount", "lots", "5m", 0, `magnitude "lots" is not a number`, fMagnitude},
		{"nulls takes a fraction", "fraud", "amount", "2", "5m", 2, "magnitude 2: a nulls injection takes a fraction 0..1", fMagnitude},
		{"duration not a duration", "fraud", "amount", "3", "soon", 0, `duration "soon" is not a positive duration like 5m`, fDuration},
		{"duration not positive", "fraud", "amount", "3", "-1m", 0, `duration "-1m" is not a positive duration like 5m`, fDuration},
		{"latency needs no feature", "fraud", "", "2", "5m", 4, "", fModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := loaded(t, &fakeAPI{}, false, 100, 20)
			press(t, v, "n")
			v.fields[fModel].SetValue(tc.model)
			v.fields[fFeature].SetValue(tc.feature)
			v.fields[fMagnitude].SetValue(tc.mag)
			v.fields[fDuration].SetValue(tc.dur)
			v.kind = tc.kind
			_, err := v.Request()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.wantErr)
			v.focus = fDuration
			press(t, v, "enter")
			assert.Equal(t, tc.wantFocus, v.focus, "focus moves to the field to fix")
			assert.Contains(t, v.View(), tc.wantErr)
			assert.Nil(t, v.dialog)
		})
	}
}
