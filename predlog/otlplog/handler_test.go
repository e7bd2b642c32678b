package otlplog

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/testutil"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/mlectl/mlectl/contract"
	"github.com/mlectl/mlectl/internal/diskguard"
	"github.com/mlectl/mlectl/mlmetrics"
	predapi "github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/quality"
)

// env is the prediction pipeline's handler (real badger log) and the OTLP
// logs handler feeding it on one loopback HTTP server, as the collector's
// route table mounts them.
type env struct {
	t   testing.TB
	srv *httptest.Server
}

func newEnv(t testing.TB) *env { return newEnvWith(t, store.Options{}) }

func newEnvWith(t testing.TB, opts store.Options) *env {
	t.Helper()
	lg, err := store.Open(t.TempDir(), opts)
	require.NoError(t, err)
	pred, err := predapi.New(context.Background(), predapi.Config{Log: lg, Traffic: mlmetrics.NewAggregator(),
		Limits:    predapi.Limits{MaxFutureSkew: 5 * time.Minute, MaxAge: predapi.DefaultRetention},
		Contracts: contract.NewChecker(), Joiner: quality.NewJoiner(quality.Options{})})
	require.NoError(t, err)
	h := New(nil, nil, 0)
	h.SetIngester(pred)
	mux := http.NewServeMux()
	pred.Mount(mux)
	for _, r := range h.Routes() {
		mux.Handle(r.MuxPattern(), r.Handler)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); _ = lg.Close() })
	return &env{t: t, srv: srv}
}

func (e *env) post(contentType string, body []byte) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+Path, bytes.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, b
}

// records exports model's records as JSON objects, sorted by request id.
func (e *env) records(model string) []map[string]any {
	e.t.Helper()
	return testutil.ExportedRecords(e.t, e.srv.URL, model)
}

// predictionLogs is what an OpenTelemetry SDK logger of a model server
// sends: model and version as resource attributes, one log record per
// prediction.
func predictionLogs(at time.Time) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "fraud-scorer")
	rl.Resource().Attributes().PutStr(AttrModel, "fraud")
	rl.Resource().Attributes().PutStr(AttrVersion, "v3")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()

	lr := lrs.AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(at))
	lr.Body().SetStr("scored request r1")
	a := lr.Attributes()
	a.PutStr(AttrRequestID, "r1")
	a.PutDouble(AttrFeaturePrefix+"amount", 12.5)
	a.PutInt(AttrFeaturePrefix+"items", 3)
	a.PutStr(AttrFeaturePrefix+"country", "NL")
	a.PutBool(AttrFeaturePrefix+"new_customer", true)
	a.PutDouble(AttrPrediction, 0.91)
	a.PutDouble(AttrLatency, 4.25)

	lr = lrs.AppendEmpty()
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(at.Add(time.Second)))
	a = lr.Attributes()
	a.PutStr(AttrRequestID, "r2")
	a.PutStr(AttrRole, "canary")
	a.PutStr(AttrVersion, "v4") // the record's attribute wins over the resource's
	a.PutDouble(AttrFeaturePrefix+"amount", 99)
	scores := a.PutEmptyMap(AttrPrediction)
	scores.PutDouble("fraud", 0.2)
	scores.PutDouble("legit", 0.8)
	return ld
}

func TestOTLPLogsBecomePredictionRecords(t *testing.T) {
	at := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	req := plogotlp.NewExportRequestFromLogs(predictionLogs(at))
	pb, err := req.MarshalProto()
	require.NoError(t, err)
	js, err := req.MarshalJSON()
	require.NoError(t, err)
	for _, tc := range []struct {
		name, contentType string
		body              []byte
	}{
		{"protobuf", ContentTypeProtobuf, pb},
		{"json", ContentTypeJSON, js},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			code, body := e.post(tc.contentType, tc.body)
			require.Equal(t, http.StatusOK, code, string(body))
			recs := e.records("fraud")
			require.Len(t, recs, 2)
			r1, r2 := recs[0], recs[1]
			require.Equal(t, "r1", r1["request_id"])
			require.Equal(t, "v3", r1["version"])
			require.Equal(t, "production", r1["role"])
			require.Equal(t, json.Number("0.91"), r1["prediction"])
			require.Equal(t, json.Number("4.25"), r1["latency_ms"])
			require.Equal(t, map[string]any{"amount": json.Number("12.5"), "items": json.Number("3"), "country": "NL", "new_customer": true}, r1["features"])
			require.Equal(t, "r2", r2["request_id"])
			require.Equal(t, "v4", r2["version"])
			require.Equal(t, "canary", r2["role"])
			require.Equal(t, map[string]any{"fraud": json.Number("0.2"), "legit": json.Number("0.8")}, r2["prediction"])
			require.Equal(t, at.UTC().Format("2006-01-02T15:04:05.000Z"), r1["ts"], "the log record's Timestamp")
			require.Equal(t, at.Add(time.Second).UTC().Format("2006-01-02T15:04:05.000Z"), r2["ts"], "else its ObservedTimestamp")
		})
	}
}

