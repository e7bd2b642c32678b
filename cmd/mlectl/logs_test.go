package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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

	// Relative times are before now, as in Prometheus and Grafana: a record
	// logged now is inside --from -1m --to now, in every spelling.
	fresh := fmt.Sprintf(`{"model":"fraud","version":"v7","request_id":"r-now","ts":%d,"features":{"amount":1},"prediction":0.5}`+"\n", time.Now().Add(-5*time.Second).UnixMilli())
	resp, err = http.Post(url+"/api/v1/predictions", "application/x-ndjson", strings.NewReader(fresh))
	require.NoError(t, err)
	resp.Body.Close()
	for _, rng := range [][2]string{{"-1m", "now"}, {"now-1m", "now+1m"}, {"-1m", ""}, {fmt.Sprint(time.Now().Add(-time.Minute).Unix()), "now"}} {
		args := []string{"logs", "export", "fraud", "--collector", url, "--format", "csv", "--from", rng[0]}
		if rng[1] != "" {
			args = append(args, "--to", rng[1])
		}
		code, out, errs = predlogCLI(args...)
		require.Equal(t, 0, code, errs)
		assert.Equal(t, 2, strings.Count(out, "\n"), "--from %s --to %s: header and the fresh record:\n%s", rng[0], rng[1], out)
		assert.Contains(t, out, "r-now", "--from %s --to %s", rng[0], rng[1])
	}

	code, out, _ = predlogCLI("logs", "export", "fraud", "--collector", url, "--version", "v9")
	require.Equal(t, 0, code)
	assert.Empty(t, out)

	for _, args := range [][]string{
		{"logs"},
		{"logs", "import"},
		{"logs", "export"},
		{"logs", "export", "fraud", "--format", "xml", "--collector", url},
		{"logs", "export", "fraud", "--from", "last tuesday", "--collector", url},
		{"logs", "export", "fraud", "--from", "1m", "--collector", url},
		{"logs", "export", "fraud", "--from", "1795687200000", "--collector", url},
		{"logs", "export", "fraud", "--from", "now", "--to", "-1h", "--collector", url},
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
