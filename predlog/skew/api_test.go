package skew_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	predapi "github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/baseline"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/tsdb"
)

// histogramServer is a real prediction pipeline (badger log in a temp dir)
// with the histogram route, served on 127.0.0.1.
func histogramServer(t *testing.T) string {
	t.Helper()
	url, _ := histogramPipeline(t, skew.Options{})
	return url
}

// histogramPipeline is histogramServer with the tracker's options, also
// returning the pipeline so a test can close windows with its own clock.
func histogramPipeline(t *testing.T, opts skew.Options) (string, *predapi.Pipeline) {
	t.Helper()
	p, err := predapi.OpenPipeline(context.Background(), t.TempDir(), predapi.PipelineOptions{RestoreJoins: -1, Skew: opts})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	mux := http.NewServeMux()
	p.Mount(mux)
	skew.NewHandler(p.Skew, nil).Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, p
}

func send(t *testing.T, method, url, ctype string, body []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s %s: %s", method, url, out.String())
	assert.NotContains(t, out.String(), `"rejected":1`)
}

type envelope struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
}

func get(t *testing.T, url string) (int, envelope) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	var env envelope
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
	return resp.StatusCode, env
}

// sentWindow is what the test posted, kept to count the bins itself.
type sentWindow struct {
	first            time.Time
	amount, hour     []float64
	missingAmount    int
	merchants        map[string]uint64
	amountSample     []float64
	merchantBaseline map[string]int
}

// ingest registers fraud v7's profile and posts 600 predictions.
func ingest(t *testing.T, url string) sentWindow {
	rng := rand.New(rand.NewPCG(7, 7))
	sample := make([]float64, 500)
	for i := range sample {
		x := float64(i) / float64(len(sample)-1)
		sample[i] = 5 + 495*x*x
	}
	w := sentWindow{merchants: map[string]uint64{}, amountSample: sample,
		merchantBaseline: map[string]int{"grocery": 600, "fuel": 300, "travel": 100}}
	prof := &baseline.Profile{Model: "fraud", Version: "v7", Rows: 1000, Created: time.Now().UTC(), Features: []baseline.Feature{
		{Name: "amount", Type: baseline.Numerical, Count: 1000, Min: 5, Max: 500, Sample: sample},
		{Name: "hour", Type: baseline.Numerical, Count: 1000, Min: 0, Max: 23, Sample: []float64{0, 6, 12, 18, 23}},
		{Name: "merchant", Type: baseline.Categorical, Count: 1000, Categories: []baseline.Category{
			{Value: "grocery", Count: 600}, {Value: "fuel", Count: 300}, {Value: "travel", Count: 100}}},
		{Name: "unseen", Type: baseline.Numerical, Count: 1000, Min: 1, Max: 2, Sample: []float64{1, 2}},
	}}
	body, err := prof.Marshal()
	require.NoError(t, err)
	send(t, http.MethodPut, url+"/api/v1/baselines/fraud/v7", "application/json", body)

	merchants := []string{"grocery", "fuel", "online"} // online is not in the profile
	w.first = time.Now().Add(-time.Minute).Truncate(time.Millisecond).UTC()
	var lines strings.Builder
	for i := range 600 {
		amount := fmt.Sprintf("%.4f", 50+rng.Float64()*600) // shifted: a sixth lies above the profile's 500
		switch {
		case i%50 == 7:
			amount = "null"
			w.missingAmount++
		case i%100 == 3:
			amount = fmt.Sprintf("%.4f", 900+rng.Float64()*100)
		}
		if amount != "null" {
			var v float64
			_, _ = fmt.Sscan(amount, &v)
			w.amount = append(w.amount, v)
		}
		hour := rng.IntN(24)
		w.hour = append(w.hour, float64(hour))
		m := merchants[rng.IntN(len(merchants))]
		w.merchants[m]++
		ts := w.first.Add(time.Duration(i) * 50 * time.Millisecond)
		fmt.Fprintf(&lines, `{"model":"fraud","version":"v7","role":"production","request_id":"r-%d","ts":%q,"latency_ms":3,"features":{"amount":%s,"hour":%d,"merchant":%q},"prediction":0.5,"status":"ok"}`+"\n",
			i, ts.Format(time.RFC3339Nano), amount, hour, m)
	}
	send(t, http.MethodPost, url+"/api/v1/predictions", "application/x-ndjson", []byte(lines.String()))
	return w
}

