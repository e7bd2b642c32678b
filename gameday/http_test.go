package gameday_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/metaapi"
)

// apiServer serves the game-day API with the collector's access control
// (a viewer and a responder token) and audit log, and a registry that knows
// the model "demand".
func apiServer(t *testing.T) (*httptest.Server, *metaapi.Service) {
	t.Helper()
	meta, err := metaapi.Open(context.Background(), metaapi.Config{
		Dir: filepath.Join(t.TempDir(), "meta"),
		Auth: auth.Config{Mode: auth.ModeDefault, Tokens: []auth.TokenSpec{
			{Name: "vera", Token: "viewer-token", Role: "viewer"},
			{Name: "rita", Token: "responder-token", Role: "responder"},
		}},
		Models: []metaapi.ModelConfig{{Name: "demand", Owner: "ml", Actuator: actuator.Config{Kind: actuator.KindFile, Path: filepath.Join(t.TempDir(), "routes.json")}}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = meta.Close() })
	inj := gameday.New(gameday.Options{Events: meta.Recorder(), Models: gameday.KnownModels{Registry: meta.Registry}})
	mux := http.NewServeMux()
	route.Mount(mux, gameday.NewHandler(inj, gameday.HandlerOptions{Auth: meta.Auth, Audit: meta.Audit}).Routes())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, meta
}

func call(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	return testutil.DoJSON(t, method, url, token, body)
}

func TestHTTPBadBodiesNameTheField(t *testing.T) {
	srv, _ := apiServer(t)
	url := srv.URL + gameday.PathInjections
	cases := []struct {
		name, body, field string
	}{
		{"unknown kind", `{"model":"demand","feature":"temp","kind":"melt","magnitude":3,"duration":"5m"}`, "kind: "},
		{"negative magnitude", `{"model":"demand","feature":"temp","kind":"scale","magnitude":-2,"duration":"5m"}`, "magnitude: "},
		{"fraction over one", `{"model":"demand","feature":"temp","kind":"nulls","magnitude":2,"duration":"5m"}`, "magnitude: "},
		{"missing magnitude", `{"model":"demand","feature":"temp","kind":"shift","duration":"5m"}`, "magnitude: is required"},
		{"bad duration", `{"model":"demand","feature":"temp","kind":"shift","magnitude":3,"duration":"five minutes"}`, "duration: "},
		{"negative duration", `{"model":"demand","feature":"temp","kind":"shift","magnitude":3,"duration":"-5m"}`, "duration: "},
		{"missing feature", `{"model":"demand","kind":"shift","magnitude":3,"duration":"5m"}`, "feature: "},
		{"magnitude of the wrong type", `{"model":"demand","feature":"temp","kind":"shift","magnitude":"3","duration":"5m"}`, "magnitude: "},
		{"unknown field", `{"model":"demand","feature":"temp","kind":"shift","magnitude":3,"duration":"5m","sigma":2}`, `"sigma"`},
		{"empty body", ``, "request body is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := call(t, http.MethodPost, url, "responder-token", tc.body)
			assert.Equal(t, http.StatusBadRequest, code)
			assert.Equal(t, "error", out["status"])
			assert.Equal(t, "bad_data", out["errorType"])
			assert.Contains(t, out["error"], tc.field)
		})
	}
	// A typo in the model is an unknown thing, not a malformed body.
	code, out := call(t, http.MethodPost, url, "responder-token", `{"model":"demnad","feature":"temp","kind":"shift","magnitude":3,"duration":"5m"}`)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "not_found", out["errorType"])
	assert.Contains(t, out["error"], `model: model "demnad" is not registered`)
}

