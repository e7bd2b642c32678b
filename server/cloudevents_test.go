package server_test

import (
	"bufio"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/server"
)

// TestCloudEventsIngest posts KServe's logger events (the fixtures of
// predlog/cloudevents) to the assembled collector under ingest_auth:
// token: refused without a token, joined into records with one, and the
// records read back through the export like NDJSON-ingested ones.
func TestCloudEventsIngest(t *testing.T) {
	raw, err := os.ReadFile("testdata/collector.yaml")
	require.NoError(t, err)
	raw = append(raw, []byte(`
ingest_auth: token
cloudevents:
  models:
    sklearn-iris:
      model: iris
      version: "1.0"
      feature_names: [sepal_length, sepal_width, petal_length, petal_width]
`)...)
	ccfg, err := collector.ParseConfigBytes(raw)
	require.NoError(t, err)
	s := start(t, server.Config{Collector: ccfg, DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	// The fixtures' times (2021) are older than the prediction log keeps,
	// which the collector refuses as NDJSON's ts: shift them to a minute ago.
	recorded := time.Date(2021, 4, 10, 0, 23, 26, 0, time.UTC)
	shift := time.Now().UTC().Truncate(time.Second).Add(-time.Minute).Sub(recorded)

	post := func(fixture, token string) (int, string) {
		b, err := os.ReadFile("../predlog/cloudevents/testdata/" + fixture)
		require.NoError(t, err)
		head, body, _ := strings.Cut(string(b), "\n\n")
		req, err := http.NewRequest(http.MethodPost, s.URL()+"/api/v1/ingest/cloudevents", strings.NewReader(body))
		require.NoError(t, err)
		sc := bufio.NewScanner(strings.NewReader(head))
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ":")
			v = strings.TrimSpace(v)
			if k == "Ce-Time" {
				at, err := time.Parse(time.RFC3339Nano, v)
				require.NoError(t, err)
				v = at.Add(shift).Format(time.RFC3339Nano)
			}
			req.Header.Set(k, v)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, out := testutil.Send(t, req)
		return resp.StatusCode, string(out)
	}
	const token = "ops-secret-token-0123456789"
	code, body := post("kserve_v1_request.http", "")
	assert.Equal(t, http.StatusUnauthorized, code, body)
	code, body = post("kserve_v1_request.http", token)
	require.Equal(t, http.StatusAccepted, code, body)
	code, body = post("kserve_v1_response.http", token)
	require.Equal(t, http.StatusOK, code, body)
	assert.JSONEq(t, `{"accepted":2}`, body)

	req, err := http.NewRequest(http.MethodGet, s.URL()+"/api/v1/predictions/export?"+url.Values{"model": {"iris"}, "from": {"-1h"}}.Encode(), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, out := testutil.Send(t, req)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(out))
	ts := recorded.Add(shift).Add(78 * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
	assert.Equal(t,
		`{"model":"iris","version":"1.0","role":"production","request_id":"0009174a-24a8-4603-b098-09c8799950e9#0","ts":"`+ts+`","latency_ms":1.783,"features":{"sepal_length":6.8,"sepal_width":2.8,"petal_length":4.8,"petal_width":1.4},"prediction":1,"status":"ok"}`+"\n"+
			`{"model":"iris","version":"1.0","role":"production","request_id":"0009174a-24a8-4603-b098-09c8799950e9#1","ts":"`+ts+`","latency_ms":1.783,"features":{"sepal_length":6.0,"sepal_width":3.4,"petal_length":4.5,"petal_width":1.6},"prediction":1,"status":"ok"}`+"\n",
		string(out))
}
