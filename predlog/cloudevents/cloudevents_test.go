package cloudevents

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var irisConfig = Config{Models: map[string]ModelConfig{
	"sklearn-iris":    {Model: "iris", Version: "1.0", CanaryVersion: "1.1", FeatureNames: []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}},
	"sklearn-v2-iris": {Model: "iris-v2", FeatureNames: []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}},
	"fraud":           {Version: "v7"},
}}

// TestKServeFixtures posts the KServe logger's own events (testdata) in
// both orders and checks the records that land: model, version, role,
// features by name, prediction, latency from the two Ce-Times, and one
// request id per instance of the batch.
func TestKServeFixtures(t *testing.T) {
	features := func(a, b, c, d string) map[string]any {
		return map[string]any{"sepal_length": json.Number(a), "sepal_width": json.Number(b), "petal_length": json.Number(c), "petal_width": json.Number(d)}
	}
	cases := []struct {
		name, model, fixture string
		responseFirst        bool
		// seldon re-types the pair as Seldon Core's executor sends it
		// (io.seldon.* types, no Ce-Component).
		seldon bool
		want   []map[string]any
	}{
		{name: "v1 request then response", model: "iris", fixture: "kserve_v1", want: []map[string]any{
			{"model": "iris", "version": "1.0", "role": "production", "request_id": "0009174a-24a8-4603-b098-09c8799950e9#0",
				"ts": "2021-04-10T00:23:26.078Z", "latency_ms": json.Number("1.783"), "features": features("6.8", "2.8", "4.8", "1.4"),
				"prediction": json.Number("1"), "status": "ok"},
			{"model": "iris", "version": "1.0", "role": "production", "request_id": "0009174a-24a8-4603-b098-09c8799950e9#1",
				"ts": "2021-04-10T00:23:26.078Z", "latency_ms": json.Number("1.783"), "features": features("6.0", "3.4", "4.5", "1.6"),
				"prediction": json.Number("1"), "status": "ok"},
		}},
		{name: "v2 response before request", model: "iris-v2", fixture: "kserve_v2", responseFirst: true, want: []map[string]any{
			{"model": "iris-v2", "version": "1.0", "role": "production", "request_id": "5e5a2b16-7c1c-4d39-9a2e-3c2f1b0d8e41#0",
				"ts": "2024-05-02T09:15:03.112Z", "latency_ms": json.Number("13.5"), "features": features("6.8", "2.8", "4.8", "1.4"),
				"prediction": json.Number("1"), "status": "ok"},
			{"model": "iris-v2", "version": "1.0", "role": "production", "request_id": "5e5a2b16-7c1c-4d39-9a2e-3c2f1b0d8e41#1",
				"ts": "2024-05-02T09:15:03.112Z", "latency_ms": json.Number("13.5"), "features": features("6.0", "3.4", "4.5", "1.6"),
				"prediction": json.Number("1"), "status": "ok"},
		}},
		{name: "Seldon Core types, v2 bodies", model: "iris-v2", fixture: "kserve_v2", seldon: true, want: []map[string]any{
			{"model": "iris-v2", "version": "1.0", "role": "production", "request_id": "5e5a2b16-7c1c-4d39-9a2e-3c2f1b0d8e41#0",
				"ts": "2024-05-02T09:15:03.112Z", "latency_ms": json.Number("13.5"), "features": features("6.8", "2.8", "4.8", "1.4"),
				"prediction": json.Number("1"), "status": "ok"},
			{"model": "iris-v2", "version": "1.0", "role": "production", "request_id": "5e5a2b16-7c1c-4d39-9a2e-3c2f1b0d8e41#1",
				"ts": "2024-05-02T09:15:03.112Z", "latency_ms": json.Number("13.5"), "features": features("6.0", "3.4", "4.5", "1.6"),
				"prediction": json.Number("1"), "status": "ok"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, irisConfig)
			first, second := readFixture(t, tc.fixture+"_request.http"), readFixture(t, tc.fixture+"_response.http")
			if tc.seldon {
				first = first.with("Ce-Type", "io.seldon.serving.inference.request", "Ce-Component", "")
				second = second.with("Ce-Type", "io.seldon.serving.inference.response", "Ce-Component", "")
			}
			if tc.responseFirst {
				first, second = second, first
			}
			code, resp := e.post(first)
			require.Equal(t, http.StatusAccepted, code, "%+v", resp)
			assert.True(t, resp.Pending)
			assert.Empty(t, e.records(tc.model), "nothing is stored before the pair is complete")
			code, resp = e.post(second)
			require.Equal(t, http.StatusOK, code, "%+v", resp)
			assert.Equal(t, 2, resp.Accepted)
			assert.Equal(t, tc.want, e.records(tc.model))
			assert.Equal(t, 0, e.ce.Stats().Pending)
		})
	}
}