func TestHTTPLifecycleAndRoles(t *testing.T) {
	srv, meta := apiServer(t)
	url := srv.URL + gameday.PathInjections
	body := `{"model":"demand","feature":"temp","kind":"shift","magnitude":3,"duration":"5m"}`

	code, out := call(t, http.MethodPost, url, "", body)
	assert.Equal(t, http.StatusUnauthorized, code, "mutations need a token")
	code, out = call(t, http.MethodPost, url, "viewer-token", body)
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, out["error"], "responder")

	before := time.Now().UTC()
	code, out = call(t, http.MethodPost, url, "responder-token", body)
	require.Equal(t, http.StatusCreated, code, out)
	assert.Equal(t, "success", out["status"])
	data := out["data"].(map[string]any)
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"id", "model", "version", "feature", "kind", "magnitude", "duration", "started_at", "ends_at", "active", "records"}, keys)
	assert.Equal(t, "demand", data["model"])
	assert.Equal(t, "", data["version"])
	assert.Equal(t, "shift", data["kind"])
	assert.Equal(t, 3.0, data["magnitude"])
	assert.Equal(t, "5m", data["duration"])
	assert.Equal(t, true, data["active"])
	assert.Equal(t, 0.0, data["records"])
	started, err := time.Parse(time.RFC3339Nano, data["started_at"].(string))
	require.NoError(t, err)
	ends, err := time.Parse(time.RFC3339Nano, data["ends_at"].(string))
	require.NoError(t, err)
	assert.False(t, started.Before(before.Truncate(time.Millisecond)))
	assert.Equal(t, 5*time.Minute, ends.Sub(started))
	id := data["id"].(string)

	// A second one, then the list is newest first and readable by viewers.
	code, _ = call(t, http.MethodPost, url, "responder-token", `{"model":"demand","kind":"errors","magnitude":0.1,"duration":"90s"}`)
	require.Equal(t, http.StatusCreated, code)
	code, out = call(t, http.MethodGet, url, "viewer-token", "")
	require.Equal(t, http.StatusOK, code)
	list := out["data"].([]any)
	require.Len(t, list, 2)
	assert.Equal(t, "errors", list[0].(map[string]any)["kind"])
	assert.Equal(t, id, list[1].(map[string]any)["id"])

	code, _ = call(t, http.MethodDelete, url+"/"+id, "viewer-token", "")
	assert.Equal(t, http.StatusForbidden, code)
	code, out = call(t, http.MethodDelete, url+"/"+id, "responder-token", "")
	require.Equal(t, http.StatusOK, code, out)
	data = out["data"].(map[string]any)
	assert.Equal(t, false, data["active"])
	assert.NotEmpty(t, data["stopped_at"])
	code, out = call(t, http.MethodDelete, url+"/inj-missing", "responder-token", "")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "not_found", out["errorType"])

	// Start and stop are events of kind injection, with who did it.
	evs, err := meta.Events.Query(context.Background(), events.Filter{Kinds: []events.Kind{gameday.EventKind}})
	require.NoError(t, err)
	require.Len(t, evs, 3)
	assert.Equal(t, []string{"start", "start", "stop"}, []string{evs[0].Action, evs[1].Action, evs[2].Action})
	assert.Equal(t, "rita", evs[2].Actor)
	assert.Equal(t, id, evs[2].Labels["injection_id"])

	// Every mutating call, refused or not, is in the audit log.
	entries, err := meta.Audit.List(context.Background(), 0, 100)
	require.NoError(t, err)
	var statuses []int
	for _, e := range entries {
		if strings.HasPrefix(e.Path, gameday.PathInjections) {
			statuses = append(statuses, e.Status)
		}
	}
	assert.Equal(t, []int{401, 403, 201, 201, 403, 200, 404}, statuses)
}

func TestClientAgainstHandler(t *testing.T) {
	srv, _ := apiServer(t)
	ctx := context.Background()
	cl, err := client.New(srv.URL, client.WithToken("responder-token"), client.WithOperatorErrors())
	require.NoError(t, err)
	inj, err := cl.StartInjection(ctx, client.InjectionRequest{Model: "demand", Feature: "temp", Kind: string(gameday.KindNulls), Magnitude: 0.5, Duration: "2m"})
	require.NoError(t, err)
	assert.Equal(t, "2m", inj.Duration)
	list, err := cl.Injections(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, inj.ID, list[0].ID)
	stopped, err := cl.StopInjection(ctx, inj.ID)
	require.NoError(t, err)
	assert.False(t, stopped.Active)
	_, err = cl.StartInjection(ctx, client.InjectionRequest{Model: "demand", Feature: "temp", Kind: "melt", Magnitude: 0.5, Duration: "2m"})
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	assert.Contains(t, ae.Message, "kind: ")
}

// At most MaxActive injections run at once (every ingested batch goes
// through each): one more is a 409 that says what to do; once one ends, a
// new one starts.
func TestHTTPRefusesTooManyActive(t *testing.T) {
	clk := &clock{t: t0}
	inj := gameday.New(gameday.Options{Now: clk.Now, MaxActive: 2})
	mux := http.NewServeMux()
	route.Mount(mux, gameday.NewHandler(inj, gameday.HandlerOptions{}).Routes())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	url := srv.URL + gameday.PathInjections
	body := func(d string) string {
		return `{"model":"demand","kind":"latency","magnitude":2,"duration":"` + d + `"}`
	}
	code, out := call(t, http.MethodPost, url, "", body("1m"))
	require.Equal(t, http.StatusCreated, code, out)
	code, out = call(t, http.MethodPost, url, "", body("1h"))
	require.Equal(t, http.StatusCreated, code, out)
	code, out = call(t, http.MethodPost, url, "", body("1h"))
	require.Equal(t, http.StatusConflict, code, out)
	assert.Equal(t, "conflict", out["errorType"])
	assert.Contains(t, out["error"], "too many active injections: 2 active")
	assert.Contains(t, out["error"], "stop one first")
	assert.Len(t, inj.List(context.Background()), 2)

	clk.Add(time.Minute) // the first one ends
	code, out = call(t, http.MethodPost, url, "", body("1h"))
	require.Equal(t, http.StatusCreated, code, out)
}

// Once the collector stops (Shutdown ran), a start still in flight is a
// 503: an injection started then would never get its stop event.
func TestHTTPRefusesStartsAfterShutdown(t *testing.T) {
	ev := openEvents(t)
	inj := gameday.New(gameday.Options{Events: ev})
	mux := http.NewServeMux()
	route.Mount(mux, gameday.NewHandler(inj, gameday.HandlerOptions{}).Routes())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	inj.Shutdown(context.Background())
	code, out := call(t, http.MethodPost, srv.URL+gameday.PathInjections, "", `{"model":"demand","kind":"latency","magnitude":2,"duration":"1h"}`)
	assert.Equal(t, http.StatusServiceUnavailable, code, out)
	assert.Contains(t, out["error"], "the collector is stopping")
	assert.Empty(t, inj.List(context.Background()))
	evs, err := ev.Query(context.Background(), events.Filter{})
	require.NoError(t, err)
	assert.Empty(t, evs)
}
