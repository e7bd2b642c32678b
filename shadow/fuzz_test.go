package shadow

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
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
