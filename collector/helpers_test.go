package collector

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	promtsdb "github.com/prometheus/prometheus/tsdb"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/tsdb"
)

// testRetention keeps the fixed-date fixtures (2026-09) inside the
// retention whatever the clock says; samples older than the retention are
// refused as too_old.
const testRetention = 100 * 365 * 24 * time.Hour

// openTestStore opens the storage under test (the project's TSDB) in dir.
func openTestStore(t testing.TB, dir string) Store {
	t.Helper()
	db, err := tsdb.Open(dir, tsdb.Options{Retention: testRetention})
	require.NoError(t, err)
	return db
}

// openPrometheusStore opens Prometheus's own TSDB in dir.
func openPrometheusStore(t testing.TB, dir string) Store {
	t.Helper()
	opts := promtsdb.DefaultOptions()
	opts.RetentionDuration = 0
	opts.OutOfOrderTimeWindow = time.Hour.Milliseconds()
	db, err := promtsdb.Open(dir, nil, nil, opts, nil)
	require.NoError(t, err)
	return db
}

// testServer is a collector on a real 127.0.0.1 listener.
type testServer struct {
	*Server
	store Store
	url   string
}

func newTestServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	st := openTestStore(t, t.TempDir())
	t.Cleanup(func() { _ = st.Close() })
	srv, err := New(cfg, st, nil)
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &testServer{Server: srv, store: st, url: hs.URL}
}

// series builds a prompb series from alternating label name/value strings
// (kept in the given order) and samples.
func series(lbls []string, samples ...prompb.Sample) prompb.TimeSeries {
	ts := prompb.TimeSeries{Samples: samples}
	for i := 0; i+1 < len(lbls); i += 2 {
		ts.Labels = append(ts.Labels, prompb.Label{Name: lbls[i], Value: lbls[i+1]})
	}
	return ts
}

func encodeV1(t testing.TB, ts ...prompb.TimeSeries) []byte {
	t.Helper()
	b, err := (&prompb.WriteRequest{Timeseries: ts}).Marshal()
	require.NoError(t, err)
	return snappy.Encode(nil, b)
}

// encodeV2 builds a remote-write 2.0 request; each series is labels in the
// given order plus samples.
func encodeV2(t testing.TB, ts ...prompb.TimeSeries) []byte {
	t.Helper()
	st := writev2.NewSymbolTable()
	req := writev2.Request{}
	for _, s := range ts {
		var refs []uint32
		for _, l := range s.Labels {
			refs = append(refs, st.Symbolize(l.Name), st.Symbolize(l.Value))
		}
		v2 := writev2.TimeSeries{LabelsRefs: refs}
		for _, smp := range s.Samples {
			v2.Samples = append(v2.Samples, writev2.Sample{Value: smp.Value, Timestamp: smp.Timestamp})
		}
		req.Timeseries = append(req.Timeseries, v2)
	}
	req.Symbols = st.Symbols()
	b, err := req.Marshal()
	require.NoError(t, err)
	return snappy.Encode(nil, b)
}

const (
	contentTypeV1 = "application/x-protobuf"
	contentTypeV2 = "application/x-protobuf;proto=io.prometheus.write.v2.Request"
)

type writeReply struct {
	code int
	body string
	hdr  http.Header
}

func postWrite(t testing.TB, base, contentType string, body []byte) writeReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/write", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	resp, b := testutil.Send(t, req)
	return writeReply{resp.StatusCode, string(b), resp.Header}
}

// apiReply is Prometheus's response envelope with data left raw.
type apiReply struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
	code      int
}

func apiGet(t testing.TB, base, path string, params url.Values) apiReply {
	t.Helper()
	u := base + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	resp, err := http.Get(u)
	require.NoError(t, err)
	return decodeAPI(t, resp)
}

func apiPost(t testing.TB, base, path string, params url.Values) apiReply {
	t.Helper()
	resp, err := http.PostForm(base+path, params)
	require.NoError(t, err)
	return decodeAPI(t, resp)
}

