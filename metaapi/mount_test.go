package metaapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/metaapi"
)

// Mounted next to a catch-all /api/v1/ handler (the collector's query API),
// the metadata routes win for their prefixes only.
func TestMountBesideCatchAll(t *testing.T) {
	svc, err := metaapi.Open(context.Background(), metaapi.Config{Dir: t.TempDir()})
	require.NoError(t, err)
	defer svc.Close()
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	mux.Handle("POST /api/v1/write", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	route.Mount(mux, svc.Routes())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for path, want := range map[string]int{
		"/api/v1/models": 200, "/api/v1/models/x": 404, "/api/v1/events": 200, "/api/v1/runbooks": 200,
		"/api/v1/runbooks/feature-drift": 200, "/api/v1/audit/verify": 200, "/api/v1/query": http.StatusTeapot,
	} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, path)
	}
	resp, err := http.Post(srv.URL+"/api/v1/write", "application/x-protobuf", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
}

func TestModelsFromConfig(t *testing.T) {
	var doc struct {
		Models yaml.Node `yaml:"models"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(`
models:
  - name: fraud
    owner: risk-team
    actuator: {kind: exec, command: [kubectl, -n, serving, rollout, undo, deploy/fraud], timeout_seconds: 60}
`), &doc))
	models, err := metaapi.DecodeModels(&doc.Models)
	require.NoError(t, err)
	dir := t.TempDir()
	for range 2 { // the second start finds nothing to change
		svc, err := metaapi.Open(context.Background(), metaapi.Config{Dir: dir, Models: models})
		require.NoError(t, err)
		st, err := svc.Registry.Get(context.Background(), "fraud")
		require.NoError(t, err)
		assert.Equal(t, uint64(1), st.Revision)
		assert.Equal(t, []string{"kubectl", "-n", "serving", "rollout", "undo", "deploy/fraud"}, st.Actuator.Command)
		require.NoError(t, svc.Close())
	}
	require.NoError(t, yaml.Unmarshal([]byte("models:\n  - {name: x, actuatr: {kind: file}}\n"), &doc))
	_, err = metaapi.DecodeModels(&doc.Models)
	assert.ErrorContains(t, err, "actuatr")
	_, err = metaapi.Open(context.Background(), metaapi.Config{Dir: t.TempDir(), Models: []metaapi.ModelConfig{{Name: "x", Actuator: actuator.Config{Kind: "ftp"}}}})
	assert.ErrorContains(t, err, "models[0] (x)")
}
