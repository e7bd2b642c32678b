package metaapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/audit"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/metaapi"
	"github.com/mlectl/mlectl/registry"
)

const (
	adminToken     = "adm-0123456789"
	responderToken = "rsp-0123456789"
	viewerToken    = "vwr-0123456789"
)

var testTokens = auth.Config{Tokens: []auth.TokenSpec{
	{Name: "alice-admin", Token: adminToken, Role: "admin"},
	{Name: "bob-oncall", Token: responderToken, Role: "responder"},
	{Name: "grafana", Token: viewerToken, Role: "viewer"},
}}

type env struct {
	svc *metaapi.Service
	srv *httptest.Server
	t   *testing.T
}

func newEnv(t *testing.T, cfg auth.Config) *env {
	t.Helper()
	svc, err := metaapi.Open(context.Background(), metaapi.Config{Dir: t.TempDir(), Auth: cfg})
	require.NoError(t, err)
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, svc.Close())
	})
	return &env{svc: svc, srv: srv, t: t}
}

type answer struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	code      int
	header    http.Header
}

func (e *env) call(method, path, token string, body any) answer {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, raw := testutil.Send(e.t, req)
	var a answer
	require.NoError(e.t, json.Unmarshal(raw, &a), "body: %s", raw)
	a.code, a.header = resp.StatusCode, resp.Header
	return a
}

func (e *env) mustOK(method, path, token string, body, out any) {
	e.t.Helper()
	a := e.call(method, path, token, body)
	require.Truef(e.t, a.code/100 == 2, "%s %s: %d %s", method, path, a.code, a.Error)
	if out != nil {
		require.NoError(e.t, json.Unmarshal(a.Data, out))
	}
}

func sha(c byte) string { return strings.Repeat(string(c), 64) }

// setupModel registers v1 (production), v2 (shadow, then promoted so that
// v1 is the rollback target) and v3 (archived) with actuator act.
func (e *env) setupModel(name string, act actuator.Config) {
	e.mustOK("PUT", "/api/v1/models/"+name, adminToken, metaapi.ModelSpec{Owner: "risk-team", Actuator: act}, nil)
	for _, v := range []registry.Version{
		{Version: "v1", ArtifactURI: "s3://models/" + name + "/v1", SHA256: sha('a'), Baseline: "s3://data/train-2026-10.parquet", Stage: "production",
			Metrics: map[string]float64{"auc": 0.91}},
		{Version: "v2", ArtifactURI: "s3://models/" + name + "/v2", SHA256: sha('b'), Baseline: "s3://data/train-2026-11.parquet", Stage: "shadow",
			Metrics: map[string]float64{"auc": 0.93}},
		{Version: "v3", ArtifactURI: "s3://models/" + name + "/v3", SHA256: sha('c'), Baseline: "s3://data/train-2026-11.parquet"},
	} {
		e.mustOK("POST", "/api/v1/models/"+name+"/versions", adminToken, v, nil)
	}
	e.mustOK("POST", "/api/v1/models/"+name+"/versions/v3/archive", adminToken, struct{}{}, nil)
	e.mustOK("POST", "/api/v1/models/"+name+"/promote", adminToken, metaapi.ActionBody{Version: "v2"}, nil)
}

func (e *env) state(name string) registry.ModelState {
	var st registry.ModelState
	e.mustOK("GET", "/api/v1/models/"+name, "", nil, &st)
	return st
}

func stages(st registry.ModelState) map[string]registry.Stage {
	out := map[string]registry.Stage{}
	for _, v := range st.Versions {
		out[v.Version] = v.Stage
	}
	return out
}

