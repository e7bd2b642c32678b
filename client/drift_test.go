package client

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	predapi "github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/baseline"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/tsdb"
)

// TestDriftHistogram reads the open window of a real prediction pipeline
// over HTTP: a profile registered, three predictions sent.
func TestDriftHistogram(t *testing.T) {
	ctx := context.Background()
	p, err := predapi.OpenPipeline(ctx, t.TempDir(), predapi.PipelineOptions{RestoreJoins: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	mux := http.NewServeMux()
	p.Mount(mux)
	skew.NewHandler(p.Skew, nil).Mount(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)

	prof := &baseline.Profile{Model: "fraud", Version: "v7", Rows: 4, Features: []baseline.Feature{
		{Name: "amount", Type: baseline.Numerical, Count: 4, Min: 0, Max: 10, Sample: []float64{0, 1, 6, 10}},
		{Name: "country", Type: baseline.Categorical, Count: 4, Categories: []baseline.Category{{Value: "DE", Count: 3}, {Value: "FR", Count: 1}}},
	}}
	body, err := prof.Marshal()
	require.NoError(t, err)
	stamp := strconv.Quote(time.Now().UTC().Format(time.RFC3339Nano))
	for _, req := range []struct{ method, path, body string }{
		{http.MethodPut, "/api/v1/baselines/fraud/v7", string(body)},
		{http.MethodPost, "/api/v1/predictions", `{"model":"fraud","version":"v7","request_id":"a","ts":` + stamp + `,"latency_ms":1,"features":{"amount":2,"country":"DE"},"prediction":1}
{"model":"fraud","version":"v7","request_id":"b","ts":` + stamp + `,"latency_ms":1,"features":{"amount":7,"country":"IT"},"prediction":1}
{"model":"fraud","version":"v7","request_id":"c","ts":` + stamp + `,"latency_ms":1,"features":{"amount":12,"country":"DE"},"prediction":1}
`},
	} {
		r, err := http.NewRequest(req.method, hs.URL+req.path, bytes.NewBufferString(req.body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, req.path)
	}
	c, err := New(hs.URL)
	require.NoError(t, err)

	h, err := c.DriftHistogram(ctx, "fraud", "v7", "amount", 2)
	require.NoError(t, err)
	require.NotNil(t, h.Numeric)
	assert.Equal(t, []float64{0, 5, 10}, h.Numeric.Edges)
	assert.Equal(t, []float64{1, 1}, h.Numeric.Counts, "2 | 7; 12 lies above")
	assert.Equal(t, 1.0, h.Numeric.Above)
	assert.Equal(t, []float64{0.5, 0.5}, h.Numeric.BaselineProportions)
	assert.EqualValues(t, 3, h.Window.Samples)
	assert.Equal(t, skew.WindowOpen, h.Window.Kind, "no window has closed yet")

	h, err = c.DriftHistogram(ctx, "fraud", "", "country", 0)
	require.NoError(t, err)
	require.Len(t, h.Categories, 3)
	assert.Equal(t, "DE", h.Categories[0].Value)
	assert.EqualValues(t, 2, h.Categories[0].Count)
	assert.Equal(t, 0.75, *h.Categories[0].BaselineProportion)
	assert.Equal(t, "IT", h.Categories[2].Value, "served but not profiled: last")

	_, err = c.DriftHistogram(ctx, "fraud", "v7", "colour", 0)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 404, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, `no feature "colour"`)
	_, err = c.DriftHistogram(ctx, "fraud", "v7", "amount", 500)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, "bins:")

	// Once the window closes the default answer is that (scored) window,
	// even after new traffic arrives in the open one.
	db, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	closedAt := time.Now().Add(skew.DefaultWindow + time.Second).UTC().Truncate(time.Millisecond)
	require.NoError(t, p.Skew.AppendTo(ctx, db, closedAt))
	r, err := http.NewRequest(http.MethodPost, hs.URL+"/api/v1/predictions", bytes.NewBufferString(
		`{"model":"fraud","version":"v7","request_id":"d","ts":`+stamp+`,"latency_ms":1,"features":{"amount":1,"country":"FR"},"prediction":1}`+"\n"))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	resp.Body.Close()
	h, err = c.DriftHistogram(ctx, "fraud", "v7", "amount", 2)
	require.NoError(t, err)
	assert.Equal(t, skew.WindowScored, h.Window.Kind)
	require.NotNil(t, h.Window.End)
	assert.Equal(t, closedAt, *h.Window.End)
	assert.EqualValues(t, 3, h.Window.Samples, "the three records of the closed window, not the fourth")
	assert.Equal(t, []float64{1, 1}, h.Numeric.Counts)

	bare := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(bare.Close)
	old, err := New(bare.URL)
	require.NoError(t, err)
	_, err = old.DriftHistogram(ctx, "fraud", "v7", "amount", 0)
	assert.ErrorIs(t, err, ErrNotConfigured, "a collector without the route")
}

func FuzzDecodeDriftHistogram(f *testing.F) {
	f.Add([]byte(`{"status":"success","data":{"model":"fraud","version":"v7","feature":"amount","type":"numerical","window":{"start":"2026-11-27T03:00:00Z","end":"2026-11-27T03:05:00Z","length_seconds":300,"samples":3,"missing":0},"baseline":{"rows":4,"sampled":4},"numeric":{"edges":[0,5,10],"counts":[1,1],"below":0,"above":1,"uncertain":0,"baseline_proportions":[0.5,0.5]}}}`))
	f.Add([]byte(`{"status":"success","data":{"model":"fraud","version":"v7","feature":"amount","type":"numerical","window":{"kind":"scored","start":"2026-11-27T03:00:00Z","end":"2026-11-27T03:05:01Z","length_seconds":301,"samples":2,"missing":0},"baseline":null,"numeric":{"edges":[0,5],"counts":[2],"below":0,"above":0,"uncertain":0}}}`))
	f.Add([]byte(`{"status":"success","data":{"type":"numerical","window":{"kind":"scored"},"numeric":{"edges":[0,5],"counts":[2]}}}`))
	f.Add([]byte(`{"status":"success","data":{"type":"categorical","baseline":null,"categories":[{"value":"DE","count":2,"baseline_proportion":null}]}}`))
	f.Add([]byte(`{"status":"error","errorType":"not_found","error":"no feature"}`))
	f.Add([]byte(`{"status":"success","data":{"type":"numerical","numeric":{"edges":[0],"counts":[1]}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		h, err := DecodeDriftHistogram(body, 200)
		if err != nil {
			return
		}
		switch h.Window.Kind {
		case skew.WindowOpen:
		case skew.WindowScored:
			_, _ = *h.Window.Start, *h.Window.End // a scored window says when it ran
		default:
			t.Fatalf("window kind %q decoded from %q", h.Window.Kind, body)
		}
		if n := h.Numeric; n != nil {
			_ = n.Edges[len(n.Counts)] // indexable as promised
			for i := range n.BaselineProportions {
				_ = n.Counts[i]
			}
		}
	})
}