// TestJoinWindow covers batches of object instances, a canary endpoint, v1
// class scores, a missing response (expires, counted, visible in the
// series), a redelivered (duplicate) Ce-Id and the count bound.
func TestJoinWindow(t *testing.T) {
	e := newEnv(t, Config{Models: irisConfig.Models, MaxPending: 3, MaxAge: time.Minute})
	req := func(id, body string, kv ...string) fixture {
		return newEvent(id, TypeKServeRequest, "fraud", body, kv...)
	}
	resp := func(id, body string, kv ...string) fixture {
		return newEvent(id, TypeKServeResponse, "fraud", body, kv...)
	}
	batch := `{"instances":[{"amount":12.5,"country":"DE"},{"amount":7,"country":"FR"},{"amount":0.25,"country":null}]}`
	code, r := e.post(req("b1", batch))
	require.Equal(t, http.StatusAccepted, code, "%+v", r)
	code, r = e.post(resp("b1", `{"predictions":[[0.9,0.1],[0.2,0.8],[0.5,0.5]]}`))
	require.Equal(t, http.StatusOK, code, "%+v", r)
	assert.Equal(t, 3, r.Accepted)

	// A redelivered response of a joined pair, and a redelivered pending request.
	code, r = e.post(resp("b1", `{"predictions":[[0.9,0.1],[0.2,0.8],[0.5,0.5]]}`))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, Response{Duplicate: true}, r)
	code, _ = e.post(req("c1", `{"instances":[{"amount":1,"country":"DE"}]}`, "Ce-Endpoint", "canary", "Ce-Annotations", `{"mlectl.io/version":"v8"}`))
	require.Equal(t, http.StatusAccepted, code)
	code, r = e.post(req("c1", `{"instances":[{"amount":999,"country":"XX"}]}`, "Ce-Endpoint", "canary"))
	assert.Equal(t, http.StatusOK, code)
	assert.True(t, r.Duplicate, "the first event of an id wins")
	code, r = e.post(resp("c1", `{"predictions":["fraud"]}`, "Ce-Endpoint", "canary"))
	require.Equal(t, http.StatusOK, code, "%+v", r)
	// A failed inference: the server's {"error": …} gives records of status error.
	code, _ = e.post(req("e1", `{"instances":[{"amount":-1,"country":"DE"},{"amount":2,"country":"DE"}]}`))
	require.Equal(t, http.StatusAccepted, code)
	code, r = e.post(resp("e1", `{"error":"Model fraud failed: amount must be positive"}`))
	require.Equal(t, http.StatusOK, code, "%+v", r)
	assert.Equal(t, 2, r.Accepted)

	recs := e.records("fraud")
	require.Len(t, recs, 6, "each instance once, duplicates dropped")
	for _, rec := range recs[4:] {
		assert.Equal(t, "error", rec["status"], rec["request_id"])
		assert.NotContains(t, rec, "prediction")
	}
	recs = recs[:4]
	assert.Equal(t, []string{"b1#0", "b1#1", "b1#2", "c1"}, []string{recs[0]["request_id"].(string), recs[1]["request_id"].(string), recs[2]["request_id"].(string), recs[3]["request_id"].(string)})
	assert.Equal(t, map[string]any{"amount": json.Number("7"), "country": "FR"}, recs[1]["features"])
	assert.Equal(t, map[string]any{"0": json.Number("0.2"), "1": json.Number("0.8")}, recs[1]["prediction"])
	assert.Equal(t, nil, recs[2]["features"].(map[string]any)["country"])
	assert.Equal(t, "v7", recs[0]["version"])
	assert.Equal(t, "production", recs[0]["role"])
	assert.NotContains(t, recs[0], "latency_ms", "no Ce-Time, no latency")
	assert.Equal(t, "canary", recs[3]["role"])
	assert.Equal(t, "v8", recs[3]["version"], "the mlectl.io/version annotation names the version")
	assert.Equal(t, map[string]any{"amount": json.Number("1"), "country": "DE"}, recs[3]["features"])
	assert.Equal(t, "fraud", recs[3]["prediction"])

	// Missing responses: two requests wait, expire after MaxAge.
	for _, id := range []string{"m1", "m2"} {
		code, _ = e.post(req(id, `{"instances":[{"amount":1,"country":"DE"}]}`))
		require.Equal(t, http.StatusAccepted, code)
	}
	assert.Equal(t, 2, e.ce.Stats().Pending)
	e.clock.add(61 * time.Second)
	code, _ = e.post(resp("m1", `{"predictions":[1]}`)) // too late: waits alone now
	require.Equal(t, http.StatusAccepted, code)
	// The count bound: three more halves push the oldest (m1's response) out.
	for _, id := range []string{"r1", "r2", "r3"} {
		code, _ = e.post(resp(id, `{"predictions":[1]}`))
		require.Equal(t, http.StatusAccepted, code)
	}
	assert.Equal(t, map[string]float64{
		`{__name__="mle_cloudevents_pending"}`:                                  3,
		`{__name__="mle_cloudevents_unmatched_total", reason="batch_mismatch"}`: 0,
		`{__name__="mle_cloudevents_unmatched_total", reason="duplicate"}`:      2,
		`{__name__="mle_cloudevents_unmatched_total", reason="invalid"}`:        0,
		`{__name__="mle_cloudevents_unmatched_total", reason="no_request"}`:     1,
		`{__name__="mle_cloudevents_unmatched_total", reason="no_response"}`:    2,
	}, e.series())
	assert.Len(t, e.records("fraud"), 6, "unmatched halves store nothing")
}

