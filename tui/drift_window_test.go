package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/tui/common"
)

// TestDriftTabShowsCurrentWindow checks the drift tab's open window (no
// window of the seed has closed, so the histogram says "open window")
// against what seedWindow sent, counted here from the records themselves.
func TestDriftTabShowsCurrentWindow(t *testing.T) {
	var amounts []float64
	missing := 0
	merchants := map[string]int{}
	for _, line := range bytes.Split(bytes.TrimSpace(seedWindow()), []byte("\n")) {
		var r struct {
			Features struct {
				Amount   *float64 `json:"amount"`
				Merchant string   `json:"merchant_category"`
			} `json:"features"`
		}
		require.NoError(t, json.Unmarshal(line, &r))
		if r.Features.Amount == nil {
			missing++
		} else {
			amounts = append(amounts, *r.Features.Amount)
		}
		merchants[r.Features.Merchant]++
	}
	above := 0
	for _, a := range amounts {
		if a > 500 { // the profile's max
			above++
		}
	}
	records := len(amounts) + missing

	s := newSession(t, alertsRecorded, 160, 48, "")
	s.waitFor("collector ready", "428ms") // the rows are in
	s.keys("enter")
	s.waitFor("Models › fraud", "data at 12:00:00")
	s.keys("2")
	s.waitFor(fmt.Sprintf("open window 11:57–12:02 · %d values, %d missing", len(amounts), missing),
		"above 500: "+common.FormatPercent(float64(above)/float64(len(amounts))))
	s.keys("down") // merchant_category
	s.waitFor("merchant_category v7 · 5 categories")
	screen := s.screen()
	// The profile: grocery 2000, fuel 1500, online 700, travel 500, other 300 of 5000.
	profile := []struct {
		name  string
		count int
	}{{"grocery", 2000}, {"fuel", 1500}, {"online", 700}, {"travel", 500}, {"other", 300}}
	var rows []string
	for _, l := range strings.Split(screen, "\n") {
		for _, p := range profile {
			if strings.HasPrefix(l, p.name+" ") {
				rows = append(rows, l)
			}
		}
	}
	require.Len(t, rows, len(profile), "one line per category:\n%s", screen)
	for i, p := range profile {
		assert.True(t, strings.HasPrefix(rows[i], p.name+" "), "the profile's most frequent first: %q", rows[i])
		base := common.FormatPercent(float64(p.count) / 5000)
		cur := common.FormatPercent(float64(merchants[p.name]) / float64(records))
		b, c, ok := strings.Cut(rows[i], " current ")
		require.True(t, ok, rows[i])
		assert.Contains(t, b, " "+base, "baseline share of %s", p.name)
		assert.True(t, strings.HasSuffix(strings.TrimSpace(c), " "+cur), "current share of %s: %q, want %s", p.name, c, cur)
	}
}
