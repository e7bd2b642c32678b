package alerting

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/audit"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/internal/testutil"
)

type apiFixture struct {
	m    *Manager
	rec  *eventLog
	rcv  *receiver
	srv  *httptest.Server
	now  *time.Time
	dir  string
	eval func(min int)
}

func newAPIFixture(t *testing.T, stateDir string) *apiFixture {
	t.Helper()
	db := openDB(t, t.TempDir())
	t.Cleanup(func() { db.Close() })
	seedUp(t, db, 1, 30, 30)
	f := &apiFixture{rec: &eventLog{}, rcv: newReceiver(t), dir: stateDir}
	now := at(0)
	f.now = &now
	m, err := New(Options{
		Storage: db, RuleFiles: []string{writeFile(t, "r.yml", simpleRule)},
		Webhooks: []string{f.rcv.srv.URL}, Recorder: f.rec, StateDir: stateDir,
		RepeatInterval: 5 * time.Minute,
		Now:            func() time.Time { return *f.now },
	})
	require.NoError(t, err)
	t.Cleanup(m.Stop)
	f.m = m
	authn, err := auth.New(auth.Config{Tokens: []auth.TokenSpec{
		{Name: "alice", Token: "alice-token", Role: "responder"},
		{Name: "vic", Token: "viewer-token", Role: "viewer"},
	}}, "")
	require.NoError(t, err)
	f.srv = httptest.NewServer(m.Handler(authn, nil))
	t.Cleanup(f.srv.Close)
	f.eval = func(min int) {
		*f.now = at(min)
		m.EvalAt(context.Background(), at(min))
	}
	return f
}

func (f *apiFixture) call(t *testing.T, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	return testutil.DoJSON(t, method, f.srv.URL+path, token, body)
}

func TestAckAndSilenceAPI(t *testing.T) {
	f := newAPIFixture(t, t.TempDir())
	f.eval(0)
	f.eval(1) // up == 0 from minute 1: ModelDown firing
	f.eval(2)
	*f.now = at(8)
	alerts := f.m.Alerts()
	require.Len(t, alerts, 1)
	id := alerts[0].ID
	require.Eventually(t, func() bool { return len(f.rcv.messages()) == 1 }, 5*time.Second, 5*time.Millisecond)

	for _, tc := range []struct {
		name, method, path, token, body string
		code                            int
		errHas                          string
	}{
		{"list open to viewers", "GET", "/api/v1/alerts/state", "viewer-token", "", 200, ""},
		{"ack needs responder", "POST", "/api/v1/alerts/ack", "viewer-token", `{"id":"` + id + `"}`, 403, ""},
		{"ack without token", "POST", "/api/v1/alerts/ack", "", `{"id":"` + id + `"}`, 401, ""},
		{"ack without id", "POST", "/api/v1/alerts/ack", "alice-token", `{}`, 400, "field id"},
		{"ack unknown field", "POST", "/api/v1/alerts/ack", "alice-token", `{"alert":"x"}`, 400, "unknown field"},
		{"ack unknown alert", "POST", "/api/v1/alerts/ack", "alice-token", `{"id":"0000000000000000"}`, 404, "not pending or firing"},
		{"silence bad matchers", "POST", "/api/v1/silences", "alice-token", `{"matchers":"model=","duration":"1h","comment":"x"}`, 400, "matchers"},
		{"silence matching all", "POST", "/api/v1/silences", "alice-token", `{"matchers":"model=~\".*\"","duration":"1h","comment":"x"}`, 400, "match every alert"},
		{"silence no comment", "POST", "/api/v1/silences", "alice-token", `{"matchers":"model=\"fraud\"","duration":"1h"}`, 400, "comment is required"},
		{"silence bad duration", "POST", "/api/v1/silences", "alice-token", `{"matchers":"model=\"fraud\"","duration":"soon","comment":"x"}`, 400, "duration"},
		{"expire unknown silence", "DELETE", "/api/v1/silences/nope", "alice-token", "", 404, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := f.call(t, tc.method, tc.path, tc.token, tc.body)
			assert.Equal(t, tc.code, code, "%v", out)
			if tc.errHas != "" {
				assert.Contains(t, out["error"], tc.errHas)
			}
		})
	}

	// Ack: recorded with actor; listed; stops webhook repeats.
	code, out := f.call(t, "POST", "/api/v1/alerts/ack", "alice-token", `{"id":"`+id+`","comment":"looking"}`)
	require.Equal(t, 200, code, "%v", out)
	cl, err := client.New(f.srv.URL, client.WithToken("viewer-token"), client.WithOperatorErrors())
	require.NoError(t, err)
	listed, err := cl.AlertStates(context.Background())
	require.NoError(t, err)
	require.Len(t, listed, 1)
	require.NotNil(t, listed[0].Ack)
	assert.Equal(t, "alice", listed[0].Ack.By)
	f.eval(8) // past RepeatInterval: acked, so no repeat
	time.Sleep(50 * time.Millisecond)
	assert.Len(t, f.rcv.messages(), 1)

	// Silence through the client as alice; it suppresses the resolved
	// notification of the matching alert.
	rc, err := client.New(f.srv.URL, client.WithToken("alice-token"), client.WithOperatorErrors())
	require.NoError(t, err)
	sil, err := rc.PostSilence(context.Background(), SilenceRequest{Matchers: `alertname="ModelDown", model="fraud"`, Duration: "1h", Comment: "maintenance"})
	require.NoError(t, err)
	assert.Equal(t, "active", sil.Status)
	assert.Equal(t, "alice", sil.CreatedBy)
	assert.Equal(t, at(68), sil.EndsAt)
	listed, err = cl.AlertStates(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{sil.ID}, listed[0].SilencedBy)

	_, err = cl.PostSilence(context.Background(), SilenceRequest{Matchers: `model="x"`, Duration: "1h", Comment: "x"})
	var apiErr *client.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusForbidden, apiErr.StatusCode)

	// Silences survive a restart of the manager (state dir).
	again, err := openSilences(f.dir, f.m.parser)
	require.NoError(t, err)
	assert.Len(t, again.list(at(9)), 1)

	// Expire it: listed as expired afterwards.
	expired, err := rc.ExpireSilence(context.Background(), sil.ID)
	require.NoError(t, err)
	assert.Equal(t, "expired", expired.Status)
	all, err := cl.Silences(context.Background())
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, "expired", all[0].Status)

	kinds := f.rec.kinds()
	assert.Equal(t, []events.Kind{events.KindAlertFiring, events.KindAck, events.KindSilence, events.KindSilence}, kinds)
	for _, e := range f.rec.all()[1:] {
		assert.Equal(t, "alice", e.Actor)
		assert.Equal(t, "fraud", e.Model, "model on %v", e)
		assert.Equal(t, at(8), e.Time)
	}
}

