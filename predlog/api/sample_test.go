package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func (e *sliEnv) sample(params url.Values) (int, []byte) {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + "/api/v1/predictions/sample?" + params.Encode())
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, b
}

// The sample is the newest record of the span that carries explanations,
// else the newest record; a span without records, a missing model and a
// span over the limit are refused with the field named.
func TestSampleRecord(t *testing.T) {
	e := newSLIEnv(t)
	t0 := time.Now().Add(-2 * time.Minute).Truncate(time.Second)
	// m1: records 0 and 1 explained, record 2 (the newest) not.
	code, res := e.post("/api/v1/predictions", explainedLines("m1", t0, []explained{
		{"temp": 0.5, "hour": -0.1}, {"temp": 0.25, "hour": -0.75}, nil,
	}))
	require.Equal(t, http.StatusOK, code, "%+v", res)
	// m2: nothing explained.
	code, res = e.post("/api/v1/predictions", explainedLines("m2", t0, []explained{nil, nil}))
	require.Equal(t, http.StatusOK, code, "%+v", res)

	type record struct {
		Model        string             `json:"model"`
		RequestID    string             `json:"request_id"`
		Features     map[string]any     `json:"features"`
		Explanations map[string]float64 `json:"explanations"`
	}
	ms := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	for _, tc := range []struct {
		name   string
		params url.Values
		status int
		id     string             // the record sampled
		expl   map[string]float64 // its contributions
		field  string             // the field a refusal names
	}{
		{name: "newest explained record", params: url.Values{"model": {"m1"}}, status: 200, id: "m1-1",
			expl: map[string]float64{"temp": 0.25, "hour": -0.75}},
		{name: "version filter", params: url.Values{"model": {"m1"}, "version": {"v1"}}, status: 200, id: "m1-1",
			expl: map[string]float64{"temp": 0.25, "hour": -0.75}},
		{name: "no explanations: newest record", params: url.Values{"model": {"m2"}}, status: 200, id: "m2-1"},
		{name: "span before the records", params: url.Values{"model": {"m1"}, "to": {ms(t0.Add(-time.Second))}}, status: 404, field: "model:"},
		{name: "unknown model", params: url.Values{"model": {"nope"}}, status: 404, field: "model:"},
		{name: "model missing", params: url.Values{}, status: 400, field: "model:"},
		{name: "span over an hour", params: url.Values{"model": {"m1"}, "from": {"-2h"}}, status: 400, field: "from:"},
		{name: "from after to", params: url.Values{"model": {"m1"}, "from": {"now"}, "to": {"-1m"}}, status: 400, field: "from:"},
		{name: "bad to", params: url.Values{"model": {"m1"}, "to": {"yesterday"}}, status: 400, field: "to:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.sample(tc.params)
			require.Equal(t, tc.status, status, "%s", body)
			if tc.status != 200 {
				var ie IngestResponse
				require.NoError(t, json.Unmarshal(body, &ie), "%s", body)
				assert.Contains(t, ie.Error, tc.field)
				return
			}
			var got record
			require.NoError(t, json.Unmarshal(body, &got), "%s", body)
			assert.Equal(t, tc.id, got.RequestID)
			assert.Equal(t, tc.expl, got.Explanations)
			assert.Contains(t, got.Features, "temp")
		})
	}
}

// The sample shows what users got: without a version or role, the newest
// serving (production or canary) record, even when the shadow scored the
// same request later; role picks the shadow's, an unknown role is refused.
func TestSampleRecordRole(t *testing.T) {
	e := newSLIEnv(t)
	t0 := time.Now().Add(-time.Minute).UnixMilli()
	var lines string
	for i, r := range []struct{ version, role string }{
		{"v12", "production"}, {"v13", "shadow"}, {"v12", "production"}, {"v13", "shadow"},
	} {
		lines += fmt.Sprintf(`{"model":"demand","version":%q,"role":%q,"request_id":"r-%d","ts":%d,"features":{"temp":1},"prediction":1,"explanations":{"temp":0.5}}`+"\n",
			r.version, r.role, i, t0+int64(i))
	}
	code, res := e.post("/api/v1/predictions", lines)
	require.Equal(t, http.StatusOK, code, "%+v", res)

	for _, tc := range []struct {
		name            string
		params          url.Values
		status          int
		id, version     string
		role, errorText string
	}{
		{name: "default: the serving version", params: url.Values{"model": {"demand"}}, status: 200, id: "r-2", version: "v12", role: "production"},
		{name: "role serving", params: url.Values{"model": {"demand"}, "role": {"serving"}}, status: 200, id: "r-2", version: "v12", role: "production"},
		{name: "role shadow", params: url.Values{"model": {"demand"}, "role": {"shadow"}}, status: 200, id: "r-3", version: "v13", role: "shadow"},
		{name: "a version: its records", params: url.Values{"model": {"demand"}, "version": {"v13"}}, status: 200, id: "r-3", version: "v13", role: "shadow"},
		{name: "no canary", params: url.Values{"model": {"demand"}, "role": {"canary"}}, status: 404, errorText: "model: no record of demand (role canary)"},
		{name: "a typo", params: url.Values{"model": {"demand"}, "role": {"shadwo"}}, status: 400, errorText: `role: "shadwo" is not one of serving, production, canary, shadow`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.sample(tc.params)
			require.Equal(t, tc.status, status, "%s", body)
			if tc.status != 200 {
				var ie IngestResponse
				require.NoError(t, json.Unmarshal(body, &ie), "%s", body)
				assert.Contains(t, ie.Error, tc.errorText)
				return
			}
			var got struct {
				RequestID string `json:"request_id"`
				Version   string `json:"version"`
				Role      string `json:"role"`
			}
			require.NoError(t, json.Unmarshal(body, &got), "%s", body)
			assert.Equal(t, tc.id, got.RequestID)
			assert.Equal(t, tc.version, got.Version)
			assert.Equal(t, tc.role, got.Role)
		})
	}
}