func TestRegistryRegisterListShow(t *testing.T) {
	e := newEnv(t, testTokens)
	routing := filepath.Join(t.TempDir(), "routing.json")
	e.setupModel("fraud", actuator.Config{Kind: "file", Path: routing})

	var models []registry.ModelState
	e.mustOK("GET", "/api/v1/models", viewerToken, nil, &models)
	require.Len(t, models, 1)
	st := models[0]
	assert.Equal(t, "fraud", st.Name)
	assert.Equal(t, "v2", st.Production)
	assert.Equal(t, []string{"v1"}, st.ProductionHistory)
	assert.Equal(t, map[string]registry.Stage{"v1": "none", "v2": "production", "v3": "archived"}, stages(st))
	assert.Equal(t, 0.91, st.Versions[0].Metrics["auc"])
	assert.Equal(t, "alice-admin", st.Versions[0].Owner, "owner defaults to the registering token")

	var vs []registry.Version
	e.mustOK("GET", "/api/v1/models/fraud/versions", "", nil, &vs)
	require.Len(t, vs, 3)
	assert.Equal(t, sha('b'), vs[1].SHA256)

	tests := []struct {
		name    string
		path    string
		body    any
		code    int
		message string
	}{
		{"duplicate version", "/api/v1/models/fraud/versions", registry.Version{Version: "v1", ArtifactURI: "s3://x", SHA256: sha('d')}, 409, "already registered"},
		{"bad sha256", "/api/v1/models/fraud/versions", registry.Version{Version: "v9", ArtifactURI: "s3://x", SHA256: "abc"}, 400, "field sha256"},
		{"missing artifact", "/api/v1/models/fraud/versions", registry.Version{Version: "v9", SHA256: sha('d')}, 400, "field artifact_uri"},
		{"unknown field", "/api/v1/models/fraud/versions", map[string]any{"version": "v9", "artefact": "x"}, 400, "artefact"},
		{"unknown model", "/api/v1/models/nope/versions", registry.Version{Version: "v1", ArtifactURI: "s3://x", SHA256: sha('d')}, 404, "not registered"},
		{"second production", "/api/v1/models/fraud/versions", registry.Version{Version: "v9", ArtifactURI: "s3://x", SHA256: sha('d'), Stage: "production"}, 422, "already has production"},
		{"bad actuator", "/api/v1/models/other", metaapi.ModelSpec{Actuator: actuator.Config{Kind: "ftp"}}, 400, "actuator.kind"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if strings.HasPrefix(tc.name, "bad actuator") {
				method = "PUT"
			}
			a := e.call(method, tc.path, adminToken, tc.body)
			assert.Equal(t, tc.code, a.code, a.Error)
			assert.Contains(t, a.Error, tc.message)
		})
	}
	// None of the refused registrations changed anything.
	assert.Len(t, e.state("fraud").Versions, 3)
}

