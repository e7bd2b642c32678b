package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/drift"
	"github.com/mlectl/mlectl/predlog/baseline"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/tsdb"
)

// sliEnv is a whole pipeline (as the collector opens it) on loopback HTTP
// with a real TSDB, for the explanation and freshness series.
type sliEnv struct {
	t   *testing.T
	p   *Pipeline
	db  *tsdb.DB
	srv *httptest.Server
}

const sliWindow = time.Minute

func newSLIEnv(t *testing.T) *sliEnv {
	dir := t.TempDir()
	p, err := OpenPipeline(context.Background(), dir, PipelineOptions{Skew: skew.Options{Window: sliWindow}})
	require.NoError(t, err)
	db, err := tsdb.Open(dir+"/tsdb", tsdb.Options{})
	require.NoError(t, err)
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		srv.Close()
		_ = p.Close()
		_ = db.Close()
	})
	return &sliEnv{t: t, p: p, db: db, srv: srv}
}

func (e *sliEnv) post(path, body string) (int, IngestResponse) {
	e.t.Helper()
	resp, err := http.Post(e.srv.URL+path, "application/x-ndjson", strings.NewReader(body))
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	var out IngestResponse
	require.NoError(e.t, json.Unmarshal(b, &out), "body %s", b)
	return resp.StatusCode, out
}

func (e *sliEnv) exported(model string) []string {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + "/api/v1/predictions/export?model=" + model)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	require.Equal(e.t, http.StatusOK, resp.StatusCode, "%s", b)
	if s := strings.TrimSuffix(string(b), "\n"); s != "" {
		return strings.Split(s, "\n")
	}
	return nil
}

// series writes the pipeline's series at ts and returns the values of name
// at ts keyed by their labels without __name__.
func (e *sliEnv) series(ts time.Time, name string) map[string]float64 {
	e.t.Helper()
	require.NoError(e.t, e.p.AppendSeries(context.Background(), e.db, ts))
	q, err := e.db.Querier(ts.UnixMilli(), ts.UnixMilli())
	require.NoError(e.t, err)
	defer q.Close()
	ss := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", name))
	out := map[string]float64{}
	var it chunkenc.Iterator
	for ss.Next() {
		s := ss.At()
		it = s.Iterator(it)
		for it.Next() == chunkenc.ValFloat {
			if t, v := it.At(); t == ts.UnixMilli() {
				out[s.Labels().DropMetricName().String()] = v
			}
		}
	}
	require.NoError(e.t, ss.Err())
	return out
}

// explained is one posted record's contributions (nil: none logged).
type explained map[string]float64

