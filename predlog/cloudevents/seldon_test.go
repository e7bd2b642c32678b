package cloudevents

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var seldonConfig = Config{Models: map[string]ModelConfig{
	"income": {Version: "1"},
	"iris":   {Model: "iris-seldon", Version: "3"},
	"tensor": {Version: "1"},
	// A model whose requests carry no names: its own feature names.
	"iris-nameless":  {Model: "iris-nameless", Version: "1", FeatureNames: []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}},
	"moviesentiment": {Version: "1", FeatureNames: []string{"review"}},
	"jsonexample":    {Version: "1"},
}}

// TestSeldonFixtures posts Seldon Core's own SeldonMessage events
// (testdata/seldon_*: ndarray with names, a batch with class scores, a
// tensor) in both orders and checks the records that land.
func TestSeldonFixtures(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	cases := []struct {
		name, fixture, model string
		responseFirst        bool
		want                 []map[string]any
	}{
		{name: "ndarray with names, class scores", fixture: "seldon_ndarray", model: "income", want: []map[string]any{
			{"model": "income", "version": "1", "role": "production", "request_id": "2z4", "ts": "2026-12-06T09:00:00.100Z", "latency_ms": n("8"),
				"features": map[string]any{"Age": n("53"), "Workclass": n("4"), "Education": n("0"), "Marital Status": n("2"), "Occupation": n("8"),
					"Relationship": n("4"), "Race": n("2"), "Sex": n("0"), "Capital Gain": n("0"), "Capital Loss": n("0"), "Hours per week": n("60"), "Country": n("9")},
				"prediction": map[string]any{"t:0": n("0.8538818809164035"), "t:1": n("0.14611811908359656")}, "status": "ok"},
		}},
		{name: "batch of two, response first", fixture: "seldon_iris_batch", model: "iris-seldon", responseFirst: true, want: []map[string]any{
			{"model": "iris-seldon", "version": "3", "role": "production", "request_id": "2z7#0", "ts": "2026-12-06T09:01:00.000Z", "latency_ms": n("4"),
				"features":   map[string]any{"Sepal length": n("6.8"), "Sepal width": n("2.8"), "Petal length": n("4.8"), "Petal Width": n("1.4")},
				"prediction": map[string]any{"t:0": n("0.0006985194531162841"), "t:1": n("0.00366803903943576"), "t:2": n("0.995633441507448")}, "status": "ok"},
			{"model": "iris-seldon", "version": "3", "role": "production", "request_id": "2z7#1", "ts": "2026-12-06T09:01:00.000Z", "latency_ms": n("4"),
				"features":   map[string]any{"Sepal length": n("6.1"), "Sepal width": n("3.4"), "Petal length": n("4.5"), "Petal Width": n("1.6")},
				"prediction": map[string]any{"t:0": n("0.0009190179704291"), "t:1": n("0.0357163473213217"), "t:2": n("0.9633646347082492")}, "status": "ok"},
		}},
		{name: "tensor", fixture: "seldon_tensor", model: "tensor", want: []map[string]any{
			{"model": "tensor", "version": "1", "role": "production", "request_id": "1a#0", "ts": "2026-12-06T09:02:00.000Z", "latency_ms": n("2"),
				"features": map[string]any{"a": n("1"), "b": n("2")}, "prediction": n("5"), "status": "ok"},
			{"model": "tensor", "version": "1", "role": "production", "request_id": "1a#1", "ts": "2026-12-06T09:02:00.000Z", "latency_ms": n("2"),
				"features": map[string]any{"a": n("3"), "b": n("4")}, "prediction": n("6"), "status": "ok"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, seldonConfig)
			first, second := readFixture(t, tc.fixture+"_request.http"), readFixture(t, tc.fixture+"_response.http")
			if tc.responseFirst {
				first, second = second, first
			}
			code, r := e.post(first)
			require.Equal(t, http.StatusAccepted, code, "%+v", r)
			code, r = e.post(second)
			require.Equal(t, http.StatusOK, code, "%+v", r)
			assert.Equal(t, len(tc.want), r.Accepted)
			assert.Equal(t, tc.want, e.records(tc.model))
		})
	}
}