// TestSilenceSuppressesNotifications: a silenced alert fires (evaluation
// and events go on) but nothing is delivered until the silence ends.
func TestSilenceSuppressesNotifications(t *testing.T) {
	f := newAPIFixture(t, "")
	_, err := f.m.CreateSilence(context.Background(), SilenceRequest{Matchers: `model="fraud"`, Duration: "3m", Comment: "test"}, "alice")
	require.NoError(t, err)
	f.eval(0)
	f.eval(1)
	f.eval(2)
	assert.Equal(t, []string{"firing"}, alertStates(f.m, "ModelDown"))
	assert.Contains(t, f.rec.kinds(), events.KindAlertFiring)
	time.Sleep(50 * time.Millisecond)
	assert.Empty(t, f.rcv.messages(), "silenced")
	f.eval(3) // silence ends at minute 3: the firing message goes out
	require.Eventually(t, func() bool { return len(f.rcv.messages()) == 1 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, "firing", f.rcv.messages()[0].Status)
}

type fakeEvents []events.Event

func (f fakeEvents) Query(_ context.Context, flt events.Filter) ([]events.Event, error) {
	var out []events.Event
	for _, e := range f {
		if !e.Time.Before(flt.From) && e.Time.Before(flt.To) {
			out = append(out, e)
		}
	}
	return out, nil
}

// TestDeploySuppressionWindow: a deploy event opens a silence on the model
// for DeploySilence; polling twice does not open it twice.
func TestDeploySuppressionWindow(t *testing.T) {
	f := newAPIFixture(t, "")
	f.m.AttachEvents(nil, fakeEvents{{ID: "e1", Time: at(0).Add(-time.Minute), Kind: events.KindDeploy, Model: "fraud", Version: "v2", Actor: "ci"}})
	next := f.m.PollDeploys(context.Background(), at(-10))
	assert.Equal(t, at(0), next)
	f.m.PollDeploys(context.Background(), at(-10))
	sils := f.m.Silences()
	require.Len(t, sils, 1)
	assert.Equal(t, `model="fraud"`, sils[0].Matchers)
	assert.Equal(t, at(14), sils[0].EndsAt, "15m default window from the deploy")
	assert.Equal(t, "ci", sils[0].CreatedBy)
	f.eval(0)
	f.eval(1)
	f.eval(2)
	time.Sleep(50 * time.Millisecond)
	assert.Empty(t, f.rcv.messages())
	assert.Equal(t, []events.Kind{events.KindSilence, events.KindAlertFiring}, f.rec.kinds())
}

// TestSilencerInterface is the runbook step's entry point.
func TestSilencerInterface(t *testing.T) {
	f := newAPIFixture(t, "")
	id, err := f.m.Silence(context.Background(), `alertname=~"ErrorRateSLOBurn|SLO.*Burn.*", model="fraud"`, time.Hour, "rolled back", "bob")
	require.NoError(t, err)
	sils := f.m.Silences()
	require.Len(t, sils, 1)
	assert.Equal(t, id, sils[0].ID)
	assert.Equal(t, "bob", sils[0].CreatedBy)
	_, err = f.m.Silence(context.Background(), `model=`, time.Hour, "x", "bob")
	assert.Error(t, err)
}

// TestMountKeepsPrometheusAlertsRoute mounts the handler next to a
// catch-all as the collector does: GET /api/v1/alerts must still reach the
// catch-all (Prometheus's API), not redirect.
func TestMountKeepsPrometheusAlertsRoute(t *testing.T) {
	f := newAPIFixture(t, "")
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Route", "prometheus")
	}))
	Mount(mux, f.m.Handler(nil, nil))
	for path, want := range map[string]string{
		"/api/v1/alerts":       "prometheus",
		"/api/v1/rules":        "prometheus",
		"/api/v1/alerts/state": "alerting",
		"/api/v1/silences":     "alerting",
		"/api/v1/silences/x":   "alerting",
	} {
		rec := httptest.NewRecorder()
		method := http.MethodGet
		if strings.HasPrefix(path, "/api/v1/silences/") {
			method = http.MethodDelete
		}
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		got := "alerting"
		if rec.Header().Get("X-Route") == "prometheus" {
			got = "prometheus"
		}
		assert.Equal(t, want, got, path)
		assert.NotEqual(t, http.StatusTemporaryRedirect, rec.Code, path)
		assert.NotEqual(t, http.StatusMovedPermanently, rec.Code, path)
	}
}

