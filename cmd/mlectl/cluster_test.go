package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestModelsListCluster: a collector of a cluster marks each model with
// its owner collector; models list shows it in a COLLECTOR column, and
// "(down)" for an owner the collector could not reach.
func TestModelsListCluster(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/api/v1/models", r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":[
{"name":"demand","actuator":{"kind":"file"},"production":"v3","versions":[],"collector":{"name":"collector-a","url":"http://10.0.0.1:9710","reachable":true}},
{"name":"fraud","actuator":{"kind":"file"},"production":"v7","versions":[],"collector":{"name":"collector-b","url":"http://10.0.0.2:9710","reachable":false,"error":"connection refused"}}]}`))
	}))
	t.Cleanup(srv.Close)
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"models", "list", "--collector", srv.URL}, &out, &errb), errb.String())
	assert.Regexp(t, `MODEL\s+PRODUCTION\s+CANARY\s+SHADOW\s+VERSIONS\s+ACTUATOR\s+OWNER\s+COLLECTOR`, out.String())
	assert.Regexp(t, `demand\s+v3\s+-\s+-\s+0\s+file\s+-\s+collector-a\n`, out.String())
	assert.Regexp(t, `fraud\s+v7\s+-\s+-\s+0\s+file\s+-\s+collector-b \(down\)\n`, out.String())
}
