package testutil

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Do sends method url with body, as bearer token (none when token is
// empty), and returns the status code and the whole response body. A
// transport error fails the test.
func Do(t testing.TB, method, url, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, b := Send(t, req)
	return resp.StatusCode, b
}

// Send sends req with the default client and returns the response, its body
// already read whole and closed. A transport error fails the test.
func Send(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

// DoJSON is Do for endpoints that answer a JSON object: it decodes the body
// into a map and fails the test, quoting the body, when it is not one.
func DoJSON(t testing.TB, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	code, b := Do(t, method, url, token, body)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out), string(b))
	return code, out
}

// ExportedRecords reads a model's prediction records back through the
// collector's NDJSON export at base (from 2000 on), as JSON objects with
// numbers kept as json.Number, sorted by request id.
func ExportedRecords(t testing.TB, base, model string) []map[string]any {
	t.Helper()
	q := url.Values{"model": {model}, "from": {"2000-01-01T00:00:00Z"}}
	code, b := Do(t, http.MethodGet, base+"/api/v1/predictions/export?"+q.Encode(), "", "")
	require.Equal(t, http.StatusOK, code, string(b))
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for dec.More() {
		var m map[string]any
		require.NoError(t, dec.Decode(&m))
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]["request_id"]) < fmt.Sprint(out[j]["request_id"]) })
	return out
}
