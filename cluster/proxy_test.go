package cluster_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/cluster"
)

// served answers "<name> <method> <path>?<query> <body>
// auth=<Authorization>": what a collector serves itself.
func served(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, name+" "+r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+" "+string(b)+" auth="+r.Header.Get("Authorization"))
	})
}

// TestProxyRouting: a call about a model is served by its owner (model in
// the path, the parameter or the body), ?collector= picks a collector, a
// forwarded call is never forwarded again, and an unknown collector, an
// unowned model or a down owner get answers that name them.
func TestProxyRouting(t *testing.T) {
	la, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lb, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	urlA, urlB := "http://"+la.Addr().String(), "http://"+lb.Addr().String()
	cfg := func(self, url string, models []string, peer, peerURL string, peerModels []string) cluster.Config {
		return cluster.Config{Name: self, URL: url, Models: models, Ownership: cluster.OwnershipList,
			Peers: []cluster.Peer{{Name: peer, URL: peerURL, Models: peerModels}}}
	}
	// start serves c's routes on l; the returned func stops it.
	start := func(l net.Listener, c cluster.Config) (stop func()) {
		p := cluster.NewProxy(cluster.NewDirectory(c, nil), nil)
		mux := http.NewServeMux()
		mux.Handle("/api/v1/models/{model}/rollback", p.Wrap(served(c.Name), cluster.ByPath))
		mux.Handle("GET /api/v1/events", p.Wrap(served(c.Name), cluster.ByQuery))
		mux.Handle("POST /api/v1/runbooks/{id}/steps/{step}", p.Wrap(served(c.Name), cluster.ByBody))
		mux.Handle("/api/v1/audit", p.Wrap(served(c.Name), nil))
		srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
		srv.Start()
		t.Cleanup(srv.Close)
		return srv.Close
	}
	start(la, cfg("a", urlA, []string{"demand"}, "b", urlB, []string{"fraud"}))
	stopB := start(lb, cfg("b", urlB, []string{"fraud"}, "a", urlA, []string{"demand"}))

	call := func(method, url, body string, header ...string) (int, string, http.Header) {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer tok")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	for _, tc := range []struct {
		name, method, path, body string
		header                   []string
		code                     int
		want                     string
	}{
		{"own model by path", "POST", "/api/v1/models/demand/rollback", `{}`, nil, 200, "a POST /api/v1/models/demand/rollback? {} auth=Bearer tok"},
		{"peer's model by path", "POST", "/api/v1/models/fraud/rollback", `{"reason":"x"}`, nil, 200, `b POST /api/v1/models/fraud/rollback? {"reason":"x"} auth=Bearer tok`},
		{"peer's model by parameter", "GET", "/api/v1/events?model=fraud&kind=action", "", nil, 200, "b GET /api/v1/events?model=fraud&kind=action  auth=Bearer tok"},
		{"no model: local", "GET", "/api/v1/events", "", nil, 200, "a GET /api/v1/events?  auth=Bearer tok"},
		{"peer's model in a step's vars", "POST", "/api/v1/runbooks/rb/steps/2", `{"vars":{"model":"fraud"}}`, nil, 200, `b POST /api/v1/runbooks/rb/steps/2? {"vars":{"model":"fraud"}} auth=Bearer tok`},
		{"?collector= picks b", "GET", "/api/v1/audit?collector=b&limit=5", "", nil, 200, "b GET /api/v1/audit?limit=5  auth=Bearer tok"},
		{"?collector= naming self", "GET", "/api/v1/audit?collector=a", "", nil, 200, "a GET /api/v1/audit?  auth=Bearer tok"},
		{"a forwarded call is served where it lands", "POST", "/api/v1/models/fraud/rollback", `{}`, []string{cluster.HeaderForwardedBy, "b"}, 200, "a POST"},
		{"unknown collector", "GET", "/api/v1/audit?collector=zed", "", nil, 404, `parameter collector: \"zed\" is not a collector of this cluster`},
		{"unowned model under ownership: list", "POST", "/api/v1/models/churn/rollback", `{}`, nil, 404, `model \"churn\" is in no collector's cluster.models`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, h := call(tc.method, urlA+tc.path, tc.body, tc.header...)
			assert.Equal(t, tc.code, code, body)
			assert.Contains(t, body, tc.want)
			if strings.HasPrefix(tc.want, "b ") {
				assert.Equal(t, "b", h.Get(cluster.HeaderServedBy))
			}
		})
	}

	stopB()
	code, body, _ := call("POST", urlA+"/api/v1/models/fraud/rollback", `{}`)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, `model \"fraud\" is owned by collector b (`+urlB+`), which is unreachable`)
	code, body, _ = call("POST", urlA+"/api/v1/models/demand/rollback", `{}`)
	assert.Equal(t, http.StatusOK, code, "a's own models are unaffected")
	assert.Contains(t, body, "a POST")
}
