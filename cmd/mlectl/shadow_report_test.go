package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/shadow"
)

const shadowCLIFixture = "../../testdata/models/xgboost_bike_binary_missing"

// shadowCollector serves the prediction log and the shadow report on
// loopback with a real badger log, and holds logged production and shadow
// records of model "bike": the shadow logged XGBoost's own predictions,
// production those plus 0.1·sin(i).
func shadowCollector(t *testing.T, t0 time.Time) (url string, prod, cand []float64) {
	t.Helper()
	lg, err := store.Open(t.TempDir(), store.Options{})
	require.NoError(t, err)
	h, err := api.New(context.Background(), api.Config{Log: lg})
	require.NoError(t, err)
	sh, err := shadow.NewHandler(shadow.HandlerConfig{Log: lg, Labels: func() shadow.Labels { return h.Labels() }})
	require.NoError(t, err)
	mux := http.NewServeMux()
	h.Mount(mux)
	sh.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); _ = lg.Close() })

	f, err := os.Open(filepath.Join(shadowCLIFixture, "input.csv"))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	pf, err := os.Open(filepath.Join(shadowCLIFixture, "expected_predictions.txt"))
	require.NoError(t, err)
	defer pf.Close()
	sc := bufio.NewScanner(pf)
	var body strings.Builder
	for i, row := range rows[1:] {
		require.True(t, sc.Scan())
		c, err := strconv.ParseFloat(sc.Text(), 64)
		require.NoError(t, err)
		p := math.Min(1, math.Max(0, c+0.1*math.Sin(float64(i))))
		prod, cand = append(prod, p), append(cand, c)
		var feats []string
		for j, name := range rows[0] {
			if row[j] != "" {
				feats = append(feats, fmt.Sprintf("%q:%s", name, row[j]))
			}
		}
		ts := t0.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano)
		for _, side := range []struct {
			version, role string
			score         float64
		}{{"v1", "production", p}, {"v2", "shadow", c}} {
			fmt.Fprintf(&body, `{"model":"bike","version":%q,"role":%q,"request_id":"r%d","ts":%q,"features":{%s},"prediction":%s}`+"\n",
				side.version, side.role, i, ts, strings.Join(feats, ","), strconv.FormatFloat(side.score, 'g', -1, 64))
		}
	}
	resp, err := http.Post(srv.URL+"/api/v1/predictions", "application/x-ndjson", strings.NewReader(body.String()))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return srv.URL, prod, cand
}

func TestShadowReportAndReplayCLI(t *testing.T) {
	t0 := time.Now().Add(-30 * time.Minute).Truncate(time.Second)
	url, prod, cand := shadowCollector(t, t0)
	var meanAbs, agree float64
	for i := range prod {
		meanAbs += math.Abs(prod[i]-cand[i]) / float64(len(prod))
		if (prod[i] >= 0.5) == (cand[i] >= 0.5) {
			agree += 1 / float64(len(prod))
		}
	}
	model := filepath.Join(shadowCLIFixture, "model.json")
	cases := []struct {
		name   string
		args   []string
		source string
		tol    float64
	}{
		{"report logged", []string{"shadow", "report", "bike", "--collector", url, "-o", "json"}, "logged", 1e-12},
		{"replay locally", []string{"shadow", "replay", "bike", "--model", model, "--collector", url, "--from", "-2h", "-o", "json", "--batch", "64"}, "replay", 1e-5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := predlogCLI(tc.args...)
			require.Equal(t, 0, code, errs)
			var rep shadow.Report
			require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
			assert.Equal(t, tc.source, rep.Source)
			assert.Equal(t, "v1", rep.ProductionVersion)
			assert.Equal(t, len(prod), rep.Pairs)
			assert.InDelta(t, agree, float64(rep.Agreement), 1e-12)
			assert.InDelta(t, meanAbs, float64(rep.MeanAbsDiff), tc.tol)
			assert.NotEmpty(t, rep.TopDisagreements)
			if tc.source == "replay" {
				assert.Greater(t, float64(rep.RowsPerSecond), 0.0)
			}
		})
	}
	// --backend on replay: the report and stderr name the backend and
	// device that scored the candidate; opencl (POCL here) scores as the CPU.
	t.Run("replay --backend", func(t *testing.T) {
		replay := func(backend string) (int, shadow.Report, string) {
			code, out, errs := predlogCLI("shadow", "replay", "bike", "--model", model, "--collector", url, "--from", "-2h", "-o", "json", "--batch", "64", "--backend", backend)
			var rep shadow.Report
			if code == 0 {
				require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
			}
			return code, rep, errs
		}
		code, cpu, errs := replay("cpu")
		require.Equal(t, 0, code, errs)
		assert.Equal(t, "cpu", cpu.Backend)
		assert.Contains(t, errs, "mlectl: backend cpu")
		code, _, errs = replay("gpu")
		assert.Equal(t, 2, code)
		assert.Contains(t, errs, `--backend: unknown backend "gpu"`)
		code, ocl, errs := replay("opencl")
		if code == 2 && strings.Contains(errs, "no OpenCL platform") {
			t.Skipf("no OpenCL platform here: %s", errs)
		}
		require.Equal(t, 0, code, errs)
		assert.True(t, strings.HasPrefix(ocl.Backend, "opencl on "), ocl.Backend)
		assert.Contains(t, errs, "mlectl: backend opencl on ")
		assert.Equal(t, cpu.Pairs, ocl.Pairs)
		assert.InDelta(t, float64(cpu.MeanAbsDiff), float64(ocl.MeanAbsDiff), 1e-6)
		assert.Equal(t, cpu.Agreement, ocl.Agreement)
	})

	code, out, errs := predlogCLI("shadow", "report", "bike", "--collector", url)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "production v1 vs candidate v2")
	assert.Contains(t, out, "TOP DISAGREEMENTS")

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"replay without model", []string{"shadow", "replay", "bike", "--collector", url}, "--model"},
		{"bad source", []string{"shadow", "report", "bike", "--collector", url, "--source", "magic"}, "--source"},
		{"bad output", []string{"shadow", "report", "bike", "--collector", url, "-o", "xml"}, "-o"},
		{"bad from", []string{"shadow", "report", "bike", "--collector", url, "--from", "last week"}, "--from"},
		{"two models", []string{"shadow", "report", "a", "b", "--collector", url}, "exactly one MODEL"},
		{"unreadable model", []string{"shadow", "replay", "bike", "--model", "/nonexistent.json", "--collector", url}, "--model"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := predlogCLI(tc.args...)
			assert.Equal(t, 2, code)
			assert.Contains(t, errs, tc.want)
		})
	}
	code, _, errs = predlogCLI("shadow", "report", "nosuch", "--collector", url)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "404")
}
