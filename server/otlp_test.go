package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/internal/otlpfixture"
	"github.com/mlectl/mlectl/server"
)

// TestOTLPIngest posts OTLP metrics and logs to the assembled collector
// under ingest_auth: token: both are refused without a token (as remote
// write is) and stored with one; the metrics read back through the query
// API, the logs as prediction records through the export.
func TestOTLPIngest(t *testing.T) {
	raw, err := os.ReadFile("testdata/collector.yaml")
	require.NoError(t, err)
	raw = append(raw, []byte("\ningest_auth: token\n")...)
	ccfg, err := collector.ParseConfigBytes(raw)
	require.NoError(t, err)
	s := start(t, server.Config{Collector: ccfg, DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	const token = "ops-secret-token-0123456789"
	at := time.Now().Add(-time.Minute).Truncate(time.Second)

	do := func(method, path, contentType string, body []byte, token string) (int, string) {
		req, err := http.NewRequest(method, s.URL()+path, bytes.NewReader(body))
		require.NoError(t, err)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}

	metrics, err := otlpfixture.Protobuf(otlpfixture.Metrics(at))
	require.NoError(t, err)
	code, body := do(http.MethodPost, "/api/v1/otlp/v1/metrics", otlpfixture.ContentTypeProtobuf, metrics, "")
	require.Equal(t, http.StatusUnauthorized, code, body)
	code, body = do(http.MethodPost, "/api/v1/otlp/v1/metrics", otlpfixture.ContentTypeProtobuf, metrics, token)
	require.Equal(t, http.StatusOK, code, body)
	code, body = do(http.MethodGet, "/api/v1/query?"+url.Values{"query": {"ml_predictions_total"}, "time": {at.Format(time.RFC3339)}}.Encode(), "", nil, token)
	require.Equal(t, http.StatusOK, code, body)
	var q struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &q))
	require.Len(t, q.Data.Result, 2, body)
	require.Equal(t, "ml/fraud-scorer", q.Data.Result[0].Metric["job"])

	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("ml.model.name", "fraud")
	rl.Resource().Attributes().PutStr("ml.model.version", "v3")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(at))
	lr.Attributes().PutStr("ml.request.id", "r1")
	lr.Attributes().PutDouble("ml.features.amount", 12.5)
	lr.Attributes().PutDouble("ml.prediction", 0.91)
	logs, err := plogotlp.NewExportRequestFromLogs(ld).MarshalJSON()
	require.NoError(t, err)
	code, body = do(http.MethodPost, "/api/v1/otlp/v1/logs", "application/json", logs, "")
	require.Equal(t, http.StatusUnauthorized, code, body)
	code, body = do(http.MethodPost, "/api/v1/otlp/v1/logs", "application/json", logs, token)
	require.Equal(t, http.StatusOK, code, body)
	code, body = do(http.MethodGet, "/api/v1/predictions/export?"+url.Values{"model": {"fraud"}, "from": {"-1h"}}.Encode(), "", nil, token)
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, `{"model":"fraud","version":"v3","role":"production","request_id":"r1","ts":"`+
		at.UTC().Format("2006-01-02T15:04:05.000Z")+`","features":{"amount":12.5},"prediction":0.91,"status":"ok"}`+"\n", body)
}