// binsOf counts values over equal bins of [lo, hi] the numpy way, with the
// values outside counted apart: the test's own oracle.
func binsOf(values []float64, lo, hi float64, n int) (counts []float64, below, above float64) {
	counts = make([]float64, n)
	for _, v := range values {
		switch {
		case v < lo:
			below++
		case v > hi:
			above++
		default:
			i := n - 1 // the last bin is closed
			for j := range n {
				if v < lo+(hi-lo)*float64(j+1)/float64(n) {
					i = j
					break
				}
			}
			counts[i]++
		}
	}
	return counts, below, above
}

type numericData struct {
	Edges               []float64 `json:"edges"`
	Counts              []float64 `json:"counts"`
	Below               float64   `json:"below"`
	Above               float64   `json:"above"`
	Uncertain           float64   `json:"uncertain"`
	BaselineProportions []float64 `json:"baseline_proportions"`
}

type histogramData struct {
	Model, Version, Feature, Type string
	Window                        struct {
		Kind       string
		Start, End time.Time
		Length     float64 `json:"length_seconds"`
		Samples    uint64
		Missing    uint64
	}
	Baseline   *struct{ Rows, Sampled int }
	Numeric    *numericData
	Categories []struct {
		Value              string
		Count              uint64
		BaselineProportion *float64 `json:"baseline_proportion"`
	}
}

