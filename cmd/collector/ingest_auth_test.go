package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/predlog/store"
)

// ingestCaller is one way of calling an ingest endpoint.
type ingestCaller struct {
	name  string // also the case id stored with the data
	token string
}

// ingestEndpoint sends one case's data and says, from the collector's
// stored state, which case ids it holds.
type ingestEndpoint struct {
	name string
	send func(t *testing.T, base, caseID, token string) (int, string, http.Header)
}

func ingestDo(t *testing.T, method, u, token, contentType string, body []byte, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, b := testutil.Send(t, req)
	return resp.StatusCode, string(b), resp.Header
}

var ingestEndpoints = []ingestEndpoint{
	{"remote write", func(t *testing.T, base, caseID, token string) (int, string, http.Header) {
		// What Prometheus sends with remote_write: authorization: {credentials: ...}.
		req := prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
			Labels:  []prompb.Label{{Name: "__name__", Value: "ingest_probe"}, {Name: "case", Value: caseID}},
			Samples: []prompb.Sample{{Timestamp: time.Now().UnixMilli(), Value: 1}},
		}}}
		raw, err := req.Marshal()
		require.NoError(t, err)
		return ingestDo(t, http.MethodPost, base+"/api/v1/write", token, "application/x-protobuf", snappy.Encode(nil, raw),
			map[string]string{"Content-Encoding": "snappy", "X-Prometheus-Remote-Write-Version": "0.1.0", "User-Agent": "Prometheus/3.0.0"})
	}},
	{"predictions", func(t *testing.T, base, caseID, token string) (int, string, http.Header) {
		line := `{"model":"probe","version":"v1","role":"production","request_id":"` + caseID + `","features":{"amount":1},"prediction":0.5,"status":"ok"}` + "\n"
		return ingestDo(t, http.MethodPost, base+"/api/v1/predictions", token, "application/x-ndjson", []byte(line), nil)
	}},
	{"feedback", func(t *testing.T, base, caseID, token string) (int, string, http.Header) {
		line := `{"request_id":"fb-` + caseID + `","label":1}` + "\n"
		return ingestDo(t, http.MethodPost, base+"/api/v1/feedback", token, "application/x-ndjson", []byte(line), nil)
	}},
	{"baseline", func(t *testing.T, base, caseID, token string) (int, string, http.Header) {
		body := `{"model":"probe","version":"` + caseID + `","rows":10,"features":[` +
			`{"name":"amount","type":"numerical","count":10,"min":1,"max":10,"mean":5.5,"std":3,"quantiles":[1,2,3,4,5,6,7,8,9,10,10],"sample":[1,2,3,4,5,6,7,8,9,10]}]}`
		return ingestDo(t, http.MethodPut, base+"/api/v1/baselines/probe/"+caseID, token, "application/json", []byte(body), nil)
	}},
	{"contract", func(t *testing.T, base, caseID, token string) (int, string, http.Header) {
		body := "model: c" + caseID + "\nfeatures:\n  amount: {type: numerical, min: 0}\n"
		return ingestDo(t, http.MethodPut, base+"/api/v1/contracts/c"+caseID, token, "application/yaml", []byte(body), nil)
	}},
}

