package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/api"
)

// Game-day records: the transformer runs before the log on the HTTP and the
// in-process path alike, injected records are stored marked, left out of
// live quality, and selected by the export's injected parameter.
func TestInjectedRecordsThroughThePipeline(t *testing.T) {
	ctx := context.Background()
	inj := gameday.New(gameday.Options{})
	p, err := api.OpenPipeline(ctx, t.TempDir(), api.PipelineOptions{RestoreJoins: -1,
		Transformers: []api.Transformer{inj}, Baselines: []api.BaselineSink{inj}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)

	now := time.Now().UTC()
	line := func(id string, x float64) string {
		return fmt.Sprintf(`{"model":"m","version":"v1","request_id":%q,"ts":%d,"features":{"x":%g},"prediction":%g}`+"\n", id, now.UnixMilli(), x, x)
	}
	post := func(body string) {
		resp, err := http.Post(srv.URL+"/api/v1/predictions", "application/x-ndjson", strings.NewReader(body))
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	}
	post(line("a", 1) + line("b", 2))
	started, err := inj.Start(ctx, gameday.Spec{Model: "m", Feature: "x", Kind: gameday.KindScale, Magnitude: 10, Duration: time.Minute}, "t")
	require.NoError(t, err)
	post(line("c", 3))
	require.NoError(t, p.Ingest(ctx, []predlog.Record{{Model: "m", Version: "v1", Role: "production", Status: "ok", RequestID: "d", TS: now.UnixMilli(),
		Features: []predlog.Feature{{Name: "x", Value: predlog.Float(4)}}, Prediction: predlog.Prediction{Value: predlog.Float(4)}}}))

	// Every record gets a label equal to its prediction; only a and b count.
	fb := ""
	for _, id := range []string{"a", "b", "c", "d"} {
		fb += fmt.Sprintf(`{"request_id":%q,"label":1,"ts":%d}`+"\n", id, now.UnixMilli()+1000)
	}
	resp, err := http.Post(srv.URL+"/api/v1/feedback", "application/x-ndjson", strings.NewReader(fb))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	assert.Contains(t, string(b), `"matched":2`)
	q := p.Joiner.Snapshot()[[3]string{"m", "v1", "production"}]
	assert.Equal(t, 2, q.Pairs)

	cur, err := inj.Get(ctx, started.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(2), cur.Records)

	cases := []struct {
		query string
		code  int
		want  []string
	}{
		{"", http.StatusOK, []string{`"request_id":"a"`, `"request_id":"b"`, `"request_id":"c"`, `"request_id":"d"`}},
		{"&injected=include", http.StatusOK, []string{`"request_id":"a"`, `"request_id":"b"`, `"request_id":"c"`, `"request_id":"d"`}},
		{"&injected=exclude", http.StatusOK, []string{`"request_id":"a","ts"`, `"request_id":"b","ts"`}},
		{"&injected=only", http.StatusOK, []string{`"features":{"x":30},"prediction":3,"status":"ok","injected":true`, `"features":{"x":40},"prediction":4,"status":"ok","injected":true`}},
		{"&injected=yes", http.StatusBadRequest, []string{`injected: must be include, exclude or only`}},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			resp, err := http.Get(srv.URL + "/api/v1/predictions/export?model=m" + tc.query)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, tc.code, resp.StatusCode, string(b))
			if tc.code != http.StatusOK {
				assert.Contains(t, string(b), tc.want[0])
				return
			}
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			require.Len(t, lines, len(tc.want), string(b))
			for i, w := range tc.want {
				assert.Contains(t, lines[i], w)
			}
		})
	}
	// CSV has the injected column.
	resp, err = http.Get(srv.URL + "/api/v1/predictions/export?model=m&format=csv&injected=only")
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	rows := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, rows, 3)
	assert.Contains(t, rows[1], ",true,3,30")
}
