package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIngestRefusesTimestampsOutOfBounds: a prediction ts far in the past
// or the future is refused like a remote-write sample (issue 12 item 8),
// naming the field; the good lines of the request are stored.
func TestIngestRefusesTimestampsOutOfBounds(t *testing.T) {
	now := time.Now()
	line := func(id string, ts any) string {
		return fmt.Sprintf(`{"model":"fraud","version":"v1","request_id":%q,"ts":%v,"features":{"amount":1}}`+"\n", id, ts)
	}
	for _, tc := range []struct {
		name   string
		limits Limits
		ts     any
		want   string
	}{
		{"1900", Limits{}, `"1900-01-01T00:00:00Z"`, "too_old: 1900-01-01T00:00:00Z"},
		{"2999", Limits{}, `"2999-01-01T00:00:00Z"`, "too_far_in_future: 2999-01-01T00:00:00Z is more than 10m0s ahead"},
		{"an hour ahead", Limits{}, now.Add(time.Hour).UnixMilli(), "too_far_in_future"},
		{"older than the retention the collector sets", Limits{MaxAge: DefaultRetention}, now.Add(-31 * 24 * time.Hour).UnixMilli(), "too_old"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.limits)
			code, resp := e.post("/api/v1/predictions", plain, line("bad", tc.ts)+line("good", now.UnixMilli()))
			require.Equal(t, http.StatusBadRequest, code)
			assert.Equal(t, 1, resp.Accepted)
			require.Len(t, resp.Errors, 1)
			assert.Equal(t, 1, resp.Errors[0].Line)
			assert.Equal(t, "ts", resp.Errors[0].Field)
			assert.Contains(t, resp.Errors[0].Error, tc.want)
			lines := e.exportLines("fraud")
			require.Len(t, lines, 1)
			assert.Contains(t, lines[0], `"request_id":"good"`)
		})
	}
	// Disabled bounds accept anything the decoder takes.
	e := newEnv(t, Limits{MaxAge: -1, MaxFutureSkew: -1})
	code, resp := e.post("/api/v1/predictions", plain, line("a", `"1900-01-01T00:00:00Z"`)+line("b", `"2999-01-01T00:00:00Z"`))
	require.Equal(t, http.StatusOK, code, resp.Errors)
}
