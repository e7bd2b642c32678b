package demo

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/server"
	"github.com/mlectl/mlectl/sim"
)

// opsToken is the admin token of ../server/testdata/collector.yaml.
const opsToken = "ops-secret-token-0123456789"

func collectorServerConfig(t *testing.T, dir string) server.Config {
	t.Helper()
	raw, err := os.ReadFile("../server/testdata/collector.yaml")
	require.NoError(t, err)
	cfg, err := collector.ParseConfigBytes(raw)
	require.NoError(t, err)
	return server.Config{Collector: cfg, DataDir: dir, Listen: "127.0.0.1:0"}
}

// demoServerConfig is the configuration Start assembles the demo's
// collector from.
func demoServerConfig(t *testing.T, dir string) server.Config {
	t.Helper()
	models, err := sim.DemoModels()
	require.NoError(t, err)
	d := &Demo{opts: Options{}.withDefaults(), Sim: sim.New(models, 1), URL: "http://127.0.0.1:1"}
	cfg, err := d.serverConfig(dir, "http://127.0.0.1:1"+routePath)
	require.NoError(t, err)
	cfg.Listen = "127.0.0.1:0"
	return cfg
}

func mountedRoutes(s *server.Server) []string {
	var out []string
	for _, r := range s.Mounted() {
		out = append(out, strings.TrimSpace(strings.Join(r.Methods, ",")+" "+r.Pattern)+" "+r.Role.String())
	}
	sort.Strings(out)
	return out
}

// TestDemoAndCollectorMountTheSameRoutes: the demo (Start, on its own data
// dir) and a collector assembled from a collector.yaml serve the same
// routes with the same roles, because both are server.Assemble.
func TestDemoAndCollectorMountTheSameRoutes(t *testing.T) {
	d, err := Start(context.Background(), Options{DataDir: t.TempDir(), IncidentAfter: time.Hour, Tick: 100 * time.Millisecond, Backfill: time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })

	col, err := server.Assemble(context.Background(), collectorServerConfig(t, t.TempDir()))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, col.Close()) })

	demoRoutes, colRoutes := mountedRoutes(d.srv), mountedRoutes(col)
	require.Greater(t, len(colRoutes), 70)
	assert.Equal(t, colRoutes, demoRoutes)
	assert.Len(t, d.srv.Routes(), len(col.Routes()))
}

// TestGameDayRestore: an injection acknowledged before the process went
// away without a graceful stop (Close without Run's shutdown, as after
// kill -9) is active again after the next Assemble on the same data dir,
// for a collector configuration and for the demo's; after a graceful stop
// it is over.
func TestGameDayRestore(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config func(t *testing.T, dir string) server.Config
		model  string
	}{
		{"collector", collectorServerConfig, "fraud"},
		{"demo", demoServerConfig, "demand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := server.Assemble(context.Background(), tc.config(t, dir))
			require.NoError(t, err)
			req := httptest.NewRequest(http.MethodPost, "/api/v1/gameday/injections",
				strings.NewReader(`{"model":"`+tc.model+`","kind":"latency","magnitude":4,"duration":"1h"}`))
			req.Header.Set("Authorization", "Bearer "+opsToken)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
			var started struct {
				Data struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &started))
			require.NotEmpty(t, started.Data.ID)
			require.NoError(t, s.Close())

			s, err = server.Assemble(context.Background(), tc.config(t, dir))
			require.NoError(t, err)
			inj, err := s.Injector.Get(context.Background(), started.Data.ID)
			require.NoError(t, err)
			assert.True(t, inj.Active, "the injection did not resume")
			assert.Equal(t, tc.model, inj.Model)

			// A graceful stop (Run's shutdown) ends it, and it stays ended.
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			_, err = s.Storage(ctx)
			require.NoError(t, err)
			cancel()
			require.NoError(t, <-done)
			require.NoError(t, s.Close())
			s, err = server.Assemble(context.Background(), tc.config(t, dir))
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, s.Close()) })
			inj, err = s.Injector.Get(context.Background(), started.Data.ID)
			require.NoError(t, err)
			assert.False(t, inj.Active, "a graceful stop did not end the injection")
			assert.NotNil(t, inj.StoppedAt)
		})
	}
}
