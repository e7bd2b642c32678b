package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/testutil"
)

// shadowFixture is the binary XGBoost model of testdata/models (features
// named in the file, 15% missing cells) with XGBoost's own predictions.
const shadowFixture = "../../testdata/models/xgboost_bike_binary_missing"

type shadowRow struct {
	id         string
	ts         time.Time
	features   map[string]string // "" cells are left out of the record
	production float64           // what the "production" model logged
	candidate  float64           // XGBoost's own prediction (the oracle)
	label      float64
	labelled   bool
}

func loadShadowRows(t *testing.T, base time.Time) (header []string, rows []shadowRow) {
	t.Helper()
	f, err := os.Open(filepath.Join(shadowFixture, "input.csv"))
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	header = recs[0]
	pf, err := os.Open(filepath.Join(shadowFixture, "expected_predictions.txt"))
	require.NoError(t, err)
	defer pf.Close()
	sc := bufio.NewScanner(pf)
	for i, rec := range recs[1:] {
		require.True(t, sc.Scan())
		cand, err := strconv.ParseFloat(strings.TrimSpace(sc.Text()), 64)
		require.NoError(t, err)
		feats := map[string]string{}
		for j, h := range header {
			feats[h] = rec[j]
		}
		// A production model that disagrees in a known way: shifted by a
		// row-dependent amount, clamped to a probability.
		prod := math.Min(1, math.Max(0, cand+0.15*math.Sin(float64(i))))
		rows = append(rows, shadowRow{
			id: fmt.Sprintf("req-%03d", i), ts: base.Add(time.Duration(i) * time.Second), features: feats,
			production: prod, candidate: cand, label: float64(i % 3 % 2), labelled: i%4 != 0,
		})
	}
	return header, rows
}

func recordLine(r shadowRow, header []string, version, role string, pred float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"model":"bike","version":%q,"role":%q,"request_id":%q,"ts":%q,"features":{`, version, role, r.id, r.ts.Format(time.RFC3339Nano))
	first := true
	for _, h := range header {
		v := r.features[h]
		if v == "" {
			continue // missing: left out of the record
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%q:%s", h, v)
	}
	fmt.Fprintf(&b, `},"prediction":%s,"status":"ok"}`+"\n", strconv.FormatFloat(pred, 'g', -1, 64))
	return b.String()
}

// expectedFigures computes the report's figures here, apart from package
// shadow: agreement at 0.5, mean/p99 |diff| (numpy linear), Spearman by
// counting ranks, PSI on numpy sturges bins, AUC by counting pairs.
type expectedFigures struct {
	agreement, meanAbs, p99, spearman, psi, aucProd, aucCand float64
	labelled                                                 int
	top                                                      []string
}

func computeExpected(rows []shadowRow) expectedFigures {
	n := len(rows)
	var e expectedFigures
	diffs := make([]float64, n)
	prod, cand := make([]float64, n), make([]float64, n)
	for i, r := range rows {
		prod[i], cand[i] = r.production, r.candidate
		diffs[i] = math.Abs(r.candidate - r.production)
		e.meanAbs += diffs[i] / float64(n)
		if (r.production >= 0.5) == (r.candidate >= 0.5) {
			e.agreement += 1 / float64(n)
		}
	}
	sorted := append([]float64(nil), diffs...)
	sort.Float64s(sorted)
	h := 0.99 * float64(n-1)
	lo := int(h)
	e.p99 = sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
	ranks := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i := range v {
			less, eq := 0.0, 0.0
			for j := range v {
				if v[j] < v[i] {
					less++
				} else if v[j] == v[i] {
					eq++
				}
			}
			out[i] = less + (eq+1)/2
		}
		return out
	}
	ra, rb := ranks(prod), ranks(cand)
	mean := float64(n+1) / 2
	var sab, saa, sbb float64
	for i := range ra {
		sab += (ra[i] - mean) * (rb[i] - mean)
		saa += (ra[i] - mean) * (ra[i] - mean)
		sbb += (rb[i] - mean) * (rb[i] - mean)
	}
	e.spearman = sab / math.Sqrt(saa*sbb)
	// PSI: ceil(log2(2n)+1) equal-width bins over both samples.
	mn, mx := math.Inf(1), math.Inf(-1)
	for i := range prod {
		mn, mx = math.Min(mn, math.Min(prod[i], cand[i])), math.Max(mx, math.Max(prod[i], cand[i]))
	}
	nb := int(math.Ceil(math.Log2(float64(2*n)) + 1))
	bin := func(vs []float64) []float64 {
		c := make([]float64, nb)
		for _, v := range vs {
			k := min(int((v-mn)/((mx-mn)/float64(nb))), nb-1)
			c[k] += 1 / float64(len(vs))
		}
		m := 1.0
		for _, x := range c {
			if x > 0 {
				m = math.Min(m, x)
			}
		}
		for k := range c {
			if c[k] == 0 {
				c[k] = 1e-4
				if m <= 1e-4 {
					c[k] = m / 1e6
				}
			}
		}
		return c
	}
	bp, bc := bin(prod), bin(cand)
	for k := range bp {
		e.psi += (bp[k] - bc[k]) * math.Log(bp[k]/bc[k])
	}
	auc := func(score func(shadowRow) float64) float64 {
		var num, den float64
		for _, a := range rows {
			for _, b := range rows {
				if a.labelled && b.labelled && a.label == 1 && b.label == 0 {
					den++
					if score(a) > score(b) {
						num++
					} else if score(a) == score(b) {
						num += 0.5
					}
				}
			}
		}
		return num / den
	}
	e.aucProd = auc(func(r shadowRow) float64 { return r.production })
	e.aucCand = auc(func(r shadowRow) float64 { return r.candidate })
	for _, r := range rows {
		if r.labelled {
			e.labelled++
		}
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return diffs[idx[a]] > diffs[idx[b]] })
	for _, i := range idx[:5] {
		e.top = append(e.top, rows[i].id)
	}
	return e
}

type reportJSON struct {
	Model             string    `json:"model"`
	ProductionVersion string    `json:"production_version"`
	CandidateVersion  string    `json:"candidate_version"`
	Source            string    `json:"source"`
	From              time.Time `json:"from"`
	To                time.Time `json:"to"`
	Pairs             int       `json:"pairs"`
	Threshold         float64   `json:"threshold"`
	Agreement         float64   `json:"agreement"`
	MeanAbsDiff       float64   `json:"mean_abs_diff"`
	P99AbsDiff        float64   `json:"p99_abs_diff"`
	Spearman          float64   `json:"spearman"`
	PSI               float64   `json:"psi"`
	RowsPerSecond     *float64  `json:"rows_per_second"`
	Quality           *struct {
		Production struct {
			Metric   string  `json:"metric"`
			Value    float64 `json:"value"`
			Labelled int     `json:"labelled"`
		} `json:"production"`
		Candidate struct {
			Metric   string  `json:"metric"`
			Value    float64 `json:"value"`
			Labelled int     `json:"labelled"`
		} `json:"candidate"`
	} `json:"quality"`
	TopDisagreements []struct {
		RequestID  string    `json:"request_id"`
		TS         time.Time `json:"ts"`
		Production float64   `json:"production"`
		Candidate  float64   `json:"candidate"`
		AbsDiff    float64   `json:"abs_diff"`
	} `json:"top_disagreements"`
}

func TestShadowReportOnRealCollector(t *testing.T) {
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "collector.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`tokens:
  - {name: ops, token: s3cret, role: admin}
  - {name: watcher, token: look, role: viewer}
