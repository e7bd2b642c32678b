package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const exampleLine = `{"model":"fraud","version":"v7","role":"production","request_id":"r-1","ts":"2026-11-26T10:00:00.123Z","latency_ms":12.5,"features":{"amount":12.5,"country":"DE"},"prediction":0.83,"status":"ok"}`

func line(model, id string, ms int, feats string) string {
	return fmt.Sprintf(`{"model":%q,"version":"v7","request_id":%q,"ts":%d,"latency_ms":%d,"features":{%s},"prediction":0.5}`,
		model, id, 1795687200000+ms, ms%50, feats)
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

func TestIngestEncodingsAndExport(t *testing.T) {
	e := newEnv(t, Limits{})
	for i, enc := range []encoding{plain, gzipE, zstdE} {
		body := lines(exampleLine, line("fraud", fmt.Sprintf("e-%d", i), i, `"amount":3,"country":"FR"`))
		code, resp := e.post("/api/v1/predictions", enc, body)
		require.Equal(t, http.StatusOK, code, "%s: %+v", enc, resp)
		assert.Equal(t, IngestResponse{Accepted: 2}, resp)
	}
	got := e.exportLines("fraud")
	require.Len(t, got, 6)
	// Records come out in time order: the examples (10:00:00.123) last.
	for _, l := range got[3:] {
		assert.JSONEq(t, exampleLine, l, "export prints back what was sent")
	}
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(got[0]), &first))
	assert.Equal(t, "e-0", first["request_id"])

	code, body := e.export(url.Values{"model": {"fraud"}, "format": {"csv"}, "from": {"1795687200"}, "to": {"1795687200.002"}})
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ts,model,version,role,request_id,latency_ms,status,injected,prediction,amount,country\n"+
		"2026-11-26T10:00:00.000Z,fraud,v7,production,e-0,0,ok,false,0.5,3,FR\n"+
		"2026-11-26T10:00:00.001Z,fraud,v7,production,e-1,1,ok,false,0.5,3,FR\n", body)

	for _, bad := range []url.Values{{}, {"model": {"fraud"}, "format": {"xml"}}, {"model": {"fraud"}, "from": {"yesterday"}},
		{"model": {"fraud"}, "from": {"1795687200000"}}, {"model": {"fraud"}, "from": {"now"}, "to": {"-1h"}}} {
		code, _ := e.export(bad)
		assert.Equal(t, http.StatusBadRequest, code, bad.Encode())
	}
}

