package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