func TestRollbackThroughEachActuator(t *testing.T) {
	dir := t.TempDir()
	var webhookBody atomic.Value
	controller := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		webhookBody.Store(b)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer controller.Close()
	execOut := filepath.Join(dir, "exec.out")
	routing := filepath.Join(dir, "routing.json")

	tests := []struct {
		kind  string
		cfg   actuator.Config
		check func(t *testing.T)
	}{
		{"webhook", actuator.Config{Kind: "webhook", URL: controller.URL + "/rollouts", Headers: map[string]string{"X-Team": "risk"}}, func(t *testing.T) {
			var req actuator.Request
			require.NoError(t, json.Unmarshal(webhookBody.Load().([]byte), &req))
			assert.Equal(t, "rollback", req.Action)
			assert.Equal(t, "v2", req.FromVersion)
			assert.Equal(t, "v1", req.ToVersion)
			assert.Equal(t, "bob-oncall", req.Actor)
			require.Len(t, req.Routes, 1)
			assert.Equal(t, actuator.Route{Version: "v1", Stage: "production", ArtifactURI: "s3://models/fraud/v1", SHA256: sha('a'), Weight: 100}, req.Routes[0])
		}},
		{"exec", actuator.Config{Kind: "exec", Command: []string{"sh", "-c", `printf '%s %s %s->%s %s' "$MLECTL_ACTION" "$MLECTL_MODEL" "$MLECTL_FROM_VERSION" "$MLECTL_TO_VERSION" "$MLECTL_REASON" > "$0"`, execOut}}, func(t *testing.T) {
			b, err := os.ReadFile(execOut)
			require.NoError(t, err)
			assert.Equal(t, "rollback fraud v2->v1 drift on amount", string(b))
		}},
		{"file", actuator.Config{Kind: "file", Path: routing}, func(t *testing.T) {
			b, err := os.ReadFile(routing)
			require.NoError(t, err)
			var rf actuator.RoutingFile
			require.NoError(t, json.Unmarshal(b, &rf))
			assert.Equal(t, "rollback", rf.Action)
			require.Len(t, rf.Routes, 1)
			assert.Equal(t, "v1", rf.Routes[0].Version)
			assert.Equal(t, 100.0, rf.Routes[0].Weight)
			left, err := filepath.Glob(filepath.Join(dir, ".routing.json.tmp-*"))
			require.NoError(t, err)
			assert.Empty(t, left, "no temporary file left behind")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			e := newEnv(t, testTokens)
			e.setupModel("fraud", tc.cfg)
			before := e.state("fraud")

			var res registry.ActionResult
			e.mustOK("POST", "/api/v1/models/fraud/rollback", responderToken, metaapi.ActionBody{Reason: "drift on amount"}, &res)
			assert.Equal(t, "v2", res.FromVersion)
			assert.Equal(t, "v1", res.ToVersion)
			assert.Equal(t, tc.kind, res.Actuator)
			tc.check(t)

			after := e.state("fraud")
			assert.Equal(t, "v1", after.Production)
			assert.Equal(t, map[string]registry.Stage{"v1": "production", "v2": "none", "v3": "archived"}, stages(after))
			assert.Empty(t, after.ProductionHistory, "v1 left the history; v2 (the bad one) is not a rollback target")
			assert.Equal(t, before.Revision+1, after.Revision)

			var evs []events.Event
			e.mustOK("GET", "/api/v1/events?model=fraud&kind=action", viewerToken, nil, &evs)
			require.NotEmpty(t, evs)
			last := evs[len(evs)-1]
			assert.Equal(t, "rollback", last.Action)
			assert.Equal(t, events.ResultOK, last.Result)
			assert.Equal(t, "bob-oncall", last.Actor)
			assert.Contains(t, last.Text, "drift on amount")

			// A second responder reacting to the same page does not roll
			// back twice; an explicit target is still allowed.
			a := e.call("POST", "/api/v1/models/fraud/rollback", adminToken, metaapi.ActionBody{Reason: "again"})
			assert.Equal(t, http.StatusConflict, a.code)
			assert.Contains(t, a.Error, "was already rolled back")
			assert.Contains(t, a.Error, "by bob-oncall (v2 → v1)")
			assert.Equal(t, "v1", e.state("fraud").Production)
			require.NotNil(t, e.state("fraud").LastAction)
			assert.Equal(t, "drift on amount", e.state("fraud").LastAction.Reason)
		})
	}
}

func TestConcurrentRollbacksOneWinsOtherConflicts(t *testing.T) {
	arrived := make(chan struct{}, 4)
	release := make(chan struct{})
	var calls atomic.Int32
	controller := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		arrived <- struct{}{}
		<-release
		w.WriteHeader(http.StatusOK)
	}))
	defer controller.Close()

	e := newEnv(t, testTokens)
	e.mustOK("PUT", "/api/v1/models/fraud", adminToken, metaapi.ModelSpec{Actuator: actuator.Config{Kind: "file", Path: filepath.Join(t.TempDir(), "r.json")}}, nil)
	for _, v := range []registry.Version{
		{Version: "v1", ArtifactURI: "s3://m/v1", SHA256: sha('a'), Baseline: "b", Stage: "production"},
		{Version: "v2", ArtifactURI: "s3://m/v2", SHA256: sha('b'), Baseline: "b", Stage: "shadow"},
	} {
		e.mustOK("POST", "/api/v1/models/fraud/versions", adminToken, v, nil)
	}
	e.mustOK("POST", "/api/v1/models/fraud/promote", adminToken, metaapi.ActionBody{Version: "v2"}, nil)
	e.mustOK("PUT", "/api/v1/models/fraud", adminToken, metaapi.ModelSpec{Actuator: actuator.Config{Kind: "webhook", URL: controller.URL}}, nil)

	var wg sync.WaitGroup
	var first answer
	wg.Add(1)
	go func() {
		defer wg.Done()
		first = e.call("POST", "/api/v1/models/fraud/rollback", responderToken, metaapi.ActionBody{Reason: "first"})
	}()
	<-arrived // the first rollback is inside the actuator
	second := e.call("POST", "/api/v1/models/fraud/rollback", adminToken, metaapi.ActionBody{Reason: "second"})
	close(release)
	wg.Wait()

	assert.Equal(t, http.StatusOK, first.code, first.Error)
	assert.Equal(t, http.StatusConflict, second.code)
	assert.Contains(t, second.Error, "in progress")
	assert.Contains(t, second.Error, "bob-oncall")
	assert.Equal(t, int32(1), calls.Load(), "the losing rollback never reached the actuator")
	assert.Equal(t, "v1", e.state("fraud").Production)
}

