//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"github.com/mlectl/mlectl/internal/testutil"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSSHResponderRollsBackWithOpenSSH runs `mlectl demo --ssh` and the
// real OpenSSH client in tmux with the demo's printed key (a responder,
// demo-oncall): the staged incident fires FeatureDrift, the responder
// opens its runbook and rolls demand back through the step after typing
// the model's name; the audit log and the exported timeline name
// "demo-oncall via ssh-gateway", not the gateway alone.
func TestSSHResponderRollsBackWithOpenSSH(t *testing.T) {
	for _, tool := range []string{"tmux", "ssh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (apt-get install tmux openssh-client): %v", tool, err)
		}
	}
	mlectl := binary(t, "mlectl")
	demoPort, sshPort := freePort(t), freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", demoPort)
	out := &testutil.SyncBuffer{}
	demo := exec.Command(mlectl, "demo", "--headless", "--listen", fmt.Sprintf("127.0.0.1:%d", demoPort),
		"--ssh", fmt.Sprintf("127.0.0.1:%d", sshPort), "--incident-after", "5s")
	demo.Stdout, demo.Stderr = out, out
	require.NoError(t, demo.Start())
	t.Cleanup(func() {
		_ = demo.Process.Signal(os.Interrupt)
		exited := make(chan struct{})
		go func() { _ = demo.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = demo.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("demo output:\n%s", out.String())
		}
	})
	waitHTTP(t, base+"/-/ready", 60*time.Second)
	keyLine := regexp.MustCompile(`as demo-oncall \(responder\); demo private key (\S+)\n  (ssh -t -p \d+ .*)\n`)
	var m []string
	require.Eventually(t, func() bool {
		m = keyLine.FindStringSubmatch(out.String())
		return m != nil
	}, 30*time.Second, 100*time.Millisecond, "the demo printed no key: %s", out)
	key, sshCommand := m[1], m[2]

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	for !alertFiringAt(t, base, "FeatureDrift") {
		select {
		case <-ctx.Done():
			t.Fatalf("FeatureDrift never fired")
		case <-time.After(time.Second):
		}
	}

	// The printed command, as a user would paste it.
	tm := tmux{t: t, session: fmt.Sprintf("mlectl-ssh-responder-%d", sshPort)}
	tm.run("new-session", "-d", "-s", tm.session, "-x", "120", "-y", "36", sshCommand+" -o LogLevel=ERROR")
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", tm.session).Run() })
	tm.waitScreen(30*time.Second, "Models", "collector ready", "demand", "fraud", "ranker")
	tm.keys(":", "alerts", "Enter")
	tm.waitScreen(20*time.Second, "Alerts", "FeatureDrift", "feature-drift")
	tm.keys("/")
	tm.typeText("FeatureDrift demand")
	tm.keys("Enter")
	tm.waitScreen(10*time.Second, "/FeatureDrift demand")
	tm.keys("Enter")
	tm.waitScreen(10*time.Second, "SERIES (", "LABELS", "RELATED EVENTS")
	tm.keys("r")
	tm.waitScreen(20*time.Second, "Runbook feature-drift", "STEPS", "[rollback]", "model=demand")
	tm.keys("r")
	tm.waitScreen(10*time.Second, "Rollback demand: v12 → v11?", "Type demand to confirm")
	tm.typeText("demand")
	tm.keys("Enter")
	tm.waitScreen(30*time.Second, "step 5 (rollback): rollback demand → v11")
	tm.keys("q")

	// What the responder did carries the key's name, through the gateway.
	run := func(args ...string) string {
		t.Helper()
		b, err := exec.Command("ssh", append(sshArgs(sshPort, key), append([]string{"127.0.0.1"}, args...)...)...).CombinedOutput()
		require.NoError(t, err, "ssh %v: %s", args, b)
		return string(b)
	}
	md := run("timeline", "export", "--model", "demand", "--from", "-1h", "--format", "md")
	assert.Contains(t, md, "rollback demand: v12 → v11")
	assert.Contains(t, md, "runbook feature-drift step 5")
	var rollbackRow string
	for _, line := range strings.Split(md, "\n") {
		if strings.Contains(line, "rollback demand: v12 → v11") {
			rollbackRow = line
		}
	}
	assert.Contains(t, rollbackRow, "demo-oncall via ssh-gateway", "the timeline names who rolled back:\n%s", md)
	audit := run("audit", "list")
	assert.Regexp(t, `demo-oncall via ssh-gateway.*(rollback|runbooks/feature-drift/steps/5)`, audit)
}
