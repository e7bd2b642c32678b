package api

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNDJSONEndpointsShareLimits runs the body, limit and line rules of
// readLines through both NDJSON endpoints: a whole-request failure stores
// nothing, bad and over-long lines are rejected one by one while the good
// ones are stored, and each endpoint names its own unit in the 413.
func TestNDJSONEndpointsShareLimits(t *testing.T) {
	const maxLine = 400
	e := newEnv(t, Limits{MaxRecords: 3, MaxLineBytes: maxLine, MaxBodyBytes: 2000, MaxDecodedBytes: 3000})
	endpoints := []struct {
		path   string
		noun   string
		line   func(id string) string
		badFld string
		bad    string
		stored func() []string
	}{
		{
			path: "/api/v1/predictions", noun: "records",
			line: func(id string) string {
				return `{"model":"m","version":"v1","request_id":"` + id + `","ts":1795687200000,"prediction":0.5}`
			},
			badFld: "prediction", bad: `{"model":"m","version":"v1","request_id":"bad","ts":1795687200000,"prediction":[}`,
			stored: func() []string {
				var ids []string
				for _, l := range e.exportLines("m") {
					var id string
					_, err := fmt.Sscanf(l[strings.Index(l, `"request_id":`)+len(`"request_id":`):], "%q", &id)
					require.NoError(t, err, l)
					ids = append(ids, id)
				}
				sort.Strings(ids)
				return ids
			},
		},
		{
			path: "/api/v1/feedback", noun: "labels",
			line:   func(id string) string { return `{"request_id":"` + id + `","label":1,"ts":1795687200000}` },
			badFld: "label", bad: `{"request_id":"bad","label":}`,
			stored: func() []string {
				var ids []string
				require.NoError(t, e.log.ListMeta(context.Background(), nsLabel, func(key string, _ []byte) error {
					ids = append(ids, key)
					return nil
				}))
				sort.Strings(ids)
				return ids
			},
		},
	}
	long := `{"request_id":"long","pad":"` + strings.Repeat("x", maxLine) + `"}`
	for _, ep := range endpoints {
		t.Run(ep.path, func(t *testing.T) {
			l := ep.line
			// Accepted first, so the failures after it can be seen to leave it intact.
			code, resp := e.post(ep.path, gzipE, lines(l("a"), "", ep.bad, l("b")))
			require.Equal(t, http.StatusBadRequest, code, "%+v", resp)
			assert.Equal(t, 2, resp.Accepted)
			require.Len(t, resp.Errors, 1)
			assert.Equal(t, LineError{Line: 3, Field: ep.badFld, Error: resp.Errors[0].Error}, resp.Errors[0])

			code, resp = e.post(ep.path, zstdE, lines(l("c"), long, l("d")))
			require.Equal(t, http.StatusBadRequest, code, "%+v", resp)
			assert.Equal(t, 2, resp.Accepted)
			assert.Equal(t, []LineError{{Line: 2, Error: fmt.Sprintf("line is longer than %d bytes", maxLine)}}, resp.Errors)
			want := []string{"a", "b", "c", "d"}
			assert.Equal(t, want, ep.stored())

			fails := []struct {
				name string
				enc  encoding
				body string
				code int
				msg  string
			}{
				{"too many lines", plain, lines(l("e1"), l("e2"), l("e3"), l("e4")), http.StatusRequestEntityTooLarge,
					"more than 3 " + ep.noun + " in one request; nothing was stored"},
				{"bad lines do not count", plain, lines(l("f1"), ep.bad, ep.bad, l("f2"), l("f3"), l("f4")), http.StatusRequestEntityTooLarge,
					"more than 3 " + ep.noun},
				{"body over the limit", plain, l("g") + strings.Repeat("\n", 2000), http.StatusRequestEntityTooLarge,
					"request body is over the limit of 2000 bytes; nothing was stored"},
				{"decoded body over the limit", gzipE, l("h") + strings.Repeat("\n", 3000), http.StatusRequestEntityTooLarge,
					"decoded body is over the limit; nothing was stored"},
			}
			for _, f := range fails {
				code, resp := e.post(ep.path, f.enc, f.body)
				assert.Equal(t, f.code, code, "%s: %+v", f.name, resp)
				assert.Contains(t, resp.Error, f.msg, f.name)
				assert.Equal(t, want, ep.stored(), "after %s", f.name)
			}
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+ep.path, strings.NewReader(l("i")))
			require.NoError(t, err)
			req.Header.Set("Content-Encoding", "br")
			code, resp = e.do(req)
			assert.Equal(t, http.StatusUnsupportedMediaType, code)
			assert.Contains(t, resp.Error, `Content-Encoding "br" is not supported`)
			assert.Equal(t, want, ep.stored())
		})
	}
}