// TestSeldonBodies covers the other SeldonMessage forms: positional rows
// named by the model's feature names, a 1-D ndarray (a batch of one-value
// rows), strData, jsonData and a FAILURE status.
func TestSeldonBodies(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	cases := []struct {
		name, service, model, request, response string
		want                                    []map[string]any // features and prediction of each record
	}{
		{"ndarray without names", "iris-nameless", "iris-nameless",
			`{"data":{"ndarray":[[6.8,2.8,4.8,1.4]]}}`, `{"data":{"names":[],"ndarray":[2]}}`,
			[]map[string]any{{"features": map[string]any{"sepal_length": n("6.8"), "sepal_width": n("2.8"), "petal_length": n("4.8"), "petal_width": n("1.4")}, "prediction": n("2")}}},
		{"1-D ndarray of text", "moviesentiment", "moviesentiment",
			`{"data":{"names":["review"],"ndarray":["this film has bad actors","a joy"]}}`, `{"data":{"names":["t0","t1"],"ndarray":[[0.5,0.5],[0.1,0.9]]}}`,
			[]map[string]any{
				{"features": map[string]any{"review": "this film has bad actors"}, "prediction": map[string]any{"t0": n("0.5"), "t1": n("0.5")}},
				{"features": map[string]any{"review": "a joy"}, "prediction": map[string]any{"t0": n("0.1"), "t1": n("0.9")}},
			}},
		{"scores without names", "iris-nameless", "iris-nameless",
			`{"data":{"tensor":{"shape":[1,4],"values":[5.1,3.5,1.4,0.2]}}}`, `{"data":{"tensor":{"shape":[1,3],"values":[0.9,0.05,0.05]}}}`,
			[]map[string]any{{"features": map[string]any{"sepal_length": n("5.1"), "sepal_width": n("3.5"), "petal_length": n("1.4"), "petal_width": n("0.2")},
				"prediction": map[string]any{"0": n("0.9"), "1": n("0.05"), "2": n("0.05")}}}},
		{"strData", "moviesentiment", "moviesentiment",
			`{"strData":"this film has bad actors"}`, `{"strData":"negative"}`,
			[]map[string]any{{"features": map[string]any{"review": "this film has bad actors"}, "prediction": "negative"}}},
		{"jsonData", "jsonexample", "jsonexample",
			`{"jsonData":{"input":"[[53  4  0  2  8  4  2  0  0  0 60  9]]","rows":1},"meta":{}}`, `{"jsonData":{"t:0":0.85,"t:1":0.15},"meta":{}}`,
			[]map[string]any{{"features": map[string]any{"input": "[[53  4  0  2  8  4  2  0  0  0 60  9]]", "rows": n("1")}, "prediction": map[string]any{"t:0": n("0.85"), "t:1": n("0.15")}}}},
		{"FAILURE status", "tensor", "tensor",
			`{"data":{"names":["a","b"],"ndarray":[[1,2]]}}`, `{"status":{"code":-1,"info":"model failed","reason":"MICROSERVICE_INTERNAL_ERROR","status":"FAILURE"}}`,
			[]map[string]any{{"features": map[string]any{"a": n("1"), "b": n("2")}, "status": "error"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, seldonConfig)
			ext := []string{"Ce-Component", ""}
			code, r := e.post(newEvent("s", TypeSeldonRequest, tc.service, tc.request, ext...))
			require.Equal(t, http.StatusAccepted, code, "%+v", r)
			code, r = e.post(newEvent("s", TypeSeldonResponse, tc.service, tc.response, ext...))
			require.Equal(t, http.StatusOK, code, "%+v", r)
			recs := e.records(tc.model)
			require.Len(t, recs, len(tc.want))
			for i, w := range tc.want {
				assert.Equal(t, w["features"], recs[i]["features"], "record %d", i)
				assert.Equal(t, w["prediction"], recs[i]["prediction"], "record %d", i)
				if s, ok := w["status"]; ok {
					assert.Equal(t, s, recs[i]["status"])
				}
			}
		})
	}
}

