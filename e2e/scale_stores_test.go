//go:build e2e && e2escale

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// `make e2e-scale` (build tags e2e,e2escale; not in CI): the scenarios of
// `make e2e`'s VictoriaMetrics runs against Grafana Mimir in monolithic
// mode and Thanos (receive + query), built by `scripts/peers.sh scale`.

// storeBinary returns bin/name or fails naming the command that builds it.
func storeBinary(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing: run `scripts/peers.sh %s` (or `make e2e-scale`, which builds it)", p, name)
	}
	return p
}

// stopProcess sends SIGINT and waits up to within for the exit (then kills).
func stopProcess(t *testing.T, p *process, within time.Duration) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(within):
		t.Logf("%s did not exit %s after SIGINT: killed", filepath.Base(p.cmd.Path), within)
		_ = p.cmd.Process.Kill()
		<-done
	}
}

var peakRSS = regexp.MustCompile(`(?m)^VmHWM:\s+(\d+) kB`)

// logPeakRSS logs the peak resident memory of a running process.
func logPeakRSS(t *testing.T, what string, p *process) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return
	}
	if m := peakRSS.FindSubmatch(b); m != nil {
		var kb int
		fmt.Sscan(string(m[1]), &kb)
		t.Logf("%s peak RSS (VmHWM): %d MiB", what, kb/1024)
	}
}

// mimirTenant is the X-Scope-OrgID of every write and query.
const mimirTenant = "mlectl-e2e"

// mimir is Grafana Mimir in monolithic mode (-target=all) on 127.0.0.1,
// filesystem storage in a temp dir, rings in memory (one process).
type mimir struct {
	t                      *testing.T
	bin, dir               string
	http, grpc, memberlist int
	proc                   *process
}

func startMimir(t *testing.T) *mimir {
	m := &mimir{t: t, bin: storeBinary(t, "mimir"), dir: t.TempDir(), http: freePort(t), grpc: freePort(t), memberlist: freePort(t)}
	m.start()
	return m
}

// mimirIngestLines are Mimir's own counters of what its ingesters appended
// out of order or refused: the resends after a kill -9 show up here.
var mimirIngestLines = regexp.MustCompile(`(?m)^(cortex_ingester_tsdb_out_of_order_samples_appended_total|cortex_discarded_samples_total|cortex_ingester_ingested_samples_total)\{[^}]*\} \S+$`)

// logIngest logs Mimir's ingest counters, before it stops.
func (m *mimir) logIngest() {
	resp, err := http.Get(m.base() + "/metrics")
	if err != nil {
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range mimirIngestLines.FindAll(b, -1) {
		m.t.Logf("mimir: %s", l)
	}
}

func (m *mimir) name() string               { return "Mimir" }
func (m *mimir) base() string               { return fmt.Sprintf("http://127.0.0.1:%d", m.http) }
func (m *mimir) writeURL() string           { return m.base() + "/api/v1/push" }
func (m *mimir) queryURL() string           { return m.base() + "/prometheus" }
func (m *mimir) headers() map[string]string { return map[string]string{"X-Scope-OrgID": mimirTenant} }

// mimirArgs are the flags of the monolithic Mimir the scenarios need.
func mimirArgs(dir string, httpPort, grpcPort, memberlistPort int) []string {
	args := []string{
		"-target=all",
		"-auth.multitenancy-enabled=true",
		"-server.http-listen-address=127.0.0.1", fmt.Sprintf("-server.http-listen-port=%d", httpPort),
		"-server.grpc-listen-address=127.0.0.1", fmt.Sprintf("-server.grpc-listen-port=%d", grpcPort),
		"-memberlist.bind-addr=127.0.0.1", fmt.Sprintf("-memberlist.bind-port=%d", memberlistPort),
		"-log.level=warn",
		"-blocks-storage.backend=filesystem",
		"-blocks-storage.filesystem.dir=" + filepath.Join(dir, "blocks"),
		"-blocks-storage.tsdb.dir=" + filepath.Join(dir, "tsdb"),
		"-blocks-storage.bucket-store.sync-dir=" + filepath.Join(dir, "tsdb-sync"),
		"-compactor.data-dir=" + filepath.Join(dir, "compactor"),
		"-ruler-storage.backend=filesystem",
		"-ruler-storage.filesystem.dir=" + filepath.Join(dir, "rules"),
		// One ingester and one store-gateway: no replication.
		"-ingester.ring.replication-factor=1",
		"-store-gateway.sharding-ring.replication-factor=1",
		"-ingester.ring.min-ready-duration=0s",
		// Queriers answer the frontend at its instance address: the
		// first non-loopback interface unless set, where queries hang.
		"-query-frontend.instance-addr=127.0.0.1",
		// The writer's samples are an hour old and a collector resends
		// up to a second of them after a kill -9: both are out of order
		// for the ingester's head, refused without this window.
		"-ingester.out-of-order-time-window=3h",
		// The default tenant limit (10 000 samples/s, burst 200 000)
		// answers 429 to the drain after the 60-s outage (~1M samples).
		"-distributor.ingestion-rate-limit=10000000",
		"-distributor.ingestion-burst-size=20000000",
	}
	for _, ring := range []string{"ingester.ring", "distributor.ring", "compactor.ring", "store-gateway.sharding-ring", "ruler.ring", "query-scheduler.ring"} {
		args = append(args, "-"+ring+".store=inmemory", "-"+ring+".instance-addr=127.0.0.1")
	}
	return args
}

func (m *mimir) start() {
	began := time.Now()
	m.proc = start(m.t, m.bin, mimirArgs(m.dir, m.http, m.grpc, m.memberlist)...)
	p := m.proc
	m.t.Cleanup(func() { // runs before start's cleanup stops p
		if p.cmd.ProcessState == nil {
			m.logIngest()
			logPeakRSS(m.t, "mimir", p)
		}
	})
	waitHTTP(m.t, m.base()+"/ready", 120*time.Second)
	// Ready is not yet queryable: wait for the query path too.
	waitQueryable(m.t, m)
	m.t.Logf("mimir ready in %s", time.Since(began).Round(100*time.Millisecond))
}

func (m *mimir) stop() {
	m.logIngest()
	logPeakRSS(m.t, "mimir", m.proc)
	stopProcess(m.t, m.proc, 60*time.Second)
}

// waitQueryable polls the store's query API until it answers a query.
func waitQueryable(t *testing.T, be metricsBackend) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, be.queryURL()+"/api/v1/query?query=vector(1)", nil)
		for k, v := range be.headers() {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: query API not answering within 60 s: %s", be.name(), last)
}

