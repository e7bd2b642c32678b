package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/contract"
	"github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/store"
)

// predlogCollector serves the prediction-log endpoints on loopback with a
// real badger log.
func predlogCollector(t *testing.T) (string, *contract.Checker) {
	t.Helper()
	lg, err := store.Open(t.TempDir(), store.Options{})
	require.NoError(t, err)
	checker := contract.NewChecker()
	h, err := api.New(context.Background(), api.Config{Log: lg, Contracts: checker})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); _ = lg.Close() })
	return srv.URL, checker
}

func predlogCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestLogsExport(t *testing.T) {
	url, _ := predlogCollector(t)
	body := `{"model":"fraud","version":"v7","request_id":"r-1","ts":"2026-11-26T10:00:00.123Z","latency_ms":12.5,"features":{"amount":12.5,"country":"DE"},"prediction":0.83}
{"model":"fraud","version":"v8","request_id":"r-2","ts":"2026-11-26T11:00:00Z","features":{"amount":3,"country":"FR"},"prediction":"fraud","status":"error"}
`
	resp, err := http.Post(url+"/api/v1/predictions", "application/x-ndjson", strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	code, out, errs := predlogCLI("logs", "export", "fraud", "--collector", url)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, 2, strings.Count(out, "\n"))
	assert.Contains(t, out, `"request_id":"r-1","ts":"2026-11-26T10:00:00.123Z","latency_ms":12.5,"features":{"amount":12.5,"country":"DE"},"prediction":0.83,"status":"ok"`)

	code, out, errs = predlogCLI("logs", "export", "fraud", "--collector", url, "--format", "csv",
		"--from", "2026-11-26T10:30:00Z", "--to", "2026-11-26T12:00:00Z")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "ts,model,version,role,request_id,latency_ms,status,injected,prediction,amount,country\n"+
		"2026-11-26T11:00:00.000Z,fraud,v8,production,r-2,,error,false,fraud,3,FR\n", out)

	code, out, _ = predlogCLI("logs", "export", "fraud", "--collector", url, "--version", "v9")
	require.Equal(t, 0, code)
	assert.Empty(t, out)

	for _, args := range [][]string{
		{"logs"},
		{"logs", "import"},
		{"logs", "export"},
		{"logs", "export", "fraud", "--format", "xml", "--collector", url},
		{"logs", "export", "fraud", "--from", "last tuesday", "--collector", url},
		{"logs", "export", "fraud", "--collector", "ftp://x"},
	} {
		code, _, errs := predlogCLI(args...)
		assert.Equal(t, 2, code, "%v: %s", args, errs)
		assert.NotEmpty(t, errs)
	}
	// An unreachable collector is a failure (1), not a usage error.
	code, _, errs = predlogCLI("logs", "export", "fraud", "--collector", "http://127.0.0.1:1")
	assert.Equal(t, 1, code, errs)
}