func TestFailedActuatorLeavesRegistryUnchanged(t *testing.T) {
	controller := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "rollout controller: deployment fraud not found", http.StatusInternalServerError)
	}))
	defer controller.Close()
	tests := []struct {
		name    string
		cfg     actuator.Config
		message string
	}{
		{"webhook 500", actuator.Config{Kind: "webhook", URL: controller.URL}, "deployment fraud not found"},
		{"webhook unreachable", actuator.Config{Kind: "webhook", URL: "http://127.0.0.1:1/x"}, "unreachable"},
		{"exec non-zero", actuator.Config{Kind: "exec", Command: []string{"sh", "-c", "echo 'error: deployments.apps \"fraud\" not found' >&2; exit 3"}}, `deployments.apps "fraud" not found`},
		{"exec timeout", actuator.Config{Kind: "exec", Command: []string{"sleep", "5"}, TimeoutSeconds: 0.2}, "did not finish"},
		{"file in missing dir", actuator.Config{Kind: "file", Path: "/nonexistent-mlectl-dir/routing.json"}, "creating temporary file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, testTokens)
			e.setupModel("fraud", actuator.Config{Kind: "file", Path: filepath.Join(t.TempDir(), "r.json")})
			e.mustOK("PUT", "/api/v1/models/fraud", adminToken, metaapi.ModelSpec{Actuator: tc.cfg}, nil)
			before := e.state("fraud")

			a := e.call("POST", "/api/v1/models/fraud/rollback", responderToken, metaapi.ActionBody{Reason: "drift"})
			assert.Equal(t, http.StatusBadGateway, a.code)
			assert.Contains(t, a.Error, tc.message)
			assert.Contains(t, a.Error, "registry unchanged")
			assert.Equal(t, before, e.state("fraud"))

			var evs []events.Event
			e.mustOK("GET", "/api/v1/events?model=fraud&kind=action", "", nil, &evs)
			last := evs[len(evs)-1]
			assert.Equal(t, events.ResultFailed, last.Result)
			assert.Contains(t, last.Text, tc.message)
		})
	}
}

func TestActionPrechecksAndDryRun(t *testing.T) {
	var calls atomic.Int32
	controller := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer controller.Close()
	e := newEnv(t, testTokens)
	e.setupModel("fraud", actuator.Config{Kind: "webhook", URL: controller.URL})
	e.mustOK("POST", "/api/v1/models/fraud/versions", adminToken, registry.Version{Version: "v4", ArtifactURI: "s3://m/v4", SHA256: sha('e')}, nil)
	e.mustOK("POST", "/api/v1/models/fraud/versions", adminToken, registry.Version{Version: "v5", ArtifactURI: "s3://m/v5", SHA256: sha('f'), Baseline: "b"}, nil)
	calls.Store(0)
	before := e.state("fraud")

	tests := []struct {
		name    string
		path    string
		token   string
		body    metaapi.ActionBody
		code    int
		message string
	}{
		{"rollback to archived", "rollback", responderToken, metaapi.ActionBody{Version: "v3", Reason: "x"}, 422, "archived"},
		{"rollback to unknown", "rollback", responderToken, metaapi.ActionBody{Version: "v9", Reason: "x"}, 404, "target version v9 of model fraud is not registered (registered: v1, v2, v3, v4, v5)"},
		{"rollback to a bad name", "rollback", responderToken, metaapi.ActionBody{Version: "../v1", Reason: "x"}, 400, `field version "../v1" is not a version name`},
		{"rollback without baseline", "rollback", responderToken, metaapi.ActionBody{Version: "v4", Reason: "x"}, 422, "no baseline"},
		{"rollback to production", "rollback", responderToken, metaapi.ActionBody{Version: "v2", Reason: "x"}, 422, "already production"},
		{"rollback without reason", "rollback", responderToken, metaapi.ActionBody{}, 400, "field reason"},
		{"promote a none version", "promote", adminToken, metaapi.ActionBody{Version: "v5"}, 422, "only a shadow or canary"},
		{"promote without version", "promote", adminToken, metaapi.ActionBody{}, 400, "field version"},
		{"traffic missing pct", "traffic", adminToken, metaapi.ActionBody{Version: "v5"}, 400, "field traffic_percent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call("POST", "/api/v1/models/fraud/"+tc.path, tc.token, tc.body)
			assert.Equal(t, tc.code, a.code, a.Error)
			assert.Contains(t, a.Error, tc.message)
		})
	}
	var dry registry.ActionResult
	e.mustOK("POST", "/api/v1/models/fraud/rollback", responderToken, metaapi.ActionBody{DryRun: true}, &dry)
	assert.True(t, dry.DryRun)
	assert.Equal(t, "v1", dry.ToVersion)
	assert.Contains(t, dry.Checks, "target v1 has baseline s3://data/train-2026-10.parquet")
	require.Len(t, dry.Changes, 2)

	over := 120.0
	a := e.call("POST", "/api/v1/models/fraud/traffic", adminToken, metaapi.ActionBody{Version: "v5", TrafficPercent: &over})
	assert.Equal(t, 400, a.code)
	assert.Contains(t, a.Error, "traffic_percent")

	assert.Equal(t, int32(0), calls.Load(), "neither refused actions nor the dry run reached the actuator")
	assert.Equal(t, before, e.state("fraud"))

	pct := 10.0
	var res registry.ActionResult
	e.mustOK("POST", "/api/v1/models/fraud/traffic", adminToken, metaapi.ActionBody{Version: "v5", TrafficPercent: &pct}, &res)
	routes := map[string]float64{}
	for _, r := range res.Request.Routes {
		routes[r.Version+"/"+r.Stage] = r.Weight
	}
	assert.Equal(t, map[string]float64{"v2/production": 90, "v5/canary": 10}, routes)
	st := e.state("fraud")
	assert.Equal(t, registry.StageCanary, stages(st)["v5"])
	assert.Equal(t, int32(1), calls.Load())
}