// TestBadInputLosesNothing posts one bad request after another and checks
// after each that every record accepted so far (and only those) reads back.
func TestBadInputLosesNothing(t *testing.T) {
	e := newEnv(t, Limits{MaxLineBytes: 4096, MaxBodyBytes: 64 << 10, MaxRecords: 50})
	code, msg := e.put("/api/v1/contracts/fraud", `
model: fraud
features:
  amount: {type: numerical, min: 0, max: 1000}
  country: {type: categorical, categories: [DE, FR]}
`)
	require.Equal(t, http.StatusOK, code, msg)

	huge := line("fraud", "huge", 1, `"amount":1,"country":"`+strings.Repeat("x", 5000)+`"`)
	type lineErr struct {
		line  int
		field string
	}
	cases := []struct {
		name     string
		enc      encoding
		body     string
		code     int
		accepted int
		errs     []lineErr
	}{
		{"good", plain, lines(line("fraud", "a1", 1, `"amount":1,"country":"DE"`)), 200, 1, nil},
		{"malformed JSON between good lines", plain, lines(
			line("fraud", "b1", 2, `"amount":2,"country":"DE"`),
			`{"model":"fraud","version":"v7",`,
			line("fraud", "b2", 3, `"amount":3,"country":"DE"`)), 400, 2, []lineErr{{2, ""}}},
		{"wrong types", gzipE, lines(
			`{"model":"fraud","version":"v7","latency_ms":"slow"}`,
			`{"model":"fraud","version":"v7","features":{"amount":[1]}}`,
			`{"model":["fraud"],"version":"v7"}`,
			line("fraud", "c1", 4, `"amount":4,"country":"DE"`)), 400, 1, []lineErr{{1, "latency_ms"}, {2, "features.amount"}, {3, "model"}}},
		{"huge line is one bad line", zstdE, lines(huge, line("fraud", "d1", 5, `"amount":5,"country":"DE"`)), 400, 1, []lineErr{{1, ""}}},
		{"unknown model is accepted", plain, lines(line("newmodel", "n1", 6, `"x":1`)), 200, 1, nil},
		{"NaN and Inf as text are stored and flagged", plain, lines(
			line("fraud", "f1", 7, `"amount":"NaN","country":"DE"`),
			line("fraud", "f2", 8, `"amount":"-Infinity","country":"DE"`)), 200, 2, nil},
		{"NaN literal is malformed JSON", plain, lines(line("fraud", "f3", 9, `"amount":NaN`)), 400, 0, []lineErr{{1, "features.amount"}}},
		{"blank lines and CRLF", plain, "\r\n" + line("fraud", "g1", 10, `"amount":6,"country":"DE"`) + "\r\n\n", 200, 1, nil},
	}
	accepted := map[string]int{}
	for _, c := range cases {
		code, resp := e.post("/api/v1/predictions", c.enc, c.body)
		require.Equal(t, c.code, code, "%s: %+v", c.name, resp)
		assert.Equal(t, c.accepted, resp.Accepted, c.name)
		assert.Equal(t, len(c.errs), resp.Rejected, c.name)
		for i, le := range c.errs {
			require.Less(t, i, len(resp.Errors), c.name)
			assert.Equal(t, le.line, resp.Errors[i].Line, c.name)
			assert.Equal(t, le.field, resp.Errors[i].Field, "%s: %s", c.name, resp.Errors[i].Error)
			assert.NotEmpty(t, resp.Errors[i].Error)
		}
		for _, l := range strings.Split(c.body, "\n") {
			if strings.Contains(l, `"model":"newmodel"`) {
				accepted["newmodel"]++
			}
		}
		accepted["fraud"] += c.accepted - strings.Count(c.body, `"model":"newmodel"`)
		assert.Len(t, e.exportLines("fraud"), accepted["fraud"], "after %s", c.name)
	}

	// Whole-request failures store nothing.
	tooMany := strings.Repeat(line("fraud", "m", 11, `"amount":1,"country":"DE"`)+"\n", 51)
	tooBig := strings.Repeat(line("fraud", "big", 12, `"amount":1,"country":"DE"`)+"\n", 1000)
	for _, c := range []struct {
		name string
		enc  encoding
		body string
		code int
	}{
		{"too many records", plain, tooMany, http.StatusRequestEntityTooLarge},
		{"body over limit", plain, tooBig, http.StatusRequestEntityTooLarge},
		{"gzip bomb over the decoded limit", gzipE, tooBig, http.StatusRequestEntityTooLarge},
	} {
		code, resp := e.post("/api/v1/predictions", c.enc, c.body)
		assert.Equal(t, c.code, code, c.name)
		assert.Contains(t, resp.Error, "nothing was stored", c.name)
		assert.Len(t, e.exportLines("fraud"), accepted["fraud"], "after %s", c.name)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/predictions", strings.NewReader("garbage"))
	req.Header.Set("Content-Encoding", "gzip")
	code, resp := e.do(req)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, resp.Error, "gzip")
	req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/predictions", strings.NewReader(exampleLine))
	req.Header.Set("Content-Encoding", "br")
	code, _ = e.do(req)
	assert.Equal(t, http.StatusUnsupportedMediaType, code)

	// Schema change mid-stream: amount becomes categorical.
	code, msg = e.put("/api/v1/contracts/fraud", "model: fraud\nfeatures:\n  amount: {type: categorical, categories: [low, high]}\n  country: {type: categorical}\n")
	require.Equal(t, http.StatusOK, code, msg)
	code, resp = e.post("/api/v1/predictions", plain, lines(
		line("fraud", "s1", 20, `"amount":"low","country":"DE"`),
		line("fraud", "s2", 21, `"amount":"mid","country":"XX"`),
		line("fraud", "s3", 22, `"amount":7,"country":"DE"`)))
	require.Equal(t, http.StatusOK, code, "%+v", resp)
	accepted["fraud"] += 3

	v := e.series(time.UnixMilli(1795687300000), "mle_schema_violations_total")
	assert.Equal(t, map[string]float64{
		`{feature="amount", kind="non_finite", model="fraud", version="v7"}`:      2,
		`{feature="amount", kind="unseen_category", model="fraud", version="v7"}`: 1,
		`{feature="amount", kind="wrong_type", model="fraud", version="v7"}`:      1,
	}, v)
	traffic := e.series(time.UnixMilli(1795687300000), "mle_predictions_total")
	assert.Equal(t, float64(accepted["fraud"]), traffic[`{model="fraud", role="production", status="ok", version="v7"}`])
	assert.Equal(t, 1.0, traffic[`{model="newmodel", role="production", status="ok", version="v7"}`])

	// A restart keeps every record and the contract.
	e.reopen(Limits{})
	assert.Len(t, e.exportLines("fraud"), accepted["fraud"])
	assert.Len(t, e.exportLines("newmodel"), 1)
	require.NotNil(t, e.checker.Get("fraud", "v7"))
	assert.Equal(t, "categorical", e.checker.Get("fraud", "v7").Features["amount"].Type)
}

func TestContractAndBaselineValidation(t *testing.T) {
	e := newEnv(t, Limits{})
	for _, c := range []struct{ path, body, want string }{
		{"/api/v1/contracts/fraud", "model: churn\nfeatures:\n  a: {type: numerical}\n", "URL names"},
		{"/api/v1/contracts/fraud", "model: fraud\nfeatures:\n  a: {type: number}\n", "numerical or categorical"},
		{"/api/v1/contracts/fraud", "model: fraud\nfeatures:\n  a: {type: numerical, min: 3, max: 1}\n", "above max"},
		{"/api/v1/contracts/fraud", "model: fraud\nfeatres: {}\n", "field featres not found"},
		{"/api/v1/baselines/fraud/v1", `{"model":"fraud","version":"v2","features":[]}`, "URL names"},
		{"/api/v1/baselines/fraud/v1", `{"model":"fraud","version":"v1","features":[{"name":"a","type":"text"}]}`, "numerical or categorical"},
		{"/api/v1/baselines/fraud/v1", `not json`, "baseline profile"},
	} {
		code, body := e.put(c.path, c.body)
		assert.Equal(t, http.StatusBadRequest, code, c.body)
		assert.Contains(t, body, c.want)
	}
}

// A baseline the drift windows or the contract checker would refuse is
// answered 400 and not stored: it must not come back at the next restart.
func TestRefusedBaselineIsNotStored(t *testing.T) {
	e := newEnv(t, Limits{})
	code, body := e.put("/api/v1/baselines/fraud/v1", `{"model":"fraud","version":"v1","features":[]}`)
	require.Equal(t, http.StatusBadRequest, code, body)
	resp, err := http.Get(e.srv.URL + "/api/v1/baselines/fraud/v1")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a refused profile was stored")
}
