//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/drift"
	"github.com/mlectl/mlectl/predlog/baseline"
	"github.com/mlectl/mlectl/tui/models"
)

const (
	scaleAdmin     = "ops-secret-token-0123456789"
	scaleResponder = "oncall-secret-token-0123456789"
)

// clusterCollector is bin/collector in remote mode over a shared store,
// one collector of a two-collector cluster: fixed port
// and data dir, so it restarts as the same member after a kill -9.
type clusterCollector struct {
	t          *testing.T
	name, base string
	port       int
	dir        string
	config     string
	proc       *process
}

func (c *clusterCollector) start() {
	c.proc = start(c.t, binary(c.t, "collector"), "--listen", fmt.Sprintf("127.0.0.1:%d", c.port), "--data-dir", c.dir, "--config", c.config)
	waitHTTP(c.t, c.base+"/-/ready", 30*time.Second)
}

func (c *clusterCollector) kill9() {
	require.NoError(c.t, c.proc.cmd.Process.Signal(syscall.SIGKILL))
	_ = c.proc.cmd.Wait()
}

// asRemote is c seen through the remote-store helpers (pending, drained).
func (c *clusterCollector) asRemote() *remoteCollector {
	return &remoteCollector{t: c.t, base: c.base}
}

// startScaleCluster runs collector-a (owns demand) and collector-b (owns
// fraud) over be, with mirrored cluster: blocks; collector-b evaluates the
// drift rules of its model on series it reads back from be.
func startScaleCluster(t *testing.T, be metricsBackend) (a, b *clusterCollector) {
	cfgDir := t.TempDir()
	a = &clusterCollector{t: t, name: "collector-a", port: freePort(t), dir: t.TempDir()}
	b = &clusterCollector{t: t, name: "collector-b", port: freePort(t), dir: t.TempDir()}
	for _, c := range []*clusterCollector{a, b} {
		c.base = fmt.Sprintf("http://127.0.0.1:%d", c.port)
	}
	write := func(c, peer *clusterCollector, model, peerModel string) {
		c.config = filepath.Join(cfgDir, c.name+".yaml")
		require.NoError(t, os.WriteFile(c.config, []byte(fmt.Sprintf(`storage:
  metrics: remote
%[1]stokens:
  - {name: ops, role: admin, token: %[2]s}
  - {name: oncall, role: responder, token: %[3]s}
models:
  - {name: %[4]s, actuator: {kind: file, path: %[5]q}}
drift: {window: 10s}
rules:
  evaluation_interval: 1s
  drift:
    min_events: -1
    defaults: {feature_windows: 1, dataset_share: -1, skew_windows: -1, explanation_coverage: -1, label_coverage: -1, feature_freshness: "-1s"}
cluster:
  name: %[6]s
  url: %[7]s
  models: [%[4]s]
  ownership: list
  peers: [{name: %[8]s, url: %[9]s, models: [%[10]s]}]
  refresh: 1s
  timeout: 5s
`, remoteBlock(be), scaleAdmin, scaleResponder, model, filepath.Join(cfgDir, model+".json"), c.name, c.base, peer.name, peer.base, peerModel)), 0o600))
	}
	write(a, b, "demand", "fraud")
	write(b, a, "fraud", "demand")
	a.start()
	b.start()
	return a, b
}

