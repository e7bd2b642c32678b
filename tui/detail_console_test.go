package tui

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/tui/common"
)

// detailTabs are the model detail tabs with what each must show once its
// data arrived.
var detailTabs = []struct {
	key, name string
	want      []string
}{
	{"1", "overview", []string{"latency p95", "traffic /s"}},
	// The selected feature's baseline beside the seeded open window; the
	// counts are checked in TestDriftTabShowsCurrentWindow.
	{"2", "drift", []string{"amount", "previous_24h", "open window", "top bar"}},
	{"3", "shadow", []string{"not configured"}},
	{"4", "versions", []string{"production", "shadow"}},
	{"5", "events", []string{"looking at the upstream feature store"}},
}

func TestModelDetailView(t *testing.T) {
	for _, tab := range detailTabs {
		t.Run(tab.name, func(t *testing.T) {
			eachSize(t, func(t *testing.T, w, h int) {
				s := newSession(t, alertsRecorded, w, h, "")
				s.waitFor("collector ready", "428ms")
				s.keys("enter") // fraud, first by urgency
				s.waitFor("Models › fraud", "production v7", "data at 12:00:00")
				// Leave the overview first so that every tab is drawn
				// after the wait above consumed the first frames.
				s.keys("5")
				if tab.key != "5" {
					s.waitFor("[5 events]")
					s.keys(tab.key)
				}
				s.waitFor(tab.want...)
				screen := s.screen()
				checkGolden(t, screen, w, h)
				assert.Contains(t, screen, "["+tab.key+" "+tab.name+"]", "the tab bar marks the open tab")
			})
		})
	}
}

func TestModelCommandOpensDetail(t *testing.T) {
	s := openCommand(t, 80, 24, "model churn", "mlectl › churn", "production v3")
	s.keys("tab", "tab", "tab") // versions
	s.waitFor("[4 versions]")
	screen := s.screen()
	assert.Contains(t, screen, "v3")
	assert.NotContains(t, screen, "v7", "only churn's versions")
	lines := strings.Split(screen, "\n")
	assert.Contains(t, lines[len(lines)-2], "r roll back production", "the versions tab names its actions")
}

func TestModelDetailShadowReport(t *testing.T) {
	// Expected figures, from the seeded pairs: agreement at the 0.5
	// threshold, and the largest disagreement.
	prod, cand := shadowPairs()
	agree, top, topDiff := 0, -1, 0.0
	for i := range prod {
		if (prod[i] >= 0.5) == (cand[i] >= 0.5) {
			agree++
		}
		if d := math.Abs(prod[i] - cand[i]); d > topDiff {
			top, topDiff = i, d
		}
	}
	eachSize(t, func(t *testing.T, width, height int) {
		w := newWritableWithShadow(t)
		s := actSession(t, w, viewerToken, false, width, height, "")
		s.waitFor("collector ready")
		s.keys(":", "model fraud", "enter")
		s.waitFor("production v7", "data at 12:00:00")
		s.keys("3")
		s.waitFor("production v7 vs candidate v8", "top disagreements")
		screen := s.screen()
		checkGolden(t, screen, width, height)
		assert.Contains(t, screen, "40 pairs")
		assert.Contains(t, screen, "agreement "+common.FormatPercent(float64(agree)/float64(len(prod)))+" at threshold 0.5")
		lines := strings.Split(screen, "\n")
		i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "REQUEST") })
		require.GreaterOrEqual(t, i, 0)
		assert.Contains(t, lines[i+1], fmt.Sprintf("req-%03d", top), "largest disagreement first")
		assert.Contains(t, lines[i+1], common.FormatNumber(topDiff))
	})
}

func TestDriftRowOpensQuery(t *testing.T) {
	s := newSession(t, alertsRecorded, 100, 24, "")
	s.waitFor("collector ready", "428ms")
	s.keys(":", "model fraud", "enter")
	s.waitFor("production v7", "data at 12:00:00")
	s.keys("2")
	s.waitFor("[2 drift]", "amount")
	s.keys("enter") // amount, the highest score
	s.waitFor("fraud › Query", `feature="amount"`, "vector · 3 series")
	screen := s.screen()
	for _, method := range []string{`"ks"`, `"psi"`, `"wasserstein`} { // the legend cuts the last
		assert.Contains(t, screen, `method=`+method, "every method of the feature")
	}
}