func TestHistogramAfterIngest(t *testing.T) {
	url := histogramServer(t)
	sent := ingest(t, url)
	base := url + "/api/v1/drift/fraud/features/"

	for _, tc := range []struct {
		name, query string
		values      []float64
		sample      []float64
		lo, hi      float64
		bins        int
		missing     int
		exact       bool
	}{
		{"integer hours over 23 bins are exact", "hour/histogram?version=v7&bins=23", sent.hour, []float64{0, 6, 12, 18, 23}, 0, 23, 23, 0, true},
		{"amounts over the default 20 bins, version implied", "amount/histogram", sent.amount, sent.amountSample, 5, 500, 20, sent.missingAmount, false},
		{"amounts over 7 bins", "amount/histogram?version=v7&bins=7", sent.amount, sent.amountSample, 5, 500, 7, sent.missingAmount, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, env := get(t, base+tc.query)
			require.Equal(t, http.StatusOK, code, env.Error)
			assert.Equal(t, "success", env.Status)
			var h histogramData
			require.NoError(t, json.Unmarshal(env.Data, &h))
			assert.Equal(t, "v7", h.Version)
			assert.Equal(t, "numerical", h.Type)
			assert.Equal(t, "open", h.Window.Kind, "no window has closed: the open one, saying so")
			assert.Equal(t, sent.first, h.Window.Start, "the window starts with its first record")
			assert.Equal(t, sent.first.Add(skew.DefaultWindow), h.Window.End)
			assert.Equal(t, skew.DefaultWindow.Seconds(), h.Window.Length)
			assert.Equal(t, uint64(len(tc.values)), h.Window.Samples)
			assert.Equal(t, uint64(tc.missing), h.Window.Missing)
			require.NotNil(t, h.Baseline)
			assert.Equal(t, 1000, h.Baseline.Rows)
			require.NotNil(t, h.Numeric)
			n := h.Numeric
			require.Len(t, n.Edges, tc.bins+1)
			for i, e := range n.Edges {
				assert.InDelta(t, tc.lo+(tc.hi-tc.lo)*float64(i)/float64(tc.bins), e, 1e-9, "edge %d", i)
			}
			counts, below, above := binsOf(tc.values, tc.lo, tc.hi, tc.bins)
			baseCounts, _, _ := binsOf(tc.sample, tc.lo, tc.hi, tc.bins)
			require.Len(t, n.BaselineProportions, tc.bins)
			for i := range baseCounts {
				assert.InDelta(t, baseCounts[i]/float64(len(tc.sample)), n.BaselineProportions[i], 1e-12, "baseline bin %d", i)
			}
			if tc.exact {
				assert.Zero(t, n.Uncertain)
				assert.Equal(t, counts, n.Counts)
				assert.Equal(t, below, n.Below)
				assert.Equal(t, above, n.Above)
				return
			}
			l1 := math.Abs(n.Below-below) + math.Abs(n.Above-above)
			total := n.Below + n.Above
			for i := range counts {
				l1 += math.Abs(n.Counts[i] - counts[i])
				total += n.Counts[i]
			}
			assert.InDelta(t, float64(len(tc.values)), total, 1e-6)
			assert.LessOrEqual(t, l1, 2*n.Uncertain+1e-9, "counts within the documented bound")
			assert.Less(t, n.Uncertain, 0.1*float64(len(tc.values)))
			assert.Greater(t, above, 50.0, "the shift shows above the profile's range")
		})
	}

	t.Run("categories are exact", func(t *testing.T) {
		code, env := get(t, base+"merchant/histogram?version=v7")
		require.Equal(t, http.StatusOK, code, env.Error)
		var h histogramData
		require.NoError(t, json.Unmarshal(env.Data, &h))
		assert.Equal(t, "categorical", h.Type)
		assert.Nil(t, h.Numeric)
		got := map[string]uint64{}
		shares := map[string]float64{}
		var order []string
		for _, c := range h.Categories {
			got[c.Value] = c.Count
			require.NotNil(t, c.BaselineProportion, c.Value)
			shares[c.Value] = *c.BaselineProportion
			order = append(order, c.Value)
		}
		want := map[string]uint64{"travel": 0} // profiled, not served
		for k, v := range sent.merchants {
			want[k] = v
		}
		assert.Equal(t, want, got)
		assert.Equal(t, map[string]float64{"grocery": 0.6, "fuel": 0.3, "travel": 0.1, "online": 0}, shares)
		assert.Equal(t, []string{"grocery", "fuel", "travel", "online"}, order, "the profile's most frequent first")
	})

	t.Run("a profiled feature not yet served has an empty window", func(t *testing.T) {
		code, env := get(t, base+"unseen/histogram?version=v7&bins=2")
		require.Equal(t, http.StatusOK, code, env.Error)
		var h histogramData
		require.NoError(t, json.Unmarshal(env.Data, &h))
		assert.Zero(t, h.Window.Samples)
		assert.Equal(t, []float64{0, 0}, h.Numeric.Counts)
		assert.Equal(t, []float64{0.5, 0.5}, h.Numeric.BaselineProportions)
	})
}