// storedCases reads back, through the collector's read endpoints, the case
// ids each endpoint stored (feedback labels have no read endpoint; they are
// read from the prediction log after shutdown, see storedLabels).
func storedCases(t *testing.T, base string, ids []string) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	// Remote write: the series of each case.
	code, body, _ := ingestDo(t, http.MethodGet, base+"/api/v1/query?query="+url.QueryEscape("ingest_probe")+
		"&time="+fmt.Sprint(time.Now().Add(time.Second).Unix()), "", "", nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var qr struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &qr))
	for _, r := range qr.Data.Result {
		got["remote write"] = append(got["remote write"], r.Metric["case"])
	}
	// Predictions: the request ids exported.
	code, body, _ = ingestDo(t, http.MethodGet, base+"/api/v1/predictions/export?model=probe&format=ndjson", "", "", nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		var rec struct {
			RequestID string `json:"request_id"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), sc.Text())
		got["predictions"] = append(got["predictions"], rec.RequestID)
	}
	// Baselines and contracts: one GET per case.
	for _, id := range ids {
		if code, body, _ := ingestDo(t, http.MethodGet, base+"/api/v1/baselines/probe/"+id, "", "", nil, nil); code == http.StatusOK {
			got["baseline"] = append(got["baseline"], id)
		} else {
			require.Equal(t, http.StatusNotFound, code, body)
		}
		if code, body, _ := ingestDo(t, http.MethodGet, base+"/api/v1/contracts/c"+id, "", "", nil, nil); code == http.StatusOK {
			got["contract"] = append(got["contract"], id)
		} else {
			require.Equal(t, http.StatusNotFound, code, body)
		}
	}
	for k := range got {
		sort.Strings(got[k])
	}
	return got
}

// storedLabels opens the stopped collector's prediction log and lists the
// feedback labels in it.
func storedLabels(t *testing.T, dataDir string) []string {
	t.Helper()
	st, err := store.Open(filepath.Join(dataDir, "predlog"), store.Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, st.Close()) }()
	var ids []string
	// "label" is the namespace the feedback endpoint stores labels under.
	require.NoError(t, st.ListMeta(context.Background(), "label", func(key string, _ []byte) error {
		ids = append(ids, strings.TrimPrefix(key, "fb-"))
		return nil
	}))
	sort.Strings(ids)
	return ids
}

// TestRunIngestAuth drives every ingest endpoint of the real collector with
// no token, a token of too low a role, an unknown token, and ingest and
// admin tokens, with ingest_auth open (the default) and token. A refused call
// must store nothing and leave what was accepted before it intact.
func TestRunIngestAuth(t *testing.T) {
	const tokens = "tokens:\n" +
		"  - {name: grafana, token: view-secret, role: viewer}\n" +
		"  - {name: prometheus, token: ingest-secret, role: ingest}\n" +
		"  - {name: ci, token: admin-secret, role: admin}\n"
	// Accepted callers come first so that the refusals after them can be
	// seen not to disturb what was stored.
	callers := []ingestCaller{
		{"ingest", "ingest-secret"}, {"admin", "admin-secret"},
		{"none", ""}, {"viewer", "view-secret"}, {"unknown", "not-a-token"},
	}
	type refusal struct {
		code int
		msg  string
	}
	modes := []struct {
		name    string
		config  string
		refused map[string]refusal // by caller; the others are accepted
	}{
		{"open by default", tokens, nil},
		{"open", "ingest_auth: open\n" + tokens, nil},
		{"token", "ingest_auth: token\n" + tokens, map[string]refusal{
			"none":    {http.StatusUnauthorized, "this call needs an API token with role ingest or higher (Authorization: Bearer <token>)"},
			"viewer":  {http.StatusForbidden, `token \"grafana\" has role viewer; this call needs ingest or higher`},
			"unknown": {http.StatusUnauthorized, "unknown API token"},
		}},
		{"token without tokens", "ingest_auth: token\n", map[string]refusal{
			"none":    {http.StatusUnauthorized, "ingest_auth: token is set but no API tokens are configured: add a token with role ingest"},
			"ingest":  {http.StatusUnauthorized, "unknown API token"},
			"admin":   {http.StatusUnauthorized, "unknown API token"},
			"viewer":  {http.StatusUnauthorized, "unknown API token"},
			"unknown": {http.StatusUnauthorized, "unknown API token"},
		}},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "collector.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(mode.config), 0o600))
			dataDir := filepath.Join(dir, "data")
			base, cancel, done, logs := startRun(t, "--data-dir", dataDir, "--config", cfg)

			var ids, accepted []string
			for _, c := range callers {
				ids = append(ids, c.name)
				if _, refused := mode.refused[c.name]; !refused {
					accepted = append(accepted, c.name)
				}
			}
			sort.Strings(accepted)
			for _, c := range callers {
				for _, ep := range ingestEndpoints {
					code, body, hdr := ep.send(t, base, c.name, c.token)
					ref, refused := mode.refused[c.name]
					if !refused {
						assert.True(t, code/100 == 2, "%s by %s: HTTP %d %s", ep.name, c.name, code, body)
						continue
					}
					assert.Equal(t, ref.code, code, "%s by %s: %s", ep.name, c.name, body)
					assert.Contains(t, body, ref.msg, "%s by %s", ep.name, c.name)
					assert.Equal(t, "application/json", hdr.Get("Content-Type"), ep.name)
					if code == http.StatusUnauthorized {
						assert.Equal(t, `Bearer realm="mlectl"`, hdr.Get("WWW-Authenticate"), "%s by %s", ep.name, c.name)
					}
				}
			}

			got := storedCases(t, base, ids)
			for _, ep := range ingestEndpoints {
				if ep.name == "feedback" {
					continue
				}
				assert.Equal(t, accepted, got[ep.name], "%s: stored cases", ep.name)
			}
			cancel()
			select {
			case code := <-done:
				require.Equal(t, 0, code, logs.String())
			case <-time.After(30 * time.Second):
				t.Fatal("run did not return after cancellation")
			}
			assert.Equal(t, accepted, storedLabels(t, dataDir), "feedback: stored labels")
		})
	}
}

// A config that asks for token ingest with checks turned off, or an
// unknown ingest mode, is refused at start with exit status 2 or 1 and a
// message naming the key.
func TestRunIngestAuthConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		config string
		code   int
		msg    string
	}{
		{"unknown mode", "ingest_auth: closed\n", 2, `ingest_auth: "closed" is not one of open, token`},
		{"token with auth disabled", "auth: disabled\ningest_auth: token\n", 1, "ingest_auth: token needs token checks, but auth: disabled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "collector.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(tc.config), 0o600))
			var stderr bytes.Buffer
			code := run(context.Background(), []string{"--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "d"), "--config", cfg}, io.Discard, &stderr, nil)
			assert.Equal(t, tc.code, code, stderr.String())
			assert.Contains(t, stderr.String(), tc.msg)
		})
	}
}