// TestStructuredMode posts application/cloudevents+json events, data as
// JSON and as data_base64.
func TestStructuredMode(t *testing.T) {
	e := newEnv(t, irisConfig)
	structured := func(typ, dataMember string) fixture {
		h := http.Header{}
		h.Set("Content-Type", "application/cloudevents+json; charset=utf-8")
		return fixture{header: h, body: fmt.Sprintf(`{"specversion":"1.0","id":"s1","type":%q,"source":"http://localhost:9081/",
			"time":"2026-12-06T09:59:59.5Z","inferenceservicename":"sklearn-iris","namespace":"default","component":"predictor",
			"endpoint":"canary","datacontenttype":"application/json",%s}`, typ, dataMember)}
	}
	code, r := e.post(structured(TypeKServeRequest, `"data":{"instances":[[5.1,3.5,1.4,0.2]]}`))
	require.Equal(t, http.StatusAccepted, code, "%+v", r)
	code, r = e.post(structured(TypeKServeResponse, `"data_base64":"`+base64.StdEncoding.EncodeToString([]byte(`{"predictions":[0]}`))+`"`))
	require.Equal(t, http.StatusOK, code, "%+v", r)
	recs := e.records("iris")
	require.Len(t, recs, 1)
	assert.Equal(t, "s1", recs[0]["request_id"])
	assert.Equal(t, "canary", recs[0]["role"])
	assert.Equal(t, "1.1", recs[0]["version"], "the canary endpoint's version from canary_version")
	assert.Equal(t, json.Number("0"), recs[0]["prediction"])
	assert.Equal(t, json.Number("0.2"), recs[0]["features"].(map[string]any)["petal_width"])
}