// TestAckForgottenWhenAlertGone: an ack of an alert that is no longer
// active is dropped by housekeeping, but only once every group evaluated.
func TestAckForgottenWhenAlertGone(t *testing.T) {
	f := newAPIFixture(t, t.TempDir())
	f.eval(0)
	f.eval(1)
	id := f.m.Alerts()[0].ID
	_, err := f.m.Ack(context.Background(), id, "alice", "")
	require.NoError(t, err)
	f.m.gcAcks()
	_, ok := f.m.sil.ackFor(id)
	assert.True(t, ok, "alert still firing: ack kept")

	// Restart: before the first evaluation nothing is active, yet the ack
	// must survive.
	m2, err := New(Options{Storage: f.m.opts.Storage, RuleFiles: f.m.opts.RuleFiles, StateDir: f.dir})
	require.NoError(t, err)
	defer m2.Stop()
	m2.gcAcks()
	_, ok = m2.sil.ackFor(id)
	assert.True(t, ok, "no evaluation yet: ack kept")
	m2.EvalAt(context.Background(), at(40)) // up is stale by now: no alert
	require.Empty(t, m2.Alerts())
	m2.gcAcks()
	_, ok = m2.sil.ackFor(id)
	assert.False(t, ok, "alert gone: ack dropped")
}

func TestAuditedHandler(t *testing.T) {
	f := newAPIFixture(t, "")
	db, err := badger.Open(badger.DefaultOptions(t.TempDir()).WithLogger(nil))
	require.NoError(t, err)
	defer db.Close()
	log := audit.NewLog(db, func() time.Time { return at(0) })
	authn, err := auth.New(auth.Config{Tokens: []auth.TokenSpec{
		{Name: "alice", Token: "alice-token", Role: "responder"},
		{Name: "vic", Token: "viewer-token", Role: "viewer"},
	}}, "")
	require.NoError(t, err)
	srv := httptest.NewServer(f.m.AuditedHandler(authn, log))
	defer srv.Close()
	f.srv = srv

	code, _ := f.call(t, "POST", "/api/v1/silences", "alice-token", `{"matchers":"model=\"fraud\"","duration":"1h","comment":"deploy"}`)
	require.Equal(t, 200, code)
	code, _ = f.call(t, "POST", "/api/v1/silences", "viewer-token", `{"matchers":"model=\"fraud\"","duration":"1h","comment":"x"}`)
	require.Equal(t, 403, code)
	code, _ = f.call(t, "POST", "/api/v1/alerts/ack", "alice-token", `{"id":`)
	require.Equal(t, 400, code)
	code, _ = f.call(t, "GET", "/api/v1/silences", "viewer-token", "")
	require.Equal(t, 200, code)

	es, err := log.List(context.Background(), 1, 10)
	require.NoError(t, err)
	require.Len(t, es, 3, "reads are not audited")
	assert.Equal(t, "alice", es[0].Actor)
	assert.Equal(t, "responder", es[0].Role)
	assert.Equal(t, 200, es[0].Status)
	assert.Equal(t, `silence model="fraud" until 2026-03-02T11:00:00Z: ok`, es[0].Detail)
	assert.Equal(t, "vic", es[1].Actor)
	assert.Equal(t, 403, es[1].Status)
	assert.Contains(t, es[1].Detail, "refused")
	assert.Equal(t, "alice", es[2].Actor)
	assert.Equal(t, 400, es[2].Status)
	assert.Equal(t, "/api/v1/alerts/ack", es[2].Path)
	rep, err := log.Verify(context.Background())
	require.NoError(t, err)
	assert.True(t, rep.OK)
}