func TestAccessControl(t *testing.T) {
	t.Run("tokens configured", func(t *testing.T) {
		e := newEnv(t, testTokens)
		e.setupModel("fraud", actuator.Config{Kind: "file", Path: filepath.Join(t.TempDir(), "r.json")})
		tests := []struct {
			name, method, path, token string
			body                      any
			code                      int
			message                   string
		}{
			{"read without token", "GET", "/api/v1/models", "", nil, 200, ""},
			{"rollback without token", "POST", "/api/v1/models/fraud/rollback", "", metaapi.ActionBody{Reason: "x"}, 401, "needs an API token with role responder"},
			{"rollback unknown token", "POST", "/api/v1/models/fraud/rollback", "wrong", metaapi.ActionBody{Reason: "x"}, 401, "unknown API token"},
			{"rollback as viewer", "POST", "/api/v1/models/fraud/rollback", viewerToken, metaapi.ActionBody{Reason: "x"}, 403, "has role viewer"},
			{"promote as responder", "POST", "/api/v1/models/fraud/promote", responderToken, metaapi.ActionBody{Version: "v1"}, 403, "needs admin"},
			{"register as responder", "POST", "/api/v1/models/fraud/versions", responderToken, registry.Version{}, 403, "needs admin"},
			{"annotate as viewer", "POST", "/api/v1/events", viewerToken, events.Event{Text: "x"}, 403, "needs responder"},
			{"alert event as responder", "POST", "/api/v1/events", responderToken, events.Event{Kind: "alert_firing"}, 403, "admin"},
			{"annotate as responder", "POST", "/api/v1/events", responderToken, events.Event{Model: "fraud", Text: "looking at it"}, 201, ""},
			{"game-day injection as responder", "POST", "/api/v1/events", responderToken, events.Event{Kind: "injection", Action: "start", Model: "fraud", Text: "manual shift"}, 201, ""},
			{"old game-day kind as responder", "POST", "/api/v1/events", responderToken, events.Event{Kind: "gameday_injection_start", Model: "fraud"}, 403, "admin"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				a := e.call(tc.method, tc.path, tc.token, tc.body)
				assert.Equal(t, tc.code, a.code, a.Error)
				assert.Contains(t, a.Error, tc.message)
				if tc.code == 401 {
					assert.Equal(t, `Bearer realm="mlectl"`, a.header.Get("WWW-Authenticate"))
				}
			})
		}
		assert.Equal(t, "v2", e.state("fraud").Production, "no refused call changed the registry")
	})
	t.Run("no tokens: reads open, mutations refused", func(t *testing.T) {
		e := newEnv(t, auth.Config{})
		e.mustOK("GET", "/api/v1/models", "", nil, nil)
		a := e.call("PUT", "/api/v1/models/fraud", "", metaapi.ModelSpec{Actuator: actuator.Config{Kind: "file", Path: "/tmp/x"}})
		assert.Equal(t, 401, a.code)
		assert.Contains(t, a.Error, "no API tokens are configured")
	})
	t.Run("strict: reads need a token", func(t *testing.T) {
		e := newEnv(t, auth.Config{Mode: "strict", Tokens: testTokens.Tokens})
		a := e.call("GET", "/api/v1/models", "", nil)
		assert.Equal(t, 401, a.code)
		e.mustOK("GET", "/api/v1/models", viewerToken, nil, nil)
	})
	t.Run("disabled: everything open", func(t *testing.T) {
		e := newEnv(t, auth.Config{Mode: "disabled"})
		e.mustOK("PUT", "/api/v1/models/fraud", "", metaapi.ModelSpec{Actuator: actuator.Config{Kind: "file", Path: "/tmp/x"}}, nil)
	})
}

