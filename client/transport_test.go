package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/api"
)

// The command line's wording (WithOperatorErrors): the token goes out, the
// body and parameters arrive, a refusal names its status first and a route
// the collector lacks says so.
func TestOperatorErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"status":"success","data":{"auth":"`+r.Header.Get("Authorization")+`","q":"`+r.URL.Query().Get("q")+`","body":`+string(body)+`}}`)
		case "/denied":
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"status":"error","errorType":"forbidden","error":"role viewer may not roll back"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL+"/", WithToken("t0k"), WithOperatorErrors())
	require.NoError(t, err)

	var out struct {
		Auth, Q string
		Body    map[string]int
	}
	require.NoError(t, c.call(context.Background(), http.MethodPost, "/ok", url.Values{"q": {"x"}}, map[string]int{"n": 3}, &out))
	assert.Equal(t, "Bearer t0k", out.Auth)
	assert.Equal(t, "x", out.Q)
	assert.Equal(t, 3, out.Body["n"])

	tests := []struct {
		path, wantMsg string
		wantCode      int
	}{
		{"/denied", "forbidden (403): role viewer may not roll back", http.StatusForbidden},
		{"/missing", "not found (404): /missing is not served by this collector (404 page not found)", http.StatusNotFound},
	}
	for _, tc := range tests {
		err := c.call(context.Background(), http.MethodGet, tc.path, nil, nil, nil)
		var apiErr *APIError
		require.True(t, errors.As(err, &apiErr), "%v", err)
		assert.Equal(t, tc.wantCode, apiErr.StatusCode)
		assert.Equal(t, tc.wantMsg, err.Error())
		assert.NotErrorIs(t, err, ErrNotConfigured, "the command line reports the route, not 'not configured'")
	}

	_, err = New("ftp://x")
	require.Error(t, err)
}

// A collector that does not answer is named with the network's reason, not
// Go's `Get "URL": dial tcp …` chain; the chain is still unwrappable.
func TestUnreachableWording(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	host := srv.Listener.Addr().String()
	srv.Close() // nothing listens there now
	c, err := New("http://" + host)
	require.NoError(t, err)
	err = c.Ready(context.Background())
	require.Error(t, err)
	assert.Equal(t, "collector "+host+" unreachable: connect: connection refused", err.Error())
	var ue *UnreachableError
	require.ErrorAs(t, err, &ue)
	var uerr *url.Error
	assert.ErrorAs(t, err, &uerr, "the transport's error is kept")
}

// The acting-for name goes out on every request: from the option, else
// from the request's context; without either, no header at all.
func TestActingForHeader(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vs := r.Header.Values(api.HeaderActingFor)
		got = append(got, strings.Join(vs, ","))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"success","data":{}}`)
	}))
	defer srv.Close()
	tests := []struct {
		name string
		opts []Option
		ctx  context.Context
		want string
	}{
		{"none", nil, context.Background(), ""},
		{"option", []Option{WithToken("gw"), WithActingFor("oncall-alice")}, context.Background(), "oncall-alice"},
		{"context", []Option{WithToken("gw")}, ContextWithActingFor(context.Background(), "oncall-bob"), "oncall-bob"},
		{"option wins over context", []Option{WithActingFor("oncall-alice")}, ContextWithActingFor(context.Background(), "oncall-bob"), "oncall-alice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			c, err := New(srv.URL, tc.opts...)
			require.NoError(t, err)
			require.NoError(t, c.call(tc.ctx, http.MethodGet, "/x", nil, nil, nil))
			require.NoError(t, c.call(tc.ctx, http.MethodPost, "/y", nil, map[string]int{}, nil))
			assert.Equal(t, []string{tc.want, tc.want}, got)
		})
	}
}
