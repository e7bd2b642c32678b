package api

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/drift"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/predlog/baseline"
)

func (e *env) putBytes(path, contentType string, body []byte) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPut, e.srv.URL+path, bytes.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", contentType)
	resp, b := testutil.Send(e.t, req)
	return resp.StatusCode, string(b)
}

// profileWithout returns p's JSON with its creation time fixed, the one
// field a server-side profile cannot share with a CLI-side one.
func profileWithout(t *testing.T, b []byte) string {
	p, err := baseline.Unmarshal(b)
	require.NoError(t, err)
	p.Created = time.Unix(0, 0).UTC()
	out, err := p.Marshal()
	require.NoError(t, err)
	return string(out)
}

func TestPutBaselineParquet(t *testing.T) {
	e := newEnv(t, Limits{})
	pq, err := os.ReadFile("../baseline/testdata/bike_hour.parquet")
	require.NoError(t, err)
	frame, err := drift.ReadCSVFile("../../sim/profiles/bike_hour.csv")
	require.NoError(t, err)
	fromCSV, err := baseline.FromFrame("bike", "v1", frame, []string{"season", "weathersit"}, time.Now())
	require.NoError(t, err)
	want, err := fromCSV.Marshal()
	require.NoError(t, err)

	for _, ct := range []string{ParquetContentType, "application/octet-stream"} {
		code, body := e.putBytes("/api/v1/baselines/bike/v1?categorical=season,weathersit", ct, pq)
		require.Equal(t, http.StatusOK, code, body)
		assert.JSONEq(t, `{"model":"bike","version":"v1","features":10,"rows":2897}`, body)
		resp, err := http.Get(e.srv.URL + "/api/v1/baselines/bike/v1")
		require.NoError(t, err)
		stored, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, profileWithout(t, want), profileWithout(t, stored), ct)
	}
	require.NotNil(t, e.checker.Get("bike", "v1"), "a contract is learned from the Parquet baseline")

	tests := []struct {
		name, contentType string
		body              []byte
		code              int
		want              string
	}{
		{"csv sent as parquet", ParquetContentType, []byte("season,hr\n1,2\n"), 400, "no PAR1 magic"},
		{"truncated", ParquetContentType, pq[:len(pq)/2], 400, "body: parquet"},
		{"octet-stream without magic is not parquet", "application/octet-stream", []byte("xx"), 400, "baseline profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := e.putBytes("/api/v1/baselines/bike/v2", tt.contentType, tt.body)
			assert.Equal(t, tt.code, code, body)
			assert.Contains(t, body, tt.want)
		})
	}
	code, body := e.putBytes("/api/v1/baselines/bike/v2?categorical=seasn", ParquetContentType, pq)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, `no column \"seasn\"`)

	resp, err := http.Get(e.srv.URL + "/api/v1/baselines/bike/v2")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a refused Parquet upload was stored")
	spooled, err := os.ReadDir(e.dir + "/spool")
	require.NoError(t, err)
	assert.Empty(t, spooled, "spooled uploads are removed")
}

func TestPutBaselineParquetOverTheBodyLimit(t *testing.T) {
	e := newEnv(t, Limits{MaxBodyBytes: 10 << 10})
	pq, err := os.ReadFile("../baseline/testdata/bike_hour.parquet")
	require.NoError(t, err)
	code, body := e.putBytes("/api/v1/baselines/bike/v1", ParquetContentType, pq)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Contains(t, body, "over the limit of 10240 bytes")
	spooled, err := os.ReadDir(e.dir + "/spool")
	require.NoError(t, err)
	assert.Empty(t, spooled)
}