// TestBaselineNames: positional instances of a model without feature_names
// are named by its baseline's columns (uploaded over HTTP).
func TestBaselineNames(t *testing.T) {
	e := newEnv(t, Config{})
	code, r := e.post(newEvent("x", TypeKServeRequest, "bikes", `{"instances":[[1,2]]}`, "Ce-Annotations", `{"mlectl.io/version":"v1"}`))
	require.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, r.Error, `Ce-Inferenceservicename "bikes" is not a known model`)

	profile := `{"model":"bikes","version":"v1","rows":2,"features":[` +
		`{"name":"temp","type":"numerical","count":2,"nulls":0,"min":0.1,"max":0.5,"mean":0.3,"quantiles":[0.1,0.5]},` +
		`{"name":"hum","type":"numerical","count":2,"nulls":0,"min":0.2,"max":0.6,"mean":0.4,"quantiles":[0.2,0.6]}]}`
	req, err := http.NewRequest(http.MethodPut, e.srv.URL+"/api/v1/baselines/bikes/v1", strings.NewReader(profile))
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	code, r = e.post(newEvent("x", TypeKServeRequest, "bikes", `{"instances":[[0.25,0.5]]}`, "Ce-Annotations", `{"mlectl.io/version":"v1"}`))
	require.Equal(t, http.StatusAccepted, code, "%+v", r)
	code, r = e.post(newEvent("x", TypeKServeResponse, "bikes", `{"predictions":[42]}`, "Ce-Annotations", `{"mlectl.io/version":"v1"}`))
	require.Equal(t, http.StatusOK, code, "%+v", r)
	recs := e.records("bikes")
	require.Len(t, recs, 1)
	assert.Equal(t, map[string]any{"temp": json.Number("0.25"), "hum": json.Number("0.5")}, recs[0]["features"])
}