models:
  - {name: bike, owner: t, actuator: {kind: file, path: %s}}
`, filepath.Join(tmp, "route.json"))), 0o600))
	base, cancel, done, logs := startRun(t, "--data-dir", filepath.Join(tmp, "d"), "--config", cfg)

	do := func(method, path, token, ctype, body string) (int, []byte) {
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, b := testutil.Send(t, req)
		return resp.StatusCode, b
	}
	modelPath, err := filepath.Abs(filepath.Join(shadowFixture, "model.json"))
	require.NoError(t, err)
	modelBytes, err := os.ReadFile(modelPath)
	require.NoError(t, err)
	sum := sha256.Sum256(modelBytes)
	register := func(version, uri, stage string) {
		body := fmt.Sprintf(`{"version":%q,"artifact_uri":%q,"sha256":%q,"stage":%q}`, version, uri, hex.EncodeToString(sum[:]), stage)
		code, b := do(http.MethodPost, "/api/v1/models/bike/versions", "s3cret", "application/json", body)
		require.Equal(t, http.StatusCreated, code, "%s", b)
	}
	register("v1", "s3://models/bike/v1.json", "production")
	register("v2", "file://"+modelPath, "shadow")

	t0 := time.Now().Add(-time.Hour).Truncate(time.Second).UTC()
	header, rows := loadShadowRows(t, t0)
	var prodLines, shadowLines, labels strings.Builder
	for _, r := range rows {
		prodLines.WriteString(recordLine(r, header, "v1", "production", r.production))
		shadowLines.WriteString(recordLine(r, header, "v2", "shadow", r.candidate))
		if r.labelled {
			fmt.Fprintf(&labels, `{"request_id":%q,"label":%g}`+"\n", r.id, r.label)
		}
	}
	for _, body := range []string{prodLines.String(), shadowLines.String()} {
		code, b := do(http.MethodPost, "/api/v1/predictions", "", "application/x-ndjson", body)
		require.Equal(t, http.StatusOK, code, "%s", b)
	}
	code, b := do(http.MethodPost, "/api/v1/feedback", "", "application/x-ndjson", labels.String())
	require.Equal(t, http.StatusOK, code, "%s", b)

	want := computeExpected(rows)
	q := url.Values{"from": {t0.Add(-time.Minute).Format(time.RFC3339)}, "to": {t0.Add(time.Hour).Format(time.RFC3339)}}
	get := func(source string) reportJSON {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		if source != "" {
			qq.Set("source", source)
		}
		code, b := do(http.MethodGet, "/api/v1/shadow/bike/report?"+qq.Encode(), "look", "", "")
		require.Equal(t, http.StatusOK, code, "%s", b)
		var env struct {
			Status string     `json:"status"`
			Data   reportJSON `json:"data"`
		}
		require.NoError(t, json.Unmarshal(b, &env), "%s", b)
		require.Equal(t, "success", env.Status)
		return env.Data
	}

	cases := []struct {
		source, wantSource string
		tol                float64 // engine vs XGBoost's printed predictions
	}{
		{"", "logged", 1e-12},
		{"logged", "logged", 1e-12},
		{"replay", "replay", 1e-5},
		{"live", "live", 1e-5},
	}
	for _, tc := range cases {
		t.Run("source="+tc.source, func(t *testing.T) {
			if tc.source == "live" {
				// The live worker scored the production records as they arrived.
				require.Eventually(t, func() bool {
					code, b := do(http.MethodGet, "/api/v1/shadow/bike/report?source=live", "look", "", "")
					return code == http.StatusOK && strings.Contains(string(b), fmt.Sprintf(`"pairs":%d`, len(rows)))
				}, 10*time.Second, 20*time.Millisecond, "live shadow never scored every record: %s", logs)
			}
			rep := get(tc.source)
			assert.Equal(t, tc.wantSource, rep.Source)
			assert.Equal(t, "bike", rep.Model)
			assert.Equal(t, "v1", rep.ProductionVersion)
			assert.Equal(t, "v2", rep.CandidateVersion)
			assert.Equal(t, len(rows), rep.Pairs)
			assert.Equal(t, 0.5, rep.Threshold)
			assert.InDelta(t, want.agreement, rep.Agreement, 1e-12)
			assert.InDelta(t, want.meanAbs, rep.MeanAbsDiff, tc.tol)
			assert.InDelta(t, want.p99, rep.P99AbsDiff, tc.tol)
			assert.InDelta(t, want.spearman, rep.Spearman, max(tc.tol, 1e-9)*100)
			assert.InDelta(t, want.psi, rep.PSI, max(tc.tol, 1e-9)*100)
			require.NotEmpty(t, rep.TopDisagreements)
			assert.LessOrEqual(t, len(rep.TopDisagreements), 20)
			assert.Equal(t, want.top[0], rep.TopDisagreements[0].RequestID)
			if tc.wantSource == "live" {
				assert.Nil(t, rep.Quality, "labels arrive after live scoring")
				assert.Equal(t, t0, rep.From, "a live report spans its rolling window")
				assert.Equal(t, rows[len(rows)-1].ts, rep.To)
			} else {
				require.NotNil(t, rep.Quality)
				assert.Equal(t, "auc", rep.Quality.Production.Metric)
				assert.Equal(t, want.labelled, rep.Quality.Candidate.Labelled)
				assert.InDelta(t, want.aucProd, rep.Quality.Production.Value, 1e-12)
				assert.InDelta(t, want.aucCand, rep.Quality.Candidate.Value, 1e-6)
			}
			if tc.wantSource == "logged" {
				assert.Nil(t, rep.RowsPerSecond)
			} else {
				require.NotNil(t, rep.RowsPerSecond)
				assert.Greater(t, *rep.RowsPerSecond, 0.0)
			}
		})
	}

	// Another threshold, asked of every source, moves the agreement.
	agree03 := 0.0
	for _, r := range rows {
		if (r.production >= 0.3) == (r.candidate >= 0.3) {
			agree03 += 1 / float64(len(rows))
		}
	}
	for _, source := range []string{"logged", "replay", "live"} {
		q.Set("threshold", "0.3")
		rep := get(source)
		assert.Equal(t, 0.3, rep.Threshold, source)
		assert.InDelta(t, agree03, rep.Agreement, 1e-12, source)
	}
	q.Del("threshold")

	errCases := []struct {
		path  string
		code  int
		field string
	}{
		{"/api/v1/shadow/nosuch/report", http.StatusNotFound, "unknown"},
		{"/api/v1/shadow/bike/report?source=magic", http.StatusBadRequest, "source"},
		{"/api/v1/shadow/bike/report?from=yesterday", http.StatusBadRequest, "from"},
		{"/api/v1/shadow/bike/report?threshold=-1", http.StatusBadRequest, "threshold"},
		{"/api/v1/shadow/bike/report?top=50", http.StatusBadRequest, "top"},
	}
	for _, ec := range errCases {
		code, b := do(http.MethodGet, ec.path, "look", "", "")
		assert.Equal(t, ec.code, code, "%s: %s", ec.path, b)
		assert.Contains(t, string(b), `"status":"error"`)
		assert.Contains(t, string(b), ec.field, ec.path)
	}
	code, _ = do(http.MethodGet, "/api/v1/shadow/bike/report", "wrong-token", "", "")
	assert.Equal(t, http.StatusUnauthorized, code, "the report is behind access control")
	cancel()
	assert.Equal(t, 0, <-done)
}