func TestHistogramRequestErrors(t *testing.T) {
	url := histogramServer(t)
	ingest(t, url)
	// A second version makes the version parameter necessary.
	send(t, http.MethodPost, url+"/api/v1/predictions", "application/x-ndjson",
		[]byte(`{"model":"fraud","version":"v8","role":"shadow","request_id":"s-1","latency_ms":1,"features":{"amount":3},"prediction":0.1,"status":"ok"}`+"\n"))
	for _, tc := range []struct {
		name, path string
		code       int
		errType    string
		wants      []string
	}{
		{"unknown model", "/api/v1/drift/churn/features/amount/histogram", 404, "not_found", []string{`model "churn"`}},
		{"unknown version", "/api/v1/drift/fraud/features/amount/histogram?version=v1", 404, "not_found", []string{`version "v1"`}},
		{"unknown feature", "/api/v1/drift/fraud/features/colour/histogram?version=v7", 404, "not_found", []string{`feature "colour"`}},
		{"ambiguous version", "/api/v1/drift/fraud/features/amount/histogram", 400, "bad_data", []string{"version:", "v7, v8"}},
		{"zero bins", "/api/v1/drift/fraud/features/amount/histogram?version=v7&bins=0", 400, "bad_data", []string{"bins:", "got 0"}},
		{"too many bins", "/api/v1/drift/fraud/features/amount/histogram?version=v7&bins=101", 400, "bad_data", []string{"bins:", "1 to 100"}},
		{"bins not a number", "/api/v1/drift/fraud/features/amount/histogram?version=v7&bins=ten", 400, "bad_data", []string{"bins:", `"ten"`}},
		{"unknown window", "/api/v1/drift/fraud/features/amount/histogram?version=v7&window=closed", 400, "bad_data", []string{"window:", `"closed"`, `"scored"`, `"open"`}},
		{"window before an unknown model", "/api/v1/drift/churn/features/amount/histogram?window=last", 400, "bad_data", []string{"window:", `"last"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, env := get(t, url+tc.path)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, "error", env.Status)
			assert.Equal(t, tc.errType, env.ErrorType)
			for _, w := range tc.wants {
				assert.Contains(t, env.Error, w)
			}
		})
	}
}

func TestHistogramBeforeFirstRecord(t *testing.T) {
	url := histogramServer(t)
	prof := &baseline.Profile{Model: "churn", Version: "v1", Rows: 2, Features: []baseline.Feature{
		{Name: "tenure", Type: baseline.Numerical, Count: 2, Min: 1, Max: 3, Sample: []float64{1, 3}}}}
	body, err := prof.Marshal()
	require.NoError(t, err)
	send(t, http.MethodPut, url+"/api/v1/baselines/churn/v1", "application/json", body)
	code, env := get(t, url+"/api/v1/drift/churn/features/tenure/histogram?bins=2")
	require.Equal(t, http.StatusOK, code, env.Error)
	assert.NotContains(t, string(env.Data), `"start"`, "no window has opened yet")
	var h histogramData
	require.NoError(t, json.Unmarshal(env.Data, &h))
	assert.Zero(t, h.Window.Samples)
	assert.Equal(t, "open", h.Window.Kind, "nothing scored yet: the open window, saying so")
	assert.Equal(t, []float64{1, 2, 3}, h.Numeric.Edges)
	assert.Equal(t, []float64{0.5, 0.5}, h.Numeric.BaselineProportions)
}

// postWindow posts n fraud v7 predictions stamped from first on (10 ms
// apart), hours drawn from [lo, hi] and merchants from names; it returns
// what it sent, for the test to count itself.
func postWindow(t *testing.T, url string, rng *rand.Rand, first time.Time, n, lo, hi int, names []string) (hours []float64, merchants map[string]uint64) {
	t.Helper()
	merchants = map[string]uint64{}
	var lines strings.Builder
	for i := range n {
		hour := lo + rng.IntN(hi-lo+1)
		hours = append(hours, float64(hour))
		m := names[rng.IntN(len(names))]
		merchants[m]++
		ts := first.Add(time.Duration(i) * 10 * time.Millisecond)
		fmt.Fprintf(&lines, `{"model":"fraud","version":"v7","role":"production","request_id":"w-%d-%d","ts":%q,"latency_ms":3,"features":{"hour":%d,"merchant":%q},"prediction":0.5,"status":"ok"}`+"\n",
			first.UnixMilli(), i, ts.Format(time.RFC3339Nano), hour, m)
	}
	send(t, http.MethodPost, url+"/api/v1/predictions", "application/x-ndjson", []byte(lines.String()))
	return hours, merchants
}

// TestHistogramAcrossWindowRotation posts one window of traffic, closes it
// with the tracker's clock (AppendTo at the window's end, as the collector's
// series loop does), posts a differently distributed second window, and
// checks that the default answer is the scored (closed) window with the
// first window's counts and span while window=open has the second's.
func TestHistogramAcrossWindowRotation(t *testing.T) {
	const window = time.Minute
	url, p := histogramPipeline(t, skew.Options{Window: window})
	prof := &baseline.Profile{Model: "fraud", Version: "v7", Rows: 100, Features: []baseline.Feature{
		{Name: "hour", Type: baseline.Numerical, Count: 100, Min: 0, Max: 23, Sample: []float64{0, 6, 12, 18, 23}},
		{Name: "merchant", Type: baseline.Categorical, Count: 100, Categories: []baseline.Category{{Value: "grocery", Count: 60}, {Value: "fuel", Count: 40}}},
	}}
	body, err := prof.Marshal()
	require.NoError(t, err)
	send(t, http.MethodPut, url+"/api/v1/baselines/fraud/v7", "application/json", body)
	db, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })

	rng := rand.New(rand.NewPCG(3, 9))
	first := time.Now().Add(-2 * time.Minute).Truncate(time.Millisecond).UTC()
	hours1, merch1 := postWindow(t, url, rng, first, 300, 0, 11, []string{"grocery", "fuel"})
	base := url + "/api/v1/drift/fraud/features/"
	read := func(t *testing.T, query string) histogramData {
		t.Helper()
		code, env := get(t, base+query)
		require.Equal(t, http.StatusOK, code, env.Error)
		var h histogramData
		require.NoError(t, json.Unmarshal(env.Data, &h))
		return h
	}

	// Before the first window closes the default is the open window.
	h := read(t, "hour/histogram?bins=23")
	assert.Equal(t, "open", h.Window.Kind)
	assert.Equal(t, uint64(len(hours1)), h.Window.Samples)
	assert.Equal(t, first, h.Window.Start)

	// Closing early does nothing; at the window's end it is scored.
	require.NoError(t, p.Skew.AppendTo(context.Background(), db, first.Add(window/2)))
	assert.Equal(t, "open", read(t, "hour/histogram?bins=23").Window.Kind)
	closed := first.Add(window + 250*time.Millisecond)
	require.NoError(t, p.Skew.AppendTo(context.Background(), db, closed))

	// The second window: later hours and a merchant the first never saw.
	hours2, merch2 := postWindow(t, url, rng, closed.Add(time.Second), 120, 12, 23, []string{"fuel", "online"})

	for _, tc := range []struct {
		name, query string
		kind        string
		start, end  time.Time
		hours       []float64
		merchants   map[string]uint64
	}{
		{"default is the scored window", "", "scored", first, closed, hours1, merch1},
		{"window=scored", "&window=scored", "scored", first, closed, hours1, merch1},
		{"window=open", "&window=open", "open", closed, closed.Add(window), hours2, merch2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := read(t, "hour/histogram?version=v7&bins=23"+tc.query)
			assert.Equal(t, tc.kind, h.Window.Kind)
			assert.Equal(t, tc.start, h.Window.Start)
			assert.Equal(t, tc.end, h.Window.End)
			assert.InDelta(t, tc.end.Sub(tc.start).Seconds(), h.Window.Length, 1e-9)
			assert.Equal(t, uint64(len(tc.hours)), h.Window.Samples)
			require.NotNil(t, h.Numeric)
			counts, below, above := binsOf(tc.hours, 0, 23, 23)
			assert.Equal(t, counts, h.Numeric.Counts, "integer hours over 23 bins are exact")
			assert.Equal(t, below, h.Numeric.Below)
			assert.Equal(t, above, h.Numeric.Above)
			assert.Zero(t, h.Numeric.Uncertain)

			c := read(t, "merchant/histogram?version=v7"+tc.query)
			assert.Equal(t, tc.kind, c.Window.Kind)
			got := map[string]uint64{}
			for _, cc := range c.Categories {
				if cc.Count > 0 {
					got[cc.Value] = cc.Count
				}
			}
			assert.Equal(t, tc.merchants, got)
		})
	}

	// A second rotation makes the second window the scored one.
	closed2 := closed.Add(window)
	require.NoError(t, p.Skew.AppendTo(context.Background(), db, closed2))
	h = read(t, "hour/histogram?bins=23")
	assert.Equal(t, "scored", h.Window.Kind)
	assert.Equal(t, closed, h.Window.Start)
	assert.Equal(t, closed2, h.Window.End)
	counts, _, _ := binsOf(hours2, 0, 23, 23)
	assert.Equal(t, counts, h.Numeric.Counts)
	assert.Zero(t, read(t, "hour/histogram?bins=23&window=open").Window.Samples, "nothing sent since")
}