// TestSeldonBadBodies: a SeldonMessage the collector cannot map is a 400
// naming its JSON path.
func TestSeldonBadBodies(t *testing.T) {
	e := newEnv(t, seldonConfig)
	req := func(service, body string) fixture { return newEvent("bad", TypeSeldonRequest, service, body) }
	resp := func(service, body string) fixture { return newEvent("bad", TypeSeldonResponse, service, body) }
	cases := []struct {
		name string
		ev   fixture
		want string
	}{
		{"data not an object", req("tensor", `{"data":[1,2]}`), `data must be an object`},
		{"names not strings", req("tensor", `{"data":{"names":["a",2],"ndarray":[[1,2]]}}`), `data.names[1] must be a column name (a string), not a number`},
		{"unknown name", req("iris-nameless", `{"data":{"names":["sepal_lenght"],"ndarray":[[1]]}}`), `data.names[0] "sepal_lenght" is not a feature of model "iris-nameless"`},
		{"no names anywhere", req("tensor", `{"data":{"ndarray":[[1,2]]}}`), `data.names missing, and model "tensor" has no feature names`},
		{"short row", req("tensor", `{"data":{"names":["a","b"],"ndarray":[[1,2],[3]]}}`), `data.ndarray[1] has 1 values but data.names has 2`},
		{"short row, model names", req("iris-nameless", `{"data":{"ndarray":[[1,2,3]]}}`), `data.ndarray[0] has 3 values but model "iris-nameless"'s feature names has 4`},
		{"nested value", req("tensor", `{"data":{"names":["a","b"],"ndarray":[[1,[2]]]}}`), `data.ndarray[0][1] must be a number, string, boolean or null, not a array`},
		{"rows and values mixed", req("moviesentiment", `{"data":{"names":["review"],"ndarray":["x",["y"]]}}`), `data.ndarray[1] is a row but data.ndarray[0] is a value`},
		{"ndarray not an array", req("tensor", `{"data":{"names":["a","b"],"ndarray":{"a":1}}}`), `data.ndarray must be an array`},
		{"empty ndarray", req("tensor", `{"data":{"names":["a","b"],"ndarray":[]}}`), `data.ndarray is empty`},
		{"tensor size", req("tensor", `{"data":{"names":["a","b"],"tensor":{"shape":[2,2],"values":[1,2,3]}}}`), `data.tensor.shape [2 2] holds 4 values but values has 3`},
		{"tensor text", req("tensor", `{"data":{"names":["a","b"],"tensor":{"shape":[1,2],"values":[1,"2"]}}}`), `data.tensor.values[1] must be a number`},
		{"tensor bad dim", req("tensor", `{"data":{"names":["a","b"],"tensor":{"shape":[1,-2],"values":[1,2]}}}`), `data.tensor.shape[1] must be a size`},
		{"tensor no values", req("tensor", `{"data":{"names":["a","b"],"tensor":{"shape":[1,2]}}}`), `data.tensor.values missing`},
		{"tftensor", req("tensor", `{"data":{"tftensor":{"dtype":"DT_FLOAT"}}}`), `data.tftensor is a TensorFlow TensorProto`},
		{"neither", req("tensor", `{"data":{"names":["a"]}}`), `data has neither "ndarray" nor "tensor"`},
		{"binData", req("tensor", `{"binData":"aGVsbG8="}`), `binData is binary data`},
		{"strData not a string", req("moviesentiment", `{"strData":5}`), `strData must be a string`},
		{"strData, many features", req("iris-nameless", `{"strData":"x"}`), `strData is one text value but model "iris-nameless" has 4 feature names`},
		{"jsonData nested", req("jsonexample", `{"jsonData":{"input":{"deep":1}}}`), `jsonData.input must be a number, string, boolean or null`},
		{"response names count", resp("tensor", `{"data":{"names":["t:0"],"ndarray":[[0.1,0.9]]}}`), `data.names has 1 names but data.ndarray[0] has 2 values`},
		{"response score text", resp("tensor", `{"data":{"names":["t:0","t:1"],"ndarray":[[0.1,"x"]]}}`), `data.ndarray[0][1] must be a class score (a number), not a string`},
		{"response neither", resp("tensor", `{"meta":{}}`), `predictions missing: a v1 response has "predictions"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, r := e.post(tc.ev)
			assert.Equal(t, http.StatusBadRequest, code, "%+v", r)
			assert.Contains(t, r.Error, tc.want)
		})
	}
}
