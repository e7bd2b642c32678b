package cloudevents

import (
	"net/http"
	"testing"
)

// FuzzDecode feeds arbitrary bodies to both decoders (v1, v2 and
// SeldonMessage requests and responses, with and without feature names)
// and to structured-mode event parsing: none may panic, and a refusal is
// always a badRequest.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}`,
		`{"instances":[{"a":1,"b":"x"}]}`,
		`{"predictions":[[0.1,0.9],1,"x",{"a":1}]}`,
		`{"inputs":[{"name":"input-0","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4]]}]}`,
		`{"inputs":[{"name":"a","shape":[1],"datatype":"BYTES","data":["x"]},{"name":"b","shape":[1,1],"datatype":"BOOL","data":[true]}]}`,
		`{"outputs":[{"name":"output-0","shape":[2,2],"datatype":"FP64","data":[0.1,0.9,0.5,0.5]}]}`,
		`{"specversion":"1.0","id":"1","type":"org.kubeflow.serving.inference.request","source":"s","inferenceservicename":"m","data":{"instances":[1]}}`,
		`{"inputs":[{"name":"x","shape":[99999999999,99999999999],"datatype":"FP32","data":[]}]}`,
		`{"data":{"names":["a","b"],"ndarray":[[1,2],[3,4]]}}`,
		`{"data":{"names":["t:0","t:1"],"ndarray":[[0.85,0.15]]},"meta":{"requestPath":{"c":"img"}}}`,
		`{"data":{"names":["c"],"tensor":{"shape":[2,1],"values":[5,6]}}}`,
		`{"data":{"ndarray":["x","y"]}}`,
		`{"jsonData":{"a":1,"b":"x"}}`,
		`{"strData":"text"}`,
		`{"status":{"code":-1,"status":"FAILURE"}}`,
		`{"data":{"tensor":{"shape":[99999999999,99999999999],"values":[]}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, names := range []*featureNames{nil, newFeatureNames([]string{"a", "b", "c", "d"})} {
			p := parser{model: "m", names: names}
			if _, err := p.request(body); err != nil {
				mustBeBad(t, err)
			}
			if _, err := p.response(body); err != nil {
				mustBeBad(t, err)
			}
		}
		h := http.Header{"Content-Type": {"application/cloudevents+json"}}
		if _, err := parseEvent(h, body); err != nil {
			mustBeBad(t, err)
		}
	})
}

func mustBeBad(t *testing.T, err error) {
	t.Helper()
	if _, ok := err.(*badRequest); !ok {
		t.Fatalf("refusal %T %v is not a badRequest", err, err)
	}
}
