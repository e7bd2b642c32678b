//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tmux drives the real mlectl binary in a detached terminal.
type tmux struct {
	t       *testing.T
	session string
}

func (m tmux) run(args ...string) string {
	m.t.Helper()
	out, err := exec.Command("tmux", args...).CombinedOutput()
	require.NoError(m.t, err, "tmux %v: %s", args, out)
	return string(out)
}

func (m tmux) keys(keys ...string) {
	m.t.Helper()
	for _, k := range keys {
		m.run("send-keys", "-t", m.session, k)
		time.Sleep(200 * time.Millisecond)
	}
}

// typeText sends text literally (no key-name lookup).
func (m tmux) typeText(text string) {
	m.t.Helper()
	m.run("send-keys", "-t", m.session, "-l", text)
	time.Sleep(200 * time.Millisecond)
}

func (m tmux) screen() string { return m.run("capture-pane", "-p", "-t", m.session) }

// waitScreen polls the pane until it shows every one of want.
func (m tmux) waitScreen(within time.Duration, want ...string) string {
	m.t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := m.screen()
		missing := ""
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return s
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("the console never showed %q within %s; screen:\n%s", missing, within, s)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestDemoIncidentInTmux runs `mlectl demo` in tmux as a newcomer would,
// all inside the console: the staged incident fires FeatureDrift, the
// alerts view lists it, enter opens its runbook, the runbook's rollback
// step runs after the model's name is typed, and the timeline view exports
// a postmortem file that contains the rollback.
func TestDemoIncidentInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is needed for the console test (apt-get install tmux): %v", err)
	}
	mlectl := binary(t, "mlectl")
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	m := tmux{t: t, session: fmt.Sprintf("mlectl-e2e-%d", port)}
	m.run("new-session", "-d", "-s", m.session, "-x", "120", "-y", "36",
		fmt.Sprintf("%s demo --listen 127.0.0.1:%d --incident-after 5s --ascii", mlectl, port))
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", m.session).Run() })

	m.waitScreen(30*time.Second, "Models", "collector ready", "demand", "fraud", "ranker")

	// The incident: FeatureDrift fires for demand (two 30s drift windows).
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	for !alertFiringAt(t, base, "FeatureDrift") {
		select {
		case <-ctx.Done():
			t.Fatalf("FeatureDrift never fired; screen:\n%s", m.screen())
		case <-time.After(time.Second):
		}
	}
	m.keys(":", "alerts", "Enter")
	m.waitScreen(20*time.Second, "Alerts", "FeatureDrift", "feature-drift")

	// Only demand's FeatureDrift rows (the filter matches "NAME MODEL"),
	// enter opens the alert's details, r the runbook the alert links.
	m.keys("/")
	m.typeText("FeatureDrift demand")
	m.keys("Enter")
	m.waitScreen(10*time.Second, "/FeatureDrift demand")
	m.keys("Enter")
	m.waitScreen(10*time.Second, "SERIES (", "LABELS", "RELATED EVENTS")
	m.keys("r")
	m.waitScreen(20*time.Second, "Runbook feature-drift", "STEPS", "[rollback]", "model=demand")

	// The selected step is the rollback; a wrong name does nothing.
	m.keys("r")
	m.waitScreen(10*time.Second, "Rollback demand: v12 > v11?", "Type demand to confirm")
	m.typeText("fraud")
	m.keys("Enter")
	m.waitScreen(10*time.Second, "does not match demand; nothing was done")
	m.keys("C-u")
	m.typeText("demand")
	m.keys("Enter")
	m.waitScreen(30*time.Second, "step 5 (rollback): rollback demand > v11")

	file := filepath.Join(t.TempDir(), "postmortem.md")
	m.keys(":")
	m.typeText("timeline demand")
	m.keys("Enter")
	m.waitScreen(20*time.Second, "Timeline demand", "runbook_step", "newest first")
	m.keys("e")
	m.waitScreen(10*time.Second, "export to: ./timeline-")
	m.keys("C-u")
	m.typeText(file)
	m.keys("Enter")
	m.waitScreen(20*time.Second, "wrote "+file)

	md, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Contains(t, string(md), "rollback demand: v12 → v11")
	require.Contains(t, string(md), "FeatureDrift")
	require.Contains(t, string(md), "runbook feature-drift step 5")

	// The registry agrees: demand serves v11 again.
	resp, err := http.Get(base + "/api/v1/models/demand")
	require.NoError(t, err)
	defer resp.Body.Close()
	var model struct {
		Data struct {
			Production string `json:"production"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&model))
	require.Equal(t, "v11", model.Data.Production)

	m.keys("q")
}

func alertFiringAt(t *testing.T, base, alertname string) bool {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/alerts")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return false
	}
	for _, a := range body.Data.Alerts {
		if a.Labels["alertname"] == alertname && a.State == "firing" {
			return true
		}
	}
	return false
}
