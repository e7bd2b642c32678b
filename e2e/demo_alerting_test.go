//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Timing of the demo run, as on-call would live it: the staged incident a
// minute in, the rollback two minutes later, then eight minutes of
// watching the incident end.
const (
	demoIncidentAfter = time.Minute
	demoRollbackAt    = 3 * time.Minute
	demoWatchAfter    = 8 * time.Minute
	demoPoll          = 10 * time.Second
	demoPagesEndIn    = 6 * time.Minute
)

type polledAlert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// alertKey is an alert's identity: its sorted label set.
func alertKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q,", k, l[k])
	}
	return b.String()
}

func firingAlerts(t *testing.T, base string) []polledAlert {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/alerts")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var body struct {
		Data struct {
			Alerts []polledAlert `json:"alerts"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	var out []polledAlert
	for _, a := range body.Data.Alerts {
		if a.State == "firing" {
			out = append(out, a)
		}
	}
	return out
}

// TestDemoAlertingEndsWithTheRollback runs `mlectl demo --headless` for a
// full incident (incident at 1 min, rollback at 3 min, 8 more minutes) and
// polls the collector's alerts API every 10 s. A demo tuned as a real
// deployment: no alert ever fires on fraud or ranker (they have no
// incident), every page for demand resolves within 6 minutes of the
// rollback, and no alert fires twice (the firing count rises, then falls:
// no flapping). It logs the measured figures.
func TestDemoAlertingEndsWithTheRollback(t *testing.T) {
	if testing.Short() {
		t.Skip("an 11-minute demo run")
	}
	mlectl := binary(t, "mlectl")
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	started := time.Now()
	start(t, mlectl, "demo", "--headless", "--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--incident-after", demoIncidentAfter.String())
	waitHTTP(t, base+"/-/ready", 60*time.Second)

	type poll struct {
		at     time.Duration // since the demo started
		firing []polledAlert
	}
	var polls []poll
	var rolledBack time.Duration
	for elapsed := time.Duration(0); ; elapsed = time.Since(started) {
		if rolledBack == 0 && elapsed >= demoRollbackAt {
			resp, err := http.Post(base+"/api/v1/models/demand/rollback", "application/json",
				strings.NewReader(`{"reason":"e2e: temp drifted after the v12 rollout"}`))
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			rolledBack = time.Since(started)
		}
		polls = append(polls, poll{at: elapsed, firing: firingAlerts(t, base)})
		if rolledBack > 0 && elapsed >= rolledBack+demoWatchAfter {
			break
		}
		time.Sleep(demoPoll)
	}

	// Per alert: the polls it was firing in.
	type span struct {
		labels      map[string]string
		first, last time.Duration
		fired       int // times it went from not firing to firing
	}
	spans := map[string]*span{}
	prev := map[string]bool{}
	counts := make([]int, len(polls))
	for i, p := range polls {
		now := map[string]bool{}
		for _, a := range p.firing {
			k := alertKey(a.Labels)
			now[k] = true
			s := spans[k]
			if s == nil {
				s = &span{labels: a.Labels, first: p.at}
				spans[k] = s
			}
			if !prev[k] {
				s.fired++
			}
			s.last = p.at
		}
		prev, counts[i] = now, len(p.firing)
	}

	var pages []*span
	for _, s := range spans {
		m := s.labels["model"]
		assert.NotContains(t, []string{"fraud", "ranker"}, m, "an alert fired on %s, which has no incident: %v", m, s.labels)
		assert.Equal(t, 1, s.fired, "alert fired %d times (flapping): %v", s.fired, s.labels)
		if s.labels["severity"] == "page" {
			pages = append(pages, s)
		}
	}
	require.NotEmpty(t, pages, "the incident never paged")
	var lastPage time.Duration
	for _, p := range pages {
		assert.Less(t, p.last, rolledBack+demoPagesEndIn, "page still firing %s after the rollback: %v", p.last-rolledBack, p.labels)
		lastPage = max(lastPage, p.last)
	}
	// The count rises while the incident lasts, then falls: once it has
	// gone down it never goes up again.
	fell := false
	for i := 1; i < len(counts); i++ {
		if counts[i] < counts[i-1] {
			fell = true
		}
		assert.False(t, fell && counts[i] > counts[i-1], "firing count rose again after falling: %v", counts)
	}

	// Figures for the note.
	resp, err := http.Get(base + "/api/v1/events?" + url.Values{"model": {"demand"}, "from": {"-15m"}}.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	var evs struct {
		Data []struct {
			Kind string `json:"kind"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&evs))
	kinds := map[string]int{}
	for _, e := range evs.Data {
		kinds[e.Kind]++
	}
	firstPage := pages[0].first
	for _, p := range pages {
		firstPage = min(firstPage, p.first)
	}
	t.Logf("demo run: incident at %s, rollback at %s, watched until %s (%d polls)", demoIncidentAfter, rolledBack.Round(time.Second), polls[len(polls)-1].at.Round(time.Second), len(polls))
	t.Logf("firing count per poll: %v", counts)
	t.Logf("alerts that fired: %d, all on demand, each once; pages: %d, first firing at %s, last seen firing %s after the rollback",
		len(spans), len(pages), firstPage.Round(time.Second), (lastPage - rolledBack).Round(time.Second))
	for _, s := range spans {
		t.Logf("  %s %s/%s %s %s: firing %s..%s", s.labels["alertname"], s.labels["model"], s.labels["version"], s.labels["feature"], s.labels["severity"], s.first.Round(time.Second), s.last.Round(time.Second))
	}
	t.Logf("demand events in the run: %d %v", len(evs.Data), kinds)
	assert.Less(t, len(evs.Data), 60, "event volume of one incident")
}