func verify(e *env) audit.Report {
	var rep audit.Report
	e.mustOK("GET", "/api/v1/audit/verify", viewerToken, nil, &rep)
	return rep
}

func TestAuditChainDetectsTampering(t *testing.T) {
	newAudited := func(t *testing.T) *env {
		e := newEnv(t, testTokens)
		e.setupModel("fraud", actuator.Config{Kind: "file", Path: filepath.Join(t.TempDir(), "r.json")})
		e.call("POST", "/api/v1/models/fraud/rollback", viewerToken, metaapi.ActionBody{Reason: "x"}) // refused, audited
		e.mustOK("POST", "/api/v1/models/fraud/rollback", responderToken, metaapi.ActionBody{Reason: "drift"}, nil)
		rep := verify(e)
		require.True(t, rep.OK, rep.Problem)
		require.Equal(t, uint64(8), rep.Entries) // put, 3 registrations, archive, promote, refused, rollback
		var entries []audit.Entry
		e.mustOK("GET", "/api/v1/audit", viewerToken, nil, &entries)
		require.Len(t, entries, 8)
		assert.Equal(t, 403, entries[6].Status)
		assert.Equal(t, "grafana", entries[6].Actor)
		assert.Contains(t, entries[6].Detail, "refused")
		assert.Equal(t, "bob-oncall", entries[7].Actor)
		assert.Equal(t, "/api/v1/models/fraud/rollback", entries[7].Path)
		assert.Equal(t, entries[6].Hash, entries[7].PrevHash)
		return e
	}
	key := func(seq uint64) []byte {
		k := []byte("audit/e/")
		for i := 7; i >= 0; i-- {
			k = append(k, byte(seq>>(8*i)))
		}
		return k
	}
	tests := []struct {
		name    string
		tamper  func(txn *badger.Txn) error
		badSeq  uint64
		problem string
	}{
		{"edited actor", func(txn *badger.Txn) error {
			item, err := txn.Get(key(8))
			if err != nil {
				return err
			}
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			return txn.Set(key(8), bytes.Replace(v, []byte(`"bob-oncall"`), []byte(`"mallory"`), 1))
		}, 8, "entry 8 was modified"},
		{"edited status keeping hash", func(txn *badger.Txn) error {
			item, err := txn.Get(key(7))
			if err != nil {
				return err
			}
			v, _ := item.ValueCopy(nil)
			return txn.Set(key(7), bytes.Replace(v, []byte(`"status":403`), []byte(`"status":200`), 1))
		}, 7, "entry 7 was modified"},
		{"deleted middle entry", func(txn *badger.Txn) error { return txn.Delete(key(4)) }, 4, "entry 4 is missing"},
		{"deleted last entry", func(txn *badger.Txn) error { return txn.Delete(key(8)) }, 8, "removed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newAudited(t)
			require.NoError(t, e.svc.DB.Update(tc.tamper))
			rep := verify(e)
			assert.False(t, rep.OK)
			assert.Equal(t, tc.badSeq, rep.BadSeq)
			assert.Contains(t, rep.Problem, tc.problem)
		})
	}
}