func TestScaleMimir(t *testing.T) {
	t.Run("two collectors over one Mimir", func(t *testing.T) {
		runScaleScenario(t, startMimir(t))
	})
	t.Run("Mimir stopped for 60 s under ingest", func(t *testing.T) {
		runBackendOutage(t, startMimir(t))
	})
}

// thanos is Thanos Receive (remote write into its TSDB, store API) and
// Thanos Query (Prometheus API over the receiver's store API) on 127.0.0.1.
// stop and start act on the receiver, the part that holds the data.
type thanos struct {
	t                                     *testing.T
	bin, dir                              string
	rcvHTTP, rcvGRPC, rcvWrite, qHTTP, qG int
	receive, query                        *process
}

func startThanos(t *testing.T) *thanos {
	th := &thanos{t: t, bin: storeBinary(t, "thanos"), dir: t.TempDir(),
		rcvHTTP: freePort(t), rcvGRPC: freePort(t), rcvWrite: freePort(t), qHTTP: freePort(t), qG: freePort(t)}
	th.start()
	began := time.Now()
	th.query = start(t, th.bin, "query",
		fmt.Sprintf("--http-address=127.0.0.1:%d", th.qHTTP), fmt.Sprintf("--grpc-address=127.0.0.1:%d", th.qG),
		fmt.Sprintf("--endpoint=127.0.0.1:%d", th.rcvGRPC),
		"--query.replica-label=replica", "--log.level=warn")
	waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/-/ready", th.qHTTP), 60*time.Second)
	waitThanosStore(t, th)
	t.Logf("thanos query ready in %s", time.Since(began).Round(100*time.Millisecond))
	t.Cleanup(func() { logPeakRSS(t, "thanos query", th.query) })
	return th
}

func (th *thanos) name() string { return "Thanos" }
func (th *thanos) writeURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/api/v1/receive", th.rcvWrite)
}
func (th *thanos) queryURL() string           { return fmt.Sprintf("http://127.0.0.1:%d", th.qHTTP) }
func (th *thanos) headers() map[string]string { return nil }

func (th *thanos) start() {
	began := time.Now()
	th.receive = start(th.t, th.bin, "receive",
		"--tsdb.path="+th.dir,
		fmt.Sprintf("--http-address=127.0.0.1:%d", th.rcvHTTP), fmt.Sprintf("--grpc-address=127.0.0.1:%d", th.rcvGRPC),
		fmt.Sprintf("--remote-write.address=127.0.0.1:%d", th.rcvWrite),
		`--label=replica="0"`,
		// As Mimir: hour-old samples and resends after a kill -9.
		"--tsdb.out-of-order.time-window=3h",
		"--log.level=warn")
	waitHTTP(th.t, fmt.Sprintf("http://127.0.0.1:%d/-/ready", th.rcvHTTP), 60*time.Second)
	th.t.Logf("thanos receive ready in %s", time.Since(began).Round(100*time.Millisecond))
	p := th.receive
	th.t.Cleanup(func() { // runs before start's cleanup stops p
		if p.cmd.ProcessState == nil {
			logPeakRSS(th.t, "thanos receive", p)
		}
	})
	if th.query != nil {
		waitThanosStore(th.t, th)
	}
}

func (th *thanos) stop() {
	logPeakRSS(th.t, "thanos receive", th.receive)
	stopProcess(th.t, th.receive, 60*time.Second)
}

// waitThanosStore waits until Query lists the receiver as a healthy store:
// before that its answers are empty, not errors.
func waitThanosStore(t *testing.T, th *thanos) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", th.rcvGRPC)
	require.Eventually(t, func() bool {
		code, _, body := call(t, http.MethodGet, th.queryURL()+"/api/v1/stores", "", "")
		return code == http.StatusOK && strings.Contains(string(body), addr) && !strings.Contains(string(body), `"lastError":"`)
	}, 60*time.Second, 200*time.Millisecond, "thanos query never listed the receiver %s", addr)
}

func TestScaleThanos(t *testing.T) {
	t.Run("two collectors over Thanos receive + query", func(t *testing.T) {
		runScaleScenario(t, startThanos(t))
	})
	t.Run("Thanos receive stopped for 60 s under ingest", func(t *testing.T) {
		runBackendOutage(t, startThanos(t))
	})
}
