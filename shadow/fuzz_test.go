package shadow

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzParseReportRequest: any query string is either a valid request or a
// 400 RequestError naming a parameter; it never panics.
func FuzzParseReportRequest(f *testing.F) {
	for _, s := range []string{"", "source=live", "from=2026-11-26T10:00:00Z&to=1764151200000", "threshold=0.3&top=5",
		"tolerance=-1", "top=99", "candidate=v%00", "from=x"} {
		f.Add("bike", s)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, model, query string) {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/shadow/x/report", nil)
		r.URL.RawQuery = query
		if _, err := url.ParseQuery(query); err != nil {
			return
		}
		r.SetPathValue("model", model)
		req, err := ParseReportRequest(r, now)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || re.Status != http.StatusBadRequest || re.Msg == "" {
				t.Fatalf("error %v is not a 400 RequestError", err)
			}
			return
		}
		if !req.From.Before(req.To) || req.Options.TopN > MaxTopDisagreements || req.Options.Threshold < 0 {
			t.Fatalf("accepted an invalid request %+v", req)
		}
	})
}

// FuzzNumJSON: a report figure decodes from any JSON number or null and
// encodes back to the same value (NaN as null), which `mlectl shadow
// report` relies on.
func FuzzNumJSON(f *testing.F) {
	for _, s := range []string{"null", "0.5", "-1e-300", "1e308", "1e400", "NaN", `"1"`, "", "-0"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var n Num
		if err := json.Unmarshal(b, &n); err != nil {
			return
		}
		out, err := json.Marshal(n)
		if err != nil {
			t.Fatalf("%v encodes with error %v", float64(n), err)
		}
		var back Num
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%s does not decode: %v", out, err)
		}
		if f, g := float64(n), float64(back); !(f == g || (math.IsNaN(f) || math.IsInf(f, 0)) && math.IsNaN(g)) {
			t.Fatalf("%s → %v → %s → %v", b, f, out, g)
		}
	})
}

// FuzzLightGBMFeatureNames: the feature_names= line of any model text gives
// names without blanks, and never panics.
func FuzzLightGBMFeatureNames(f *testing.F) {
	f.Add([]byte("tree\nversion=v4\nfeature_names=temp hum windspeed\nTree=0\n"))
	f.Add([]byte("feature_names=\r\n"))
	f.Add([]byte("Tree=0\nfeature_names=a b\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, n := range lightGBMFeatureNames(b) {
			if n == "" || strings.ContainsAny(n, " \t\n\r") {
				t.Fatalf("name %q", n)
			}
		}
	})
}