func TestEventsQuery(t *testing.T) {
	e := newEnv(t, testTokens)
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	// Imported facts may name a model the registry does not hold; notes
	// need a model it holds or that has events (alert_firing below).
	a := e.call("POST", "/api/v1/events", responderToken, events.Event{Model: "frad", Text: "typo"})
	assert.Equal(t, 404, a.code)
	assert.Contains(t, a.Error, `model "frad" is unknown`)
	for i, ev := range []events.Event{
		{Kind: "alert_firing", Model: "churn", Labels: map[string]string{"alertname": "Import"}},
		{Kind: "alert_firing", Model: "fraud", Labels: map[string]string{"alertname": "Import"}},
		{Kind: "annotation", Model: "fraud", Text: "a"},
		{Kind: "alert_firing", Model: "fraud", Labels: map[string]string{"alertname": "FeatureDrift"}},
		{Kind: "annotation", Model: "churn", Text: "b"},
		{Kind: "ack", Model: "fraud"},
	} {
		ev.Time = base.Add(time.Duration(i-2) * time.Minute)
		var stored events.Event
		e.mustOK("POST", "/api/v1/events", adminToken, ev, &stored)
		assert.NotEmpty(t, stored.ID, "the answer is the event as stored, with its id")
	}
	tests := []struct {
		query string
		kinds []events.Kind
	}{
		{"model=fraud&from=2026-11-20T10:00:00Z", []events.Kind{"annotation", "alert_firing", "ack"}},
		{"model=fraud&kind=ack,alert_firing&from=2026-11-20T10:00:00Z", []events.Kind{"alert_firing", "ack"}},
		{"from=2026-11-20T10:01:00Z&to=2026-11-20T10:03:00Z", []events.Kind{"alert_firing", "annotation"}},
		{"from=1795168860&limit=1", []events.Kind{"alert_firing"}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			var evs []events.Event
			e.mustOK("GET", "/api/v1/events?"+tc.query, "", nil, &evs)
			var kinds []events.Kind
			for _, ev := range evs {
				kinds = append(kinds, ev.Kind)
				assert.Equal(t, "alice-admin", ev.Actor, "actor is the token, not the body")
			}
			assert.Equal(t, tc.kinds, kinds)
		})
	}
	for _, q := range []string{"from=yesterday", "to=2026-13-01T00:00:00Z", "from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z", "limit=0"} {
		a := e.call("GET", "/api/v1/events?"+q, "", nil)
		assert.Equal(t, 400, a.code, q)
		assert.Contains(t, a.Error, "parameter", q)
	}
	a = e.call("POST", "/api/v1/events", responderToken, events.Event{Model: "fraud"})
	assert.Equal(t, 400, a.code)
	assert.Contains(t, a.Error, "field text")
	a = e.call("GET", "/api/v1/events?model=frad", "", nil)
	assert.Equal(t, 404, a.code)
	assert.Contains(t, a.Error, `model "frad" is unknown`)
}