func decodeAPI(t testing.TB, resp *http.Response) apiReply {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var r apiReply
	require.NoError(t, json.Unmarshal(b, &r), "body: %s", b)
	r.code = resp.StatusCode
	return r
}

// vectorResult decodes an instant-vector query's data.
type vectorResult struct {
	ResultType string `json:"resultType"`
	Result     []struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
	} `json:"result"`
}

func queryVector(t testing.TB, base, q string, ts time.Time) vectorResult {
	t.Helper()
	r := apiGet(t, base, "/api/v1/query", url.Values{"query": {q}, "time": {unixSeconds(ts)}})
	require.Equal(t, "success", r.Status, "query %q: %s", q, r.Error)
	var v vectorResult
	require.NoError(t, json.Unmarshal(r.Data, &v))
	return v
}

// moduleRoot is the repository root, two levels above this package's tests.
func moduleRoot() string { return filepath.Join("..") }

// unixSeconds formats t as the API's float unix seconds, to the millisecond.
func unixSeconds(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

// nabSamples reads the values of the first n rows of a NAB CSV from the
// module's testdata and stamps them step apart, the last one at end (the
// real timestamps span days, more than a storage's out-of-order window).
func nabSamples(t testing.TB, file string, n int, end time.Time, step time.Duration) []prompb.Sample {
	t.Helper()
	f, err := os.Open(filepath.Join(moduleRoot(), "testdata", "nab", file))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	rows = rows[1:]
	if len(rows) > n {
		rows = rows[:n]
	}
	var out []prompb.Sample
	for i, row := range rows {
		_, err := time.Parse("2006-01-02 15:04:05", row[0])
		require.NoError(t, err)
		v, err := strconv.ParseFloat(row[1], 64)
		require.NoError(t, err)
		ts := end.Add(-time.Duration(len(rows)-1-i) * step)
		out = append(out, prompb.Sample{Timestamp: ts.UnixMilli(), Value: v})
	}
	return out
}

// expositionSeries turns the float samples of a Prometheus text exposition
// into remote-write series stamped at ts, as a scraping sender would.
func expositionSeries(t testing.TB, path string, ts time.Time) []prompb.TimeSeries {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	p := textparse.NewPromParser(b, labels.NewSymbolTable(), false)
	var out []prompb.TimeSeries
	for {
		e, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if e != textparse.EntrySeries {
			continue
		}
		_, _, v := p.Series()
		var ls labels.Labels
		p.Labels(&ls)
		s := prompb.TimeSeries{Samples: []prompb.Sample{{Timestamp: ts.UnixMilli(), Value: v}}}
		ls.Range(func(l labels.Label) { s.Labels = append(s.Labels, prompb.Label{Name: l.Name, Value: l.Value}) })
		out = append(out, s)
	}
	return out
}

func mustContainAll(t testing.TB, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		require.True(t, strings.Contains(s, sub), "%q does not contain %q", s, sub)
	}
}

var _ = context.Background

func snappyEncode(b []byte) []byte { return snappy.Encode(nil, b) }

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func getText(t testing.TB, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return readAll(t, resp)
}

func newHTTPServer(t testing.TB, srv *Server) string {
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

func labelsOf(kv ...string) labels.Labels { return labels.FromStrings(kv...) }

type matrixSeries struct {
	Metric map[string]string `json:"metric"`
	Values [][2]any          `json:"values"`
}

func decodeMatrix(t testing.TB, data json.RawMessage) []matrixSeries {
	t.Helper()
	var m struct {
		ResultType string         `json:"resultType"`
		Result     []matrixSeries `json:"result"`
	}
	require.NoError(t, json.Unmarshal(data, &m))
	require.Equal(t, "matrix", m.ResultType)
	return m.Result
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func labelsMatcher(name, value string) *labels.Matcher {
	return labels.MustNewMatcher(labels.MatchEqual, name, value)
}