func explainedLines(model string, t0 time.Time, recs []explained) string {
	var b strings.Builder
	for i, x := range recs {
		fmt.Fprintf(&b, `{"model":%q,"version":"v1","request_id":"%s-%d","ts":%d,"features":{"temp":%d,"hour":%d},"prediction":1`,
			model, model, i, t0.Add(time.Duration(i)*time.Millisecond).UnixMilli(), i, i%24)
		if x != nil {
			parts := []string{}
			for _, f := range []string{"temp", "hour"} {
				if c, ok := x[f]; ok {
					parts = append(parts, fmt.Sprintf("%q:%v", f, c))
				}
			}
			fmt.Fprintf(&b, `,"explanations":{%s}`, strings.Join(parts, ","))
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// meanAbs is the expected series value, computed here from the posted
// numbers: the mean |contribution| over the records that explain f.
func meanAbs(recs []explained, f string) float64 {
	sum, n := 0.0, 0
	for _, x := range recs {
		if c, ok := x[f]; ok {
			sum += math.Abs(c)
			n++
		}
	}
	return sum / float64(n)
}

func TestExplanationSeriesOverHTTP(t *testing.T) {
	e := newSLIEnv(t)
	t0 := time.Now().Add(-5 * time.Minute).Truncate(time.Second)
	first := []explained{
		{"temp": 0.5, "hour": -0.25},
		{"temp": -1.5, "hour": 0.75},
		nil, // no explanation logged: lowers coverage only
		{"temp": 2, "hour": -0.125},
	}
	second := []explained{
		{"temp": 0.1, "hour": -3},
		{"temp": -0.3, "hour": 2.5},
		{"hour": 4}, // temp not explained: not counted in temp's mean
		nil,
		nil,
	}
	code, resp := e.post("/api/v1/predictions", explainedLines("demand", t0, first))
	require.Equal(t, http.StatusOK, code, "%+v", resp)
	close1 := t0.Add(sliWindow + time.Second)
	key := func(f string) string { return fmt.Sprintf(`{feature="%s", model="demand", version="v1"}`, f) }

	assert.InDeltaMapValues(t, map[string]float64{key("temp"): meanAbs(first, "temp"), key("hour"): meanAbs(first, "hour")},
		e.series(close1, MetricNameAttrMeanAbs), 1e-12)
	assert.Equal(t, map[string]float64{key("temp"): 0, key("hour"): 0}, e.series(close1, MetricNameAttrChange), "the first window is the reference")
	assert.InDeltaMapValues(t, map[string]float64{`{model="demand", version="v1"}`: 3.0 / 4}, e.series(close1, MetricNameExplCoverage), 1e-12)

	code, resp = e.post("/api/v1/predictions", explainedLines("demand", close1, second))
	require.Equal(t, http.StatusOK, code, "%+v", resp)
	close2 := close1.Add(sliWindow + time.Second)
	assert.InDeltaMapValues(t, map[string]float64{key("temp"): meanAbs(second, "temp"), key("hour"): meanAbs(second, "hour")},
		e.series(close2, MetricNameAttrMeanAbs), 1e-12)
	change := e.series(close2, MetricNameAttrChange)
	assert.InDeltaMapValues(t, map[string]float64{
		key("temp"): meanAbs(second, "temp") - meanAbs(first, "temp"),
		key("hour"): meanAbs(second, "hour") - meanAbs(first, "hour"),
	}, change, 1e-12)
	assert.Greater(t, change[key("hour")], change[key("temp")], "hour's influence grew, temp's shrank")
	assert.InDeltaMapValues(t, map[string]float64{`{model="demand", version="v1"}`: 3.0 / 5}, e.series(close2, MetricNameExplCoverage), 1e-12)

	// The explanations are stored with the records and export prints them.
	got := e.exported("demand")
	require.Len(t, got, len(first)+len(second))
	var rec struct {
		Explanations map[string]float64 `json:"explanations"`
	}
	require.NoError(t, json.Unmarshal([]byte(got[1]), &rec))
	assert.Equal(t, map[string]float64(first[1]), rec.Explanations)
	assert.NotContains(t, got[2], "explanations")
}

func TestExplanationCoverageOnlyForModelsThatExplain(t *testing.T) {
	e := newSLIEnv(t)
	t0 := time.Now().Add(-5 * time.Minute)
	code, _ := e.post("/api/v1/predictions", explainedLines("plain", t0, []explained{nil, nil}))
	require.Equal(t, http.StatusOK, code)
	assert.Empty(t, e.series(t0.Add(sliWindow+time.Second), MetricNameExplCoverage))
}

func TestFeatureFreshnessQuantilesOverHTTP(t *testing.T) {
	e := newSLIEnv(t)
	t0 := time.Now().Add(-5 * time.Minute).Truncate(time.Second)
	var b strings.Builder
	// temp was computed 1, 2, ... 10 s before each prediction; hour 3600 s
	// before every one (a daily batch feature), sent as Unix ms.
	for i := 1; i <= 10; i++ {
		ts := t0.Add(time.Duration(i) * time.Second)
		fmt.Fprintf(&b, `{"model":"demand","version":"v1","ts":%q,"features":{"temp":1,"hour":2},"feature_ts":{"temp":%q,"hour":%d}}`+"\n",
			ts.Format(time.RFC3339Nano), ts.Add(-time.Duration(i)*time.Second).Format(time.RFC3339Nano), ts.Add(-time.Hour).UnixMilli())
	}
	code, resp := e.post("/api/v1/predictions", b.String())
	require.Equal(t, http.StatusOK, code, "%+v", resp)
	key := func(f, q string) string {
		return fmt.Sprintf(`{feature="%s", model="demand", quantile="%s", version="v1"}`, f, q)
	}
	// Nearest rank over the ages 1..10 s: p50 is the 5th, p99 the 10th.
	assert.Equal(t, map[string]float64{
		key("temp", "0.5"): 5, key("temp", "0.99"): 10,
		key("hour", "0.5"): 3600, key("hour", "0.99"): 3600,
	}, e.series(t0.Add(sliWindow+time.Second), MetricNameFreshness))
}

func TestExplanationAndFreshnessBadInputIsRefused(t *testing.T) {
	e := newSLIEnv(t)
	// A baseline makes "season" a feature of bike/v1 though records do
	// not carry it: an explanation of it is accepted.
	frame, err := drift.ParseCSV([]byte("temp,season\n1,a\n2,b\n3,a\n"))
	require.NoError(t, err)
	prof, err := baseline.FromFrame("bike", "v1", frame, []string{"season"}, time.Now())
	require.NoError(t, err)
	body, err := json.Marshal(prof)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPut, e.srv.URL+"/api/v1/baselines/bike/v1", bytes.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	now := time.Now().UTC()
	ts := now.Format(time.RFC3339Nano)
	cases := []struct {
		name, model, extra, field string
	}{
		{"unknown feature in explanations", "m1", `"explanations":{"temp":0.1,"tmep":0.2}`, "explanations.tmep"},
		{"infinite contribution", "m2", `"explanations":{"temp":1e999}`, "explanations.temp"},
		{"NaN contribution as text", "m3", `"explanations":{"temp":"NaN"}`, "explanations.temp"},
		{"null contribution", "m4", `"explanations":{"temp":null}`, "explanations.temp"},
		{"feature computed in the future", "m5", fmt.Sprintf(`"feature_ts":{"temp":%q}`, now.Add(2*time.Minute).Format(time.RFC3339Nano)), "feature_ts.temp"},
		{"unknown feature in feature_ts", "m6", fmt.Sprintf(`"feature_ts":{"tmep":%q}`, ts), "feature_ts.tmep"},
		{"unparsable feature time", "m7", `"feature_ts":{"temp":"yesterday"}`, "feature_ts.temp"},
		{"feature of another model's baseline", "m8", `"explanations":{"season":0.1}`, "explanations.season"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line := fmt.Sprintf(`{"model":%q,"version":"v1","ts":%q,"features":{"temp":1},%s}`+"\n", c.model, ts, c.extra)
			code, resp := e.post("/api/v1/predictions", line)
			require.Equal(t, http.StatusBadRequest, code, "%+v", resp)
			require.Len(t, resp.Errors, 1)
			assert.Equal(t, c.field, resp.Errors[0].Field, resp.Errors[0].Error)
			assert.Equal(t, 0, resp.Accepted)
			assert.Empty(t, e.exported(c.model), "nothing of the refused record is stored")
		})
	}

	ok := []string{
		fmt.Sprintf(`{"model":"bike","version":"v1","ts":%q,"features":{"temp":1},"explanations":{"temp":0.5,"season":-0.25}}`, ts),
		// Within the one-minute skew a feature time after the prediction is a clock, not a bug.
		fmt.Sprintf(`{"model":"bike","version":"v1","ts":%q,"features":{"temp":1},"feature_ts":{"temp":%q,"season":%q}}`, ts,
			now.Add(30*time.Second).Format(time.RFC3339Nano), now.Add(-time.Hour).Format(time.RFC3339Nano)),
	}
	code, resp2 := e.post("/api/v1/predictions", strings.Join(ok, "\n")+"\n")
	require.Equal(t, http.StatusOK, code, "%+v", resp2)
	assert.Len(t, e.exported("bike"), 2)
}

// Series names as the tests query them (spelt out, not taken from the
// code under test).
const (
	MetricNameAttrMeanAbs  = "mle_feature_attribution_mean_abs"
	MetricNameAttrChange   = "mle_feature_attribution_change"
	MetricNameExplCoverage = "mle_explanation_coverage_ratio"
	MetricNameFreshness    = "mle_feature_freshness_seconds"
)
