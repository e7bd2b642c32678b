package tui

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/x/exp/teatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
)

// clusterCollector is collector-a of a cluster on 127.0.0.1: the test
// collector behind it, with the merged alert state of a cluster whose
// collector-b is down (testdata/alerts_cluster_state.json); it records
// the acks and silences asked of it with their ?collector=.
type clusterCollector struct {
	mu    sync.Mutex
	calls []string
	url   string
}

func newClusterCollector(t *testing.T) *clusterCollector {
	t.Helper()
	state, err := os.ReadFile(filepath.Join("testdata", "alerts_cluster_state.json"))
	require.NoError(t, err)
	u, err := url.Parse(env.urls[alertsCollector])
	require.NoError(t, err)
	cc := &clusterCollector{}
	mux := http.NewServeMux()
	mux.Handle("/", httputil.NewSingleHostReverseProxy(u))
	mux.HandleFunc("GET /api/v1/alerts/state", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(state)
	})
	record := func(w http.ResponseWriter, r *http.Request) {
		cc.mu.Lock()
		cc.calls = append(cc.calls, r.URL.Path+"?"+r.URL.RawQuery)
		cc.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{}}`))
	}
	mux.HandleFunc("POST /api/v1/alerts/ack", record)
	mux.HandleFunc("POST /api/v1/silences", record)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	cc.url = hs.URL
	return cc
}

func clusterSession(t *testing.T, cc *clusterCollector, w, h int) *session {
	t.Helper()
	c, err := client.New(cc.url)
	require.NoError(t, err)
	cfg := testConfig(stableURL{c})
	cfg.Start = "alerts"
	return &session{t: t, tm: teatest.NewTestModel(t, New(t.Context(), cfg), teatest.WithInitialTermSize(w, h))}
}

// A cluster's alerts list: every collector's alerts, a COLLECTOR column,
// the same alert of two collectors on two rows, a collector that is down
// said on its rows and under the table.
func TestAlertListCluster(t *testing.T) {
	eachNarrowSize(t, func(t *testing.T, w, h int) {
		s := clusterSession(t, newClusterCollector(t), w, h)
		s.waitFor("collector ready", "CollectorDiskLow", "collector-b")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		rows := screen[strings.Index(screen, "STATE"):]
		assert.Equal(t, 2, strings.Count(rows, "CollectorDiskLow"), "one row per collector")
		if w >= 80 {
			assert.Contains(t, rows, "COLLECTOR")
			assert.Contains(t, rows, "collector-b (down)")
		}
	})
}

// Acks and silences of another collector's alert name it (?collector=).
func TestAlertActionsGoToTheAlertsCollector(t *testing.T) {
	cc := newClusterCollector(t)
	s := clusterSession(t, cc, 160, 48)
	s.waitFor("collector ready", "ModelErrorRateHigh")
	s.keys("a") // the first row: fraud's page, held by collector-b
	s.waitFor("acknowledged ModelErrorRateHigh")
	s.keys("s", "enter")
	s.waitFor("silenced ModelErrorRateHigh")
	_ = s.screen()
	cc.mu.Lock()
	defer cc.mu.Unlock()
	assert.Equal(t, []string{"/api/v1/alerts/ack?collector=collector-b", "/api/v1/silences?collector=collector-b"}, cc.calls)
}
