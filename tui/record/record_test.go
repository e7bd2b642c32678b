package record

import (
	"context"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/common"
	"github.com/mlectl/mlectl/tui/styles"
)

// versions answers as the collector does for a model serving v12 with v13
// in shadow: a version, else the role (serving by default), picks the
// record. asked is what the view asked for last.
type versions struct{ asked [2]string }

func (f *versions) SampleRecord(_ context.Context, model, version, role string, at time.Time, _ time.Duration) (*client.PredictionRecord, error) {
	f.asked = [2]string{version, role}
	rec := &client.PredictionRecord{Model: model, Version: "v12", Role: "production", TS: at, Status: "ok",
		Explanations: map[string]float64{"temp": 1}}
	if version == "v13" || role == "shadow" {
		rec.Version, rec.Role = "v13", "shadow"
	}
	return rec, nil
}

func run(t *testing.T, v *View, cmd tea.Cmd) {
	t.Helper()
	require.NotNil(t, cmd)
	v.Update(cmd())
}

// s switches to the other side of what is on screen: from a shadow
// record (also one opened by its version, as e on a shadow drift row
// does) to the serving version's, and back.
func TestShadowKeySwitchesSides(t *testing.T) {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	f := &versions{}
	v := New(common.Common{Ctx: context.Background(), Styles: styles.New(r), Now: time.Now, ASCII: true}, f)
	v.SetSize(80, 24)
	s := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("s")}

	run(t, v, v.Open("demand v13", nil))
	assert.Equal(t, [2]string{"v13", ""}, f.asked)
	assert.Contains(t, v.View(), "demand v13 · shadow (not served)")
	assert.Contains(t, v.View(), "s the serving version's")

	run(t, v, v.Update(s))
	assert.Equal(t, [2]string{"", ""}, f.asked, "the serving version's: the collector's default")
	assert.Contains(t, v.View(), "demand v12 · serving (production)")
	assert.Contains(t, v.View(), "s the shadow's")

	run(t, v, v.Update(s))
	assert.Equal(t, [2]string{"", "shadow"}, f.asked)
	assert.Contains(t, v.View(), "demand v13 · shadow (not served)")

	run(t, v, v.Open("demand", nil))
	assert.Equal(t, [2]string{"", ""}, f.asked, "a model opened afresh shows its serving version")
}