// TestOTLPLogsRefuseBadRecordsNamingTheAttribute: each bad log record gets
// a 400 naming its position and attribute; the good record of the same
// request is stored (as NDJSON keeps good lines).
func TestOTLPLogsRefuseBadRecordsNamingTheAttribute(t *testing.T) {
	at := time.Now().Add(-time.Minute)
	for _, tc := range []struct {
		name string
		set  func(a pcommon.Map, lr plog.LogRecord)
		want string
	}{
		{"no model", func(a pcommon.Map, _ plog.LogRecord) { a.Remove(AttrModel) }, "attribute ml.model.name: is required"},
		{"no version", func(a pcommon.Map, _ plog.LogRecord) { a.Remove(AttrVersion) }, "attribute ml.model.version: is required"},
		{"model not a string", func(a pcommon.Map, _ plog.LogRecord) { a.PutInt(AttrModel, 7) }, "attribute ml.model.name: must be a string, not Int"},
		{"bad role", func(a pcommon.Map, _ plog.LogRecord) { a.PutStr(AttrRole, "blue") }, "attribute ml.role: "},
		{"feature is a list", func(a pcommon.Map, _ plog.LogRecord) {
			a.PutEmptySlice(AttrFeaturePrefix + "tags").AppendEmpty().SetStr("x")
		}, "attribute ml.features.tags: must be a string, int, double or bool, not Slice"},
		{"empty feature name", func(a pcommon.Map, _ plog.LogRecord) { a.PutInt(AttrFeaturePrefix, 1) }, "attribute ml.features.: names no feature"},
		{"prediction is a list", func(a pcommon.Map, _ plog.LogRecord) { a.PutEmptySlice(AttrPrediction) }, "attribute ml.prediction: must be"},
		{"score not a number", func(a pcommon.Map, _ plog.LogRecord) { a.PutEmptyMap(AttrPrediction).PutStr("fraud", "high") }, `attribute ml.prediction: score "fraud" must be an int or a double`},
		{"latency not a number", func(a pcommon.Map, _ plog.LogRecord) { a.PutStr(AttrLatency, "fast") }, "attribute ml.latency_ms: must be an int or a double, not Str"},
		{"too old", func(_ pcommon.Map, lr plog.LogRecord) {
			lr.SetTimestamp(pcommon.NewTimestampFromTime(at.Add(-5 * 365 * 24 * time.Hour)))
		}, "attribute timeUnixNano: too_old"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ld := plog.NewLogs()
			lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
			for i, id := range []string{"good", "bad"} {
				lr := lrs.AppendEmpty()
				lr.SetTimestamp(pcommon.NewTimestampFromTime(at))
				a := lr.Attributes()
				a.PutStr(AttrModel, "fraud")
				a.PutStr(AttrVersion, "v3")
				a.PutStr(AttrRequestID, id)
				a.PutDouble(AttrFeaturePrefix+"amount", 1)
				a.PutDouble(AttrPrediction, 0.5)
				if i == 1 {
					tc.set(a, lr)
				}
			}
			pb, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
			require.NoError(t, err)
			e := newEnv(t)
			code, body := e.post(ContentTypeProtobuf, pb)
			require.Equal(t, http.StatusBadRequest, code, string(body))
			var resp Response
			require.NoError(t, json.Unmarshal(body, &resp))
			require.Equal(t, 1, resp.Accepted)
			require.Equal(t, 1, resp.Rejected)
			require.Len(t, resp.Errors, 1)
			require.Contains(t, resp.Errors[0], "resourceLogs[0].scopeLogs[0].logRecords[1]: "+tc.want)
			recs := e.records("fraud")
			require.Len(t, recs, 1)
			require.Equal(t, "good", recs[0]["request_id"])
		})
	}
}

func TestOTLPLogsRefuseBadRequests(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, contentType, body string
		code                    int
		want                    string
	}{
		{"unknown content type", "text/plain", "x", http.StatusUnsupportedMediaType, "not supported"},
		{"garbage protobuf", ContentTypeProtobuf, "\xff\xff\xff", http.StatusBadRequest, "not an OTLP ExportLogsServiceRequest"},
		{"garbage json", ContentTypeJSON, "{", http.StatusBadRequest, "not an OTLP ExportLogsServiceRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.post(tc.contentType, []byte(tc.body))
			require.Equal(t, tc.code, code, string(body))
			require.Contains(t, string(body), tc.want)
		})
	}
	// An empty request is fine (nothing to store).
	code, body := e.post(ContentTypeJSON, []byte("{}"))
	require.Equal(t, http.StatusOK, code, string(body))
}

// TestOTLPLogsDiskFullIs507: when the log's disk guard refuses, the answer
// is 507 (retry later) as for NDJSON, and nothing is acknowledged.
func TestOTLPLogsDiskFullIs507(t *testing.T) {
	dir := t.TempDir()
	e := newEnvWith(t, store.Options{DiskGuard: diskguard.New(dir, 4<<20, func(string) (uint64, error) { return 2 << 20, nil })})
	pb, err := plogotlp.NewExportRequestFromLogs(predictionLogs(time.Now().Add(-time.Minute))).MarshalProto()
	require.NoError(t, err)
	code, body := e.post(ContentTypeProtobuf, pb)
	require.Equal(t, http.StatusInsufficientStorage, code, string(body))
	require.Contains(t, string(body), "none is acknowledged")
}

// TestOTLPLogsGzip: otlphttp's default compression is gzip.
func TestOTLPLogsGzip(t *testing.T) {
	pb, err := plogotlp.NewExportRequestFromLogs(predictionLogs(time.Now().Add(-time.Minute))).MarshalProto()
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err = zw.Write(pb)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	e := newEnv(t)
	for _, tc := range []struct {
		name, encoding string
		body           []byte
		code           int
	}{
		{"gzip", "gzip", buf.Bytes(), http.StatusOK},
		{"not gzip", "gzip", pb, http.StatusBadRequest},
		{"zstd", "zstd", pb, http.StatusUnsupportedMediaType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+Path, bytes.NewReader(tc.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", ContentTypeProtobuf)
			req.Header.Set("Content-Encoding", tc.encoding)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			require.NoError(t, resp.Body.Close())
			require.Equal(t, tc.code, resp.StatusCode, string(b))
		})
	}
	require.Len(t, e.records("fraud"), 2)
}