// call sends one API request with a token and returns status, header, body.
func call(t *testing.T, method, u, token, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// records are n NDJSON prediction records of model/version at now with
// feature x drawn around mean.
func records(model, version string, n int, mean float64, rng *rand.Rand) string {
	var sb strings.Builder
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	for i := range n {
		fmt.Fprintf(&sb, `{"model":%q,"version":%q,"role":"production","request_id":"r%d-%d","ts":%q,"latency_ms":2,"features":{"x":%g},"prediction":1,"status":"ok"}`+"\n",
			model, version, time.Now().UnixNano(), i, ts, mean+rng.NormFloat64())
	}
	return sb.String()
}

// TestScaleTwoCollectorsOverVictoriaMetrics: VictoriaMetrics behind two
// collectors owning different models (storage.metrics: remote, cluster:).
func TestScaleTwoCollectorsOverVictoriaMetrics(t *testing.T) {
	runScaleScenario(t, startVM(t))
}

// runScaleScenario runs two collectors owning different models over be.
func runScaleScenario(t *testing.T, be metricsBackend) {
	a, b := startScaleCluster(t, be)
	ctx := context.Background()
	for _, m := range []string{"demand", "fraud"} {
		for _, body := range []string{
			`{"version":"v1","artifact_uri":"s3://m/v1","sha256":"` + strings.Repeat("a", 64) + `","baseline":"s3://d/train.parquet","stage":"production"}`,
			`{"version":"v2","artifact_uri":"s3://m/v2","sha256":"` + strings.Repeat("b", 64) + `","baseline":"s3://d/train.parquet","stage":"shadow"}`,
		} {
			code, _, resp := call(t, http.MethodPost, a.base+"/api/v1/models/"+m+"/versions", scaleAdmin, body)
			require.Equal(t, http.StatusCreated, code, string(resp))
		}
		code, _, resp := call(t, http.MethodPost, a.base+"/api/v1/models/"+m+"/promote", scaleAdmin, `{"version":"v2"}`)
		require.Equal(t, http.StatusOK, code, string(resp))
	}

	t.Run("every model is visible from either collector's API and console", func(t *testing.T) {
		for _, c := range []*clusterCollector{a, b} {
			cl, err := client.New(c.base)
			require.NoError(t, err)
			ms, err := cl.Models(ctx)
			require.NoError(t, err)
			owners := map[string]string{}
			for _, m := range ms {
				require.NotNil(t, m.Collector, m.Name)
				owners[m.Name] = m.Collector.Name
			}
			assert.Equal(t, map[string]string{"demand": "collector-a", "fraud": "collector-b"}, owners, c.name)
		}
		// The owner series are in the store, one per model.
		require.Eventually(t, func() bool { return backendSeries(t, be, `mle_model_owner`) == 2 }, 30*time.Second, 200*time.Millisecond)
		cl, err := client.New(a.base)
		require.NoError(t, err)
		snap := models.Fetch(ctx, cl, time.Now())
		var names []string
		for _, m := range snap.Models {
			names = append(names, m.Name)
			assert.Empty(t, m.OwnerDown, m.Name)
		}
		assert.ElementsMatch(t, []string{"demand", "fraud"}, names, "the console's models view on collector-a")
	})

	t.Run("a rollback through collector-a of collector-b's model is performed and audited by collector-b", func(t *testing.T) {
		code, h, body := call(t, http.MethodPost, a.base+"/api/v1/models/fraud/rollback", scaleResponder, `{"reason":"drift on x"}`)
		require.Equal(t, http.StatusOK, code, string(body))
		assert.Equal(t, "collector-b", h.Get("Mlectl-Served-By"))
		audited := func(c *clusterCollector) int {
			code, _, body := call(t, http.MethodGet, c.base+"/api/v1/audit", scaleAdmin, "")
			require.Equal(t, http.StatusOK, code, string(body))
			return strings.Count(string(body), `"/api/v1/models/fraud/rollback"`)
		}
		assert.Equal(t, 1, audited(b), "collector-b audited the rollback")
		assert.Zero(t, audited(a), "collector-a did not")
		cl, err := client.New(b.base)
		require.NoError(t, err)
		st, err := cl.Model(ctx, "fraud")
		require.NoError(t, err)
		assert.Equal(t, "v1", st.Production)
	})

	t.Run("the drift alert fires from series read back from the store", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		base := make([]float64, 5000)
		for i := range base {
			base[i] = rng.NormFloat64()
		}
		p, err := baseline.FromFrame("fraud", "v1", &drift.Frame{Rows: len(base), Columns: []*drift.Column{{Name: "x", DType: drift.DTypeFloat, Values: base}}}, nil, time.Now())
		require.NoError(t, err)
		raw, err := p.Marshal()
		require.NoError(t, err)
		cl, err := client.New(a.base) // through a: stored on fraud's owner
		require.NoError(t, err)
		require.NoError(t, cl.PutBaseline(ctx, "fraud", "v1", raw))
		// Records go to each model's owner; shifted by 3 standard deviations.
		deadline := time.Now().Add(90 * time.Second)
		fired := false
		for time.Now().Before(deadline) && !fired {
			code, _, body := call(t, http.MethodPost, b.base+"/api/v1/predictions", "", records("fraud", "v1", 200, 3, rng))
			require.Equal(t, http.StatusOK, code, string(body))
			code, _, body = call(t, http.MethodPost, a.base+"/api/v1/predictions", "", records("demand", "v1", 50, 0, rng))
			require.Equal(t, http.StatusOK, code, string(body))
			fired = backendSeries(t, be, `ALERTS{alertname="FeatureDrift",model="fraud",collector="collector-b"}`) > 0
			time.Sleep(500 * time.Millisecond)
		}
		require.True(t, fired, "FeatureDrift for fraud never reached %s", be.name())
		t.Logf("FeatureDrift for fraud in %s %s after the baseline", be.name(), time.Since(deadline.Add(-90*time.Second)).Round(time.Second))
		assert.Positive(t, backendSeries(t, be, `mle_feature_drifted{model="fraud",collector="collector-b"} == 1`), "collector-b's drift series are in %s", be.name())
		assert.Zero(t, backendSeries(t, be, `ALERTS{alertname="FeatureDrift",collector="collector-a"}`), "collector-a evaluates no rules of collector-b's model")
		// The console on collector-a shows fraud's traffic and drift, read
		// from the store (its records went to collector-b only). rate()
		// needs two samples of the counter in the store: a store that
		// raises the alert quickly (Mimir: ~16 s) may hold one so far.
		var fraud *models.Model
		require.Eventually(t, func() bool {
			code, _, body := call(t, http.MethodPost, b.base+"/api/v1/predictions", "", records("fraud", "v1", 50, 3, rng))
			require.Equal(t, http.StatusOK, code, string(body))
			snap := models.Fetch(ctx, cl, time.Now())
			for i := range snap.Models {
				if snap.Models[i].Name == "fraud" {
					fraud = &snap.Models[i]
				}
			}
			return fraud != nil && fraud.PredRate > 0 && fraud.Drift > 0
		}, 30*time.Second, 500*time.Millisecond, "fraud's prediction rate and drifted share on collector-a's console, from %s", be.name())
		code, _, body := call(t, http.MethodPost, b.base+"/api/v1/predictions", "", records("demand", "v1", 1, 0, rng))
		assert.Equal(t, http.StatusBadRequest, code, "records of collector-a's model are refused by collector-b")
		assert.Contains(t, string(body), "owned by collector collector-a")
	})

	t.Run("kill -9 of collector-b during ingest: every acknowledged sample reaches the store", func(t *testing.T) {
		var w writer
		stop := make(chan struct{})
		done := w.run(func() string { return b.base }, 0, stop, true)
		require.Eventually(t, func() bool { w.mu.Lock(); defer w.mu.Unlock(); return len(w.acked) >= 100 }, 60*time.Second, 10*time.Millisecond)
		b.kill9()
		close(stop)
		<-done
		// While collector-b is down, collector-a keeps serving its own
		// model and names fraud's owner as down.
		cl, err := client.New(a.base)
		require.NoError(t, err)
		ms, err := cl.Models(ctx)
		require.NoError(t, err)
		for _, m := range ms {
			assert.Equal(t, m.Name == "demand", m.Collector.Reachable, m.Name)
		}
		for _, m := range models.Fetch(ctx, cl, time.Now()).Models {
			assert.Equal(t, map[string]string{"demand": "", "fraud": "collector-b"}[m.Name], m.OwnerDown, "the console on collector-a: %s", m.Name)
		}
		b.start()
		b.asRemote().waitDrained(60 * time.Second)
		requireAllAcknowledged(t, be, &w)
		assert.Positive(t, backendSeries(t, be, `count_over_time(e2e_fwd{collector="collector-b"}[1d])`))
		assert.Zero(t, backendSeries(t, be, `count_over_time(e2e_fwd{collector!="collector-b"}[1d])`), "every e2e_fwd series carries collector=collector-b")
	})
}