func TestRunbookAPI(t *testing.T) {
	e := newEnv(t, testTokens)
	e.setupModel("fraud", actuator.Config{Kind: "file", Path: filepath.Join(t.TempDir(), "r.json")})
	var list []metaapi.RunbookSummary
	e.mustOK("GET", "/api/v1/runbooks", "", nil, &list)
	var ids []string
	for _, rb := range list {
		ids = append(ids, rb.ID)
	}
	assert.Equal(t, []string{"error-rate-slo-burn", "feature-drift", "feature-explanations", "feature-freshness", "label-coverage", "latency-slo-burn", "quality-drop", "schema-violation", "serving-cost-overrun", "shadow-disagreement", "training-serving-skew", "volume-full"}, ids)

	var linked []metaapi.RunbookSummary
	e.mustOK("GET", "/api/v1/runbooks?alertname=FeatureDrift&model=fraud", "", nil, &linked)
	require.Len(t, linked, 1)
	assert.Equal(t, "feature-drift", linked[0].ID)
	e.mustOK("GET", "/api/v1/runbooks?alertname=FeatureDrift&runbook_url=https://wiki/runbooks/quality-drop", "", nil, &linked)
	require.Len(t, linked, 1)
	assert.Equal(t, "quality-drop", linked[0].ID)

	resp, err := http.Get(e.srv.URL + "/api/v1/runbooks/feature-drift?format=markdown")
	require.NoError(t, err)
	md, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "text/markdown; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, string(md), "# Feature drift on a production model")
	assert.Contains(t, string(md), "mlectl runbook run feature-drift --step 5 --set model=…")

	var q metaapi.StepResult
	e.mustOK("POST", "/api/v1/runbooks/feature-drift/steps/2", responderToken, metaapi.StepBody{Vars: map[string]string{"model": "fraud", "version": "v2"}}, &q)
	assert.Equal(t, `mle_dataset_drift_share{model="fraud", version="v2"}`, q.Query)

	a := e.call("POST", "/api/v1/runbooks/feature-drift/steps/5", responderToken, metaapi.StepBody{})
	assert.Equal(t, 400, a.code)
	assert.Contains(t, a.Error, "needs values for model")
	a = e.call("POST", "/api/v1/runbooks/feature-drift/steps/9", responderToken, metaapi.StepBody{})
	assert.Equal(t, 400, a.code)
	assert.Contains(t, a.Error, "steps 1..5")
	a = e.call("POST", "/api/v1/runbooks/quality-drop/steps/7", responderToken, metaapi.StepBody{Vars: map[string]string{"model": "fraud", "shadow_version": "v1"}})
	assert.Equal(t, 403, a.code, "a promote step needs admin")
	a = e.call("POST", "/api/v1/runbooks/error-rate-slo-burn/steps/5", responderToken, metaapi.StepBody{Vars: map[string]string{"model": "fraud"}})
	assert.Equal(t, 501, a.code, "no silencer configured")

	var rb metaapi.StepResult
	e.mustOK("POST", "/api/v1/runbooks/feature-drift/steps/5", responderToken, metaapi.StepBody{Vars: map[string]string{"model": "fraud"}}, &rb)
	require.NotNil(t, rb.Result)
	assert.Equal(t, "v1", rb.Result.ToVersion)
	assert.Equal(t, "v1", e.state("fraud").Production)

	var evs []events.Event
	e.mustOK("GET", "/api/v1/events?kind=runbook_step", "", nil, &evs)
	require.Len(t, evs, 2)
	assert.Equal(t, "feature-drift", evs[1].Labels["runbook"])
	assert.Equal(t, "rollback", evs[1].Action)
}

// TestRunbookStepRollbackTarget: a rollback step goes where the operator
// says (to, as `mlectl rollback --to`), an unknown version is refused with
// nothing changed, and to on a step that is not a rollback is an error
// rather than ignored.
func TestRunbookStepRollbackTarget(t *testing.T) {
	e := newEnv(t, testTokens)
	e.setupModel("fraud", actuator.Config{Kind: "file", Path: filepath.Join(t.TempDir(), "r.json")})
	e.mustOK("POST", "/api/v1/models/fraud/versions", adminToken, registry.Version{Version: "v4", ArtifactURI: "s3://models/fraud/v4", SHA256: sha('d'), Baseline: "s3://data/train-2026-12.parquet"}, nil)
	fraud := map[string]string{"model": "fraud"}

	for _, tc := range []struct {
		name, step, to string
		code           int
		msg            string
	}{
		{"a typo", "5", "v9", 404, "target version v9 of model fraud is not registered"},
		{"a query step", "2", "v1", 400, "to: step 2 (query) is not a rollback; only a rollback step takes a target version"},
		{"an annotate step", "4", "v1", 400, "to: step 4 (annotate) is not a rollback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"model": "fraud", "version": "v2", "text": "found it"}
			a := e.call("POST", "/api/v1/runbooks/feature-drift/steps/"+tc.step, responderToken, metaapi.StepBody{Vars: vars, To: tc.to})
			assert.Equal(t, tc.code, a.code, a.Error)
			assert.Contains(t, a.Error, tc.msg)
			assert.Equal(t, "v2", e.state("fraud").Production, "a refused step changes nothing")
		})
	}

	var rb metaapi.StepResult
	e.mustOK("POST", "/api/v1/runbooks/feature-drift/steps/5", responderToken, metaapi.StepBody{Vars: fraud, To: "v4"}, &rb)
	require.NotNil(t, rb.Result)
	assert.Equal(t, "v4", rb.Result.ToVersion, "the operator's target, not the previous production v1")
	assert.Equal(t, "v4", e.state("fraud").Production)
}