// TestBadEvents: every refused event answers 400 naming the header or the
// JSON path, and stores nothing.
func TestBadEvents(t *testing.T) {
	e := newEnv(t, Config{Models: irisConfig.Models, MaxBodyBytes: 4096})
	ok := newEvent("bad", TypeKServeRequest, "sklearn-iris", `{"instances":[[1,2,3,4]]}`)
	v2 := func(input string) fixture {
		return newEvent("bad", TypeKServeRequest, "sklearn-iris", `{"inputs":[`+input+`]}`)
	}
	cases := []struct {
		name string
		f    fixture
		code int
		want string
	}{
		{"no id", ok.with("Ce-Id", ""), 400, "Ce-Id missing"},
		{"no specversion", ok.with("Ce-Specversion", ""), 400, "Ce-Specversion missing"},
		{"old specversion", ok.with("Ce-Specversion", "0.3"), 400, `Ce-Specversion is "0.3"`},
		{"no source", ok.with("Ce-Source", ""), 400, "Ce-Source missing"},
		{"no type", ok.with("Ce-Type", ""), 400, "Ce-Type missing"},
		{"other type", ok.with("Ce-Type", "com.example.order"), 400, `Ce-Type "com.example.order" is not an inference request or response`},
		{"bad time", ok.with("Ce-Time", "yesterday"), 400, `Ce-Time "yesterday" is not an RFC 3339 time`},
		{"no service", ok.with("Ce-Inferenceservicename", ""), 400, "Ce-Inferenceservicename missing"},
		{"unknown model", ok.with("Ce-Inferenceservicename", "sklearn-irsi"), 400, `Ce-Inferenceservicename "sklearn-irsi" is not a known model`},
		{"no version", ok.with("Ce-Inferenceservicename", "sklearn-v2-iris"), 400, "Ce-Annotations has no mlectl.io/version"},
		{"bad annotations", ok.with("Ce-Annotations", "[1]"), 400, "Ce-Annotations is not a JSON object"},
		{"not json", fixture{ok.header, `{"instances":[[1,2,3,4]]`}, 400, "body is not valid JSON"},
		{"not an object", fixture{ok.header, `[1]`}, 400, "body must be a JSON object"},
		{"neither v1, v2 nor Seldon", fixture{ok.header, `{"rows":[[1]]}`}, 400, `instances missing: a v1 request has "instances"`},
		{"instances not array", fixture{ok.header, `{"instances":{"a":1}}`}, 400, "instances must be an array"},
		{"short instance", fixture{ok.header, `{"instances":[[1,2,3,4],[1,2,3]]}`}, 400, `instances[1] has 3 values but model "iris" has 4 feature names`},
		{"nested value", fixture{ok.header, `{"instances":[[1,2,[3],4]]}`}, 400, "instances[0][2] must be a number, string, boolean or null"},
		{"unknown feature", fixture{ok.header, `{"instances":[{"sepal_lenght":1}]}`}, 400, `instances[0].sepal_lenght is not a feature of model "iris"`},
		{"empty", fixture{ok.header, `{"instances":[]}`}, 400, "instances is empty"},
		{"v2 shape", v2(`{"name":"input-0","shape":[2,4],"datatype":"FP32","data":[1,2,3,4,5,6,7]}`), 400, "inputs[0].shape [2 4] holds 8 values but data has 7"},
		{"v2 no shape", v2(`{"name":"input-0","datatype":"FP32","data":[1,2,3,4]}`), 400, "inputs[0].shape missing"},
		{"v2 bad dim", v2(`{"name":"input-0","shape":[1,-4],"datatype":"FP32","data":[1,2,3,4]}`), 400, "inputs[0].shape[1] must be a size"},
		{"v2 datatype", v2(`{"name":"input-0","shape":[1,4],"datatype":"FLOAT","data":[1,2,3,4]}`), 400, `inputs[0].datatype "FLOAT" is not an Open Inference Protocol datatype`},
		{"v2 value kind", v2(`{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[1,"2",3,4]}`), 400, "inputs[0].data[1] is a string but the datatype wants a number"},
		{"v2 nested value kind", v2(`{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[[1,2,true,4]]}`), 400, "inputs[0].data[0][2] is a boolean"},
		{"v2 columns", v2(`{"name":"input-0","shape":[1,3],"datatype":"FP32","data":[1,2,3]}`), 400, `inputs[0].shape [1 3] gives 3 values per row but model "iris" has 4 feature names`},
		{"v2 no name", v2(`{"shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}`), 400, "inputs[0].name missing"},
		{"v2 unknown column", v2(`{"name":"sepal_length","shape":[1],"datatype":"FP32","data":[1]},{"name":"petal_lenght","shape":[1],"datatype":"FP32","data":[1]}`), 400,
			`inputs[1].name "petal_lenght" is not a feature of model "iris"`},
		{"v2 batch", v2(`{"name":"sepal_length","shape":[1],"datatype":"FP32","data":[1]},{"name":"petal_length","shape":[2],"datatype":"FP32","data":[1,2]}`), 400,
			"inputs[1].shape has batch size 2 but inputs[0] has 1"},
		{"response neither", newEvent("bad", TypeKServeResponse, "sklearn-iris", `{"result":1}`), 400, `predictions missing`},
		{"response scores", newEvent("bad", TypeKServeResponse, "sklearn-iris", `{"predictions":[[0.1,"x"]]}`), 400, "predictions[0][1] must be a class score"},
		{"structured no id", fixture{http.Header{"Content-Type": {"application/cloudevents+json"}}, `{"specversion":"1.0","type":"org.kubeflow.serving.inference.request","source":"x","data":{}}`}, 400, "id missing"},
		{"structured no data", fixture{http.Header{"Content-Type": {"application/cloudevents+json"}}, `{"specversion":"1.0","id":"s","type":"org.kubeflow.serving.inference.request","source":"x","inferenceservicename":"sklearn-iris"}`}, 400, "data missing"},
		{"batch mode", fixture{http.Header{"Content-Type": {"application/cloudevents-batch+json"}}, `[]`}, 400, "Content-Type application/cloudevents-batch+json is not supported"},
		{"too large", fixture{ok.header, `{"instances":[[1,2,3,4]],"pad":"` + strings.Repeat("x", 5000) + `"}`}, 413, "over the limit of 4096 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, r := e.post(tc.f)
			assert.Equal(t, tc.code, code, "%+v", r)
			assert.Contains(t, r.Error, tc.want)
		})
	}
	assert.Equal(t, 0, e.ce.Stats().Pending, "refused events do not wait")
	assert.Empty(t, e.records("iris"))

	// A pair whose batch sizes differ is dropped and counted.
	code, _ := e.post(ok)
	require.Equal(t, http.StatusAccepted, code)
	code, r := e.post(newEvent("bad", TypeKServeResponse, "sklearn-iris", `{"predictions":[1,2]}`))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, r.Error, "the request has 1 instances but the response 2 predictions")
	assert.Equal(t, uint64(1), e.ce.Stats().Unmatched[ReasonBatchMismatch])
	assert.Empty(t, e.records("iris"))

	// Pairs whose records the NDJSON path refuses: a class score that is
	// not a number, a request time past max_future_skew.
	invalid := []struct {
		req, resp fixture
		want      string
	}{
		{ok.with("Ce-Id", "inv1"), newEvent("inv1", TypeKServeResponse, "sklearn-iris", `{"predictions":[{"setosa":"high"}]}`),
			"predictions[0] (prediction.setosa): class score must be a number"},
		{ok.with("Ce-Id", "inv2", "Ce-Time", "2099-01-01T00:00:00Z"), newEvent("inv2", TypeKServeResponse, "sklearn-iris", `{"predictions":[1]}`),
			"Ce-Time of the request (ts): too_far_in_future"},
	}
	for _, tc := range invalid {
		code, _ := e.post(tc.req)
		require.Equal(t, http.StatusAccepted, code)
		code, r := e.post(tc.resp)
		assert.Equal(t, http.StatusBadRequest, code, "%+v", r)
		assert.Contains(t, r.Error, tc.want)
	}
	assert.Equal(t, uint64(2), e.ce.Stats().Unmatched[ReasonInvalid])
	assert.Empty(t, e.records("iris"))
}

// TestPendingBytes: the waiting halves are bounded by memory too; the
// oldest goes first.
func TestPendingBytes(t *testing.T) {
	e := newEnv(t, Config{Models: irisConfig.Models, MaxPendingBytes: 3000})
	big := `{"instances":[` + strings.Repeat(`{"amount":123456.789,"country":"DE"},`, 30) + `{"amount":1,"country":"FR"}]}`
	for i := range 3 {
		code, _ := e.post(newEvent(fmt.Sprint("p", i), TypeKServeRequest, "fraud", big))
		require.Equal(t, http.StatusAccepted, code)
	}
	st := e.ce.Stats()
	assert.Less(t, st.Pending, 3)
	assert.Equal(t, uint64(3-st.Pending), st.Unmatched[ReasonNoResponse])
	code, r := e.post(newEvent("p2", TypeKServeResponse, "fraud", `{"predictions":[`+strings.Repeat(`1,`, 30)+`0]}`))
	require.Equal(t, http.StatusOK, code, "%+v", r)
	assert.Equal(t, 31, r.Accepted, "the newest half stays")
}
